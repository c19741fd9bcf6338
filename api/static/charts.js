// Charts: uPlot (vendored) for an endpoint's series, a plain canvas for sparklines.

import uPlot from "./vendor/uPlot.esm.js";

/** A small line of mismatch rates per bucket, drawn on a canvas. */
export function sparkline(buckets, width = 140, height = 28) {
  const canvas = document.createElement("canvas");
  canvas.className = "spark";
  canvas.width = width;
  canvas.height = height;
  let rates = buckets.map((b) => (b.total ? b.mismatch_rate : 0));
  if (rates.length === 1) rates = [rates[0], rates[0]]; // one bucket: a level line
  const top = Math.max(...rates, 0.0001);
  const context = canvas.getContext("2d");
  context.strokeStyle = "#c0392b";
  context.lineWidth = 1.5;
  context.beginPath();
  rates.forEach((rate, i) => {
    const x = rates.length > 1 ? (i / (rates.length - 1)) * (width - 2) + 1 : width / 2;
    const y = height - 2 - (rate / top) * (height - 4);
    if (i === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
  return canvas;
}

// The time axis spans the buckets shown, each a step long (one bucket alone
// would otherwise make uPlot's axis span years).
function xScale(xs) {
  const size = xs.length > 1 ? xs[1] - xs[0] : 60;
  const low = xs[0] - size / 2;
  const high = xs[xs.length - 1] + size / 2;
  return { time: true, auto: false, range: () => [low, high] };
}
const POINTS = { show: true, size: 6 };

function times(buckets) {
  return buckets.map((b) => Date.parse(b.start) / 1000);
}

/** Mismatch rate (%, left axis) and requests per bucket (right axis). */
export function rateChart(target, buckets, width) {
  const xs = times(buckets);
  const data = [
    xs,
    buckets.map((b) => (b.total ? b.mismatch_rate * 100 : null)),
    buckets.map((b) => b.total),
  ];
  return new uPlot(
    {
      title: "mismatch rate and volume",
      width,
      height: 260,
      series: [
        {},
        { label: "mismatch %", stroke: "#c0392b", width: 2, scale: "%", points: POINTS },
        {
          label: "requests",
          stroke: "#2563eb",
          fill: "rgba(37,99,235,0.08)",
          scale: "n",
          points: POINTS,
        },
      ],
      axes: [{}, { scale: "%", label: "mismatch %" }, { scale: "n", side: 1, label: "requests" }],
      scales: { x: xScale(xs), "%": { range: [0, null] }, n: { range: [0, null] } },
    },
    data,
    target,
  );
}

/** Each side's latency p50 and p95 (ms) per bucket. */
export function latencyChart(target, buckets, width) {
  const side = (name, q) => buckets.map((b) => b.latency_ms[name][q]);
  const xs = times(buckets);
  return new uPlot(
    {
      title: "latency (ms)",
      width,
      height: 220,
      series: [
        {},
        { label: "primary p50", stroke: "#1e8449", points: POINTS },
        { label: "primary p95", stroke: "#1e8449", dash: [6, 4], points: POINTS },
        { label: "candidate p50", stroke: "#8e44ad", points: POINTS },
        { label: "candidate p95", stroke: "#8e44ad", dash: [6, 4], points: POINTS },
      ],
      axes: [{}, { label: "ms" }],
      scales: { x: xScale(xs) },
    },
    [
      xs,
      side("primary", "p50"),
      side("primary", "p95"),
      side("candidate", "p50"),
      side("candidate", "p95"),
    ],
    target,
  );
}
