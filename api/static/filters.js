// The run and time range every view reads, chosen in the header.

import { get } from "./api.js";

const STEPS = [
  ["1m", 60],
  ["5m", 300],
  ["15m", 900],
  ["1h", 3600],
  ["1d", 86400],
];
const MAX_POINTS = 180;

const state = { runs: [], run: "live", range: "run", since: "", until: "" };

export async function loadRuns() {
  state.runs = (await get("runs")).runs;
  const select = document.getElementById("run");
  select.replaceChildren(
    ...state.runs.map((r) => new Option(`${r.run} (${r.kind}, ${r.rules_version})`, r.run)),
  );
  if (!state.runs.some((r) => r.run === state.run) && state.runs.length) {
    state.run = state.runs[0].run;
  }
  select.value = state.run;
}

export function readForm() {
  state.run = document.getElementById("run").value || state.run;
  state.range = document.getElementById("range").value;
  state.since = document.getElementById("since").value;
  state.until = document.getElementById("until").value;
}

export function showCustom() {
  const custom = document.getElementById("range").value === "custom";
  document.getElementById("since").hidden = !custom;
  document.getElementById("until").hidden = !custom;
}

/** {run, since, until} as ISO-8601 UTC for the API; the whole run by default. */
export function scope() {
  const now = new Date();
  let since = null;
  let until = null;
  if (state.range === "run") {
    const run = state.runs.find((r) => r.run === state.run);
    since = run?.traffic_since ?? null;
    until = run?.traffic_until ?? null;
  } else if (state.range === "custom") {
    since = utc(state.since);
    until = utc(state.until);
  } else {
    const hours = { "1h": 1, "24h": 24, "7d": 168 }[state.range];
    since = new Date(now - hours * 3600e3).toISOString();
    until = now.toISOString();
  }
  return { run: state.run, since, until };
}

// A datetime-local value ("2024-06-01T12:00", seconds optional) read as UTC.
function utc(local) {
  if (!local) return null;
  return local.length === 16 ? `${local}:00Z` : `${local}Z`;
}

/** The smallest bucket that keeps a series of the window under MAX_POINTS points. */
export function step(since, until) {
  const start = since ? Date.parse(since) : Date.now() - 7 * 86400e3;
  const end = until ? Date.parse(until) : Date.now();
  const seconds = Math.max(60, (end - start) / 1000);
  const found = STEPS.find(([, size]) => seconds / size <= MAX_POINTS);
  return (found ?? STEPS[STEPS.length - 1])[0];
}
