// The four views: endpoints, one endpoint, one signature, one comparison (alerts: alerts.js).
// Each takes its arguments and the window, reads the API and returns a node.

import { readiness, verdictCell } from "./alerts.js";
import { get } from "./api.js";
import { latencyChart, rateChart, sparkline } from "./charts.js";
import { h, link, ms, percent, when } from "./dom.js";
import { scope, step } from "./filters.js";

const PAGE = 10; // comparisons per page of a list

function errors(verdicts) {
  return Object.entries(verdicts)
    .filter(([verdict]) => verdict.startsWith("error_"))
    .reduce((sum, [, n]) => sum + n, 0);
}

function prunedNotes(pruned) {
  const notes = [];
  if (pruned?.rollups_before) {
    notes.push(`counts before ${when(pruned.rollups_before)} were pruned: missing, not quiet`);
  }
  if (pruned?.raw_before) {
    notes.push(`raw rows before ${when(pruned.raw_before)} were pruned: no examples from then`);
  }
  return notes.map((note) => h("p", { class: "muted" }, note));
}

export async function endpoints() {
  const w = scope();
  const [report, series, judged] = await Promise.all([
    get("endpoints", w),
    get("endpoints/timeseries", { ...w, step: step(w.since, w.until) }),
    readiness(w),
  ]);
  const spark = new Map(series.series.map((s) => [s.endpoint, s.buckets]));
  const ranked = [...report.endpoints].sort(
    (a, b) => b.mismatch_rate - a.mismatch_rate || b.total - a.total,
  );
  const rows = ranked.map((e) =>
    h(
      "tr",
      { "data-endpoint": e.endpoint },
      h("td", {}, link("endpoint", { name: e.endpoint }, e.endpoint)),
      h("td", { class: "num total" }, e.total),
      h("td", { class: "num mismatches" }, e.mismatches),
      h("td", { class: `num rate${e.mismatch_rate > 0 ? " rate-bad" : ""}` }, percent(e.mismatch_rate)),
      h("td", { class: "num" }, e.orphans),
      h("td", { class: "num" }, errors(e.verdicts)),
      h("td", {}, sparkline(spark.get(e.endpoint) ?? [])),
      verdictCell(judged.get(e.endpoint)),
    ),
  );
  const table = h(
    "table",
    { id: "endpoints" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, "endpoint"),
        h("th", { class: "num" }, "requests"),
        h("th", { class: "num" }, "mismatches"),
        h("th", { class: "num" }, "rate"),
        h("th", { class: "num" }, "orphans"),
        h("th", { class: "num" }, "errors"),
        h("th", {}, "mismatch rate over time"),
        h("th", {}, "readiness"),
      ),
    ),
    h("tbody", {}, rows),
  );
  return h(
    "section",
    {},
    h("h1", {}, "Endpoints by mismatch rate"),
    report.endpoints.length ? table : h("p", {}, "no comparisons stored for this run and range"),
    prunedNotes(report.pruned),
  );
}

function summaryOf(buckets) {
  const sum = (key) => buckets.reduce((total, b) => total + b[key], 0);
  const total = sum("total");
  const mismatches = sum("mismatches");
  return { total, mismatches, rate: total ? mismatches / total : 0, orphans: sum("orphans"), errors: sum("errors") };
}

export async function endpoint({ name }) {
  const w = scope();
  const chosen = step(w.since, w.until);
  const [series, problems, recent] = await Promise.all([
    get("endpoints/timeseries", { ...w, endpoint: name, step: chosen }),
    get("signatures", { ...w, endpoint: name, limit: 50 }),
    get("comparisons", { ...w, endpoint: name, verdict: "mismatch", page_size: PAGE }),
  ]);
  const buckets = series.series[0]?.buckets ?? [];
  const s = summaryOf(buckets);
  const charts = h("div", { class: "charts" });
  const section = h(
    "section",
    {},
    h("h1", {}, name),
    h(
      "p",
      {
        id: "summary",
        class: "summary",
        "data-total": s.total,
        "data-mismatches": s.mismatches,
        "data-orphans": s.orphans,
        "data-errors": s.errors,
      },
      `${s.total} requests, ${s.mismatches} mismatches (${percent(s.rate)}), `,
      `${s.orphans} orphans, ${s.errors} errors; buckets of ${chosen}`,
    ),
    charts,
    h("h2", {}, "Signatures"),
    signatureTable(problems.signatures),
    h("h2", {}, "Latest mismatching requests"),
    comparisonList(recent.comparisons),
    moreButton(recent.next_page_token, { ...w, endpoint: name, verdict: "mismatch", page_size: PAGE }),
  );
  // Charts are drawn once the section is in the page, so they get its width.
  section.addEventListener("shown", () => {
    const width = Math.max(400, charts.clientWidth || 900);
    if (buckets.length) {
      rateChart(charts, buckets, width);
      latencyChart(charts, buckets, width);
    } else {
      charts.append(h("p", {}, "no traffic in this range"));
    }
  });
  return section;
}

function signatureTable(signatures) {
  if (!signatures.length) return h("p", { class: "muted" }, "no signatures in this range");
  return h(
    "table",
    { id: "signatures" },
    h("thead", {}, h("tr", {}, h("th", { class: "num" }, "count"), h("th", {}, "signature"), h("th", {}, "status"), h("th", {}, "problem"))),
    h(
      "tbody",
      {},
      signatures.map((s) =>
        h(
          "tr",
          {},
          h("td", { class: "num" }, s.count),
          h("td", {}, link("signature", { id: s.signature, endpoint: s.endpoint }, h("code", {}, s.signature))),
          h("td", {}, s.status),
          h("td", {}, s.summary || s.paths.map((p) => `${p.kind} ${p.path}`).join(", ")),
        ),
      ),
    ),
  );
}

// "more" fetches the next page with the previous page's token and adds its rows.
function moreButton(token, query) {
  if (!token) return null;
  const button = h("button", { type: "button", id: "more" }, "more");
  button.addEventListener("click", async () => {
    button.disabled = true;
    const page = await get("comparisons", { ...query, page_token: token });
    const rows = comparisonList(page.comparisons).querySelectorAll("tbody tr");
    document.querySelector("#comparisons tbody").append(...rows);
    button.replaceWith(moreButton(page.next_page_token, query) ?? "");
  });
  return button;
}

function comparisonList(comparisons) {
  if (!comparisons.length) return h("p", { class: "muted" }, "none in this range");
  return h(
    "table",
    { id: "comparisons" },
    h("thead", {}, h("tr", {}, h("th", {}, "observed"), h("th", {}, "request"), h("th", {}, "verdict"), h("th", {}, "status"))),
    h(
      "tbody",
      {},
      comparisons.map((c) =>
        h(
          "tr",
          {},
          h("td", {}, when(c.observed_at)),
          h("td", {}, link("comparison", { id: c.request_id, run: c.run }, h("code", {}, c.request_id))),
          h("td", {}, c.verdict),
          h("td", {}, `${c.primary_status ?? "-"} / ${c.candidate_status ?? "-"}`),
        ),
      ),
    ),
  );
}

export async function signature({ id, endpoint: name }) {
  const w = scope();
  const s = await get(`signatures/${encodeURIComponent(id)}`, { ...w, endpoint: name });
  return h(
    "section",
    {},
    h("h1", {}, "Signature ", h("code", {}, s.signature)),
    h(
      "div",
      { class: "facts" },
      h("span", {}, "endpoint"),
      link("endpoint", { name: s.endpoint }, s.endpoint),
      h("span", {}, "count"),
      h("span", { id: "count" }, s.count),
      h("span", {}, "status"),
      h("span", {}, s.status),
      h("span", {}, "seen"),
      h("span", {}, `${when(s.first_seen)} to ${when(s.last_seen)}`),
      h("span", {}, "problem"),
      h("span", {}, s.summary || "-"),
    ),
    h("h2", {}, "Differing paths"),
    h("ul", {}, s.paths.map((p) => h("li", {}, h("mark", { class: "diff-path" }, p.path), ` ${p.kind}`))),
    h("h2", {}, "Examples"),
    s.example_comparisons.length
      ? s.example_comparisons.map((c) =>
          h("article", {}, h("h3", {}, link("comparison", { id: c.request_id, run: c.run }, c.request_id)), differences(c)),
        )
      : h("p", { class: "muted" }, "the examples' raw rows are no longer stored"),
    prunedNotes(s.pruned),
  );
}

function show(value) {
  return value === null || value === undefined ? "(none)" : JSON.stringify(value, null, 2);
}

function differences(c) {
  if (!c.differences.length) return h("p", { class: "muted" }, "no differences");
  return h(
    "table",
    { class: "differences" },
    h("thead", {}, h("tr", {}, h("th", {}, "path"), h("th", {}, "kind"), h("th", {}, "primary"), h("th", {}, "candidate"))),
    h(
      "tbody",
      {},
      c.differences.map((d) =>
        h(
          "tr",
          { class: `diff kind-${d.kind}` },
          h("td", { class: "path" }, h("mark", { class: "diff-path" }, d.path)),
          h("td", {}, d.kind),
          h("td", {}, h("pre", {}, show(d.primary))),
          h("td", {}, h("pre", {}, show(d.candidate))),
        ),
      ),
    ),
  );
}

// The two sides as far as the store has them: each differing path with its
// value, nested as in the bodies, the differing leaves highlighted.
function sideDocument(diffs, side) {
  const lines = [];
  const sorted = [...diffs].sort((a, b) => a.path.localeCompare(b.path));
  let previous = [];
  for (const d of sorted) {
    const parts = d.path.split("/").filter(Boolean);
    let common = 0;
    while (common < parts.length - 1 && parts[common] === previous[common]) common += 1;
    for (let i = common; i < parts.length - 1; i += 1) {
      lines.push(h("div", {}, `${"  ".repeat(i)}${parts[i]}:`));
    }
    const depth = Math.max(parts.length - 1, 0);
    const key = parts[parts.length - 1] ?? d.path;
    lines.push(
      h("div", {}, "  ".repeat(depth), h("mark", { class: "diff-path", "data-path": d.path }, `${key}: ${show(d[side])}`)),
    );
    previous = parts;
  }
  return h("pre", { class: side }, lines);
}

export async function comparison({ id, run }) {
  const c = await get(`comparisons/${encodeURIComponent(id)}`, { run: run || scope().run });
  return h(
    "section",
    {},
    h("h1", {}, "Request ", h("code", {}, c.request_id)),
    h(
      "div",
      { class: "facts" },
      h("span", {}, "endpoint"),
      link("endpoint", { name: c.endpoint }, c.endpoint),
      h("span", {}, "observed"),
      h("span", {}, when(c.observed_at)),
      h("span", {}, "verdict"),
      h("span", { id: "verdict" }, c.verdict),
      h("span", {}, "status"),
      h("span", {}, `primary ${c.primary_status ?? "-"}, candidate ${c.candidate_status ?? "-"}`),
      h("span", {}, "latency ms"),
      h("span", {}, `primary ${ms(c.primary_latency_ms)}, candidate ${ms(c.candidate_latency_ms)}`),
      h("span", {}, "signature"),
      c.signature ? link("signature", { id: c.signature, endpoint: c.endpoint }, h("code", {}, c.signature)) : h("span", {}, "-"),
      h("span", {}, "rules"),
      h("span", {}, c.rules_version),
    ),
    h("h2", {}, "Side by side (differing paths)"),
    c.differences.length
      ? h(
          "div",
          { class: "sides" },
          h("div", {}, h("h3", {}, "primary"), sideDocument(c.differences, "primary")),
          h("div", {}, h("h3", {}, "candidate"), sideDocument(c.differences, "candidate")),
        )
      : h("p", { class: "muted" }, "no differences"),
    h("h2", {}, "Differences"),
    differences(c),
  );
}
