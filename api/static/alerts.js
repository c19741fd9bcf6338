// The alerts view, and the readiness verdicts the endpoints table shows.

import { get } from "./api.js";
import { h, link, percent, when } from "./dom.js";
import { scope } from "./filters.js";

function sample(s) {
  return s ? `${percent(s.rate)} of ${s.total}` : "-";
}

/** Alerts opened in the run and range, newest first, as `shadowdiff alerts`. */
export async function alerts() {
  const w = scope();
  const found = (await get("alerts", w)).alerts;
  const rows = found.map((a) =>
    h(
      "tr",
      { class: `alert ${a.state}`, "data-alert": a.id },
      h("td", { class: "state" }, a.state),
      h("td", {}, a.rule),
      h("td", {}, link("endpoint", { name: a.endpoint }, a.endpoint)),
      h("td", { class: "when" }, when(a.opened_at)),
      h("td", { class: "when" }, when(a.resolved_at)),
      h("td", {}, a.rule === "new_signature" ? a.summary || a.signature : sample(a.observed)),
      h("td", {}, a.baseline ? sample(a.baseline) : "-"),
      h(
        "td",
        {},
        a.examples.flatMap((id) => [link("comparison", { id, run: a.run }, h("code", {}, id)), " "]),
      ),
    ),
  );
  const head = ["state", "rule", "endpoint", "opened", "resolved", "observed", "baseline", "examples"];
  return h(
    "section",
    {},
    h("h1", {}, "Alerts"),
    found.length
      ? h(
          "table",
          { id: "alerts" },
          h("thead", {}, h("tr", {}, head.map((name) => h("th", {}, name)))),
          h("tbody", {}, rows),
        )
      : h("p", {}, "no alerts opened in this run and range"),
  );
}

/**
 * Readiness per endpoint over the window `w` (a Map by endpoint name), as
 * `shadowdiff readiness`: judged from `since` to `until`, or over the last
 * 7 days of stored traffic when the window is open.
 */
export async function readiness(w) {
  const params = { run: w.run, window: "7d", until: "end" };
  if (w.since && w.until) {
    const seconds = Math.ceil((Date.parse(w.until) - Date.parse(w.since)) / 1000);
    Object.assign(params, { window: `${Math.max(1, seconds)}s`, until: w.until });
  }
  const judged = (await get("readiness", params)).endpoints;
  return new Map(judged.map((r) => [r.endpoint, r]));
}

/** A table cell with an endpoint's verdict, its reasons in the tooltip. */
export function verdictCell(judged) {
  if (!judged) return h("td", { class: "verdict" }, "-");
  const ready = judged.verdict === "ready";
  return h(
    "td",
    { class: `verdict ${ready ? "ready" : "not-ready"}`, title: judged.reasons.join("\n") },
    ready ? "ready" : "not ready",
  );
}
