// A line chart drawn as SVG by hand: one line per area (and per gender), the target as a step
// line, axes with rounded ticks. Each line carries data attributes (data-line, data-area,
// data-gender) so that tests and style sheets can find it; the table under the chart is the
// accessible reading of the same numbers.

import { s, h } from "./dom.js";
import { formatValue } from "./labels.js";

const W = 720;
const H = 340;
const M = { top: 16, right: 24, bottom: 36, left: 64 };

/** Colours with at least 4.5:1 contrast on white; dashes tell the lines apart without colour. */
const STYLES = [
  { color: "#0b4f8a", dash: "", width: 3 },
  { color: "#4d4d4d", dash: "8 5", width: 2.5 },
  { color: "#8a3b00", dash: "2 4", width: 2.5 },
  { color: "#5b2a86", dash: "10 3 2 3", width: 2.5 },
  { color: "#00695c", dash: "4 2", width: 2.5 },
  { color: "#9c1f4f", dash: "12 4", width: 2.5 },
];

/** A comparison group's mean: olive and dotted; its spread (lowest to highest) a light band. */
export const GROUP = { color: "#6b5900", dash: "1 4", width: 3 };

/** The target's line: red and dash-dotted, unlike every series line. */
const TARGET = { color: "#b3261e", dash: "6 3 1 3", width: 2 };

/** The style of the i-th line. */
export function lineStyle(i) {
  return STYLES[i % STYLES.length];
}

/** Rounded ticks covering [lo, hi]. */
function ticks(lo, hi, count = 5) {
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
  const start = Math.floor(lo / step) * step;
  const out = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  if (out[out.length - 1] < hi) out.push(out[out.length - 1] + step);
  return out;
}

/**
 * Draws the chart. `lines`: [{ label, area, gender, points: [{period, value}], style, kind }]
 * (`kind` names the line in `data-line`: `series` by default, `group-mean` for a group's
 * mean); `bands`: [{ label, area, points: [{period, lo, hi}], style }], a group's spread;
 * `targets`: [{ from, to, value, label }] (absolute targets only: relative ones are the
 * reference line itself). Returns the <figure>.
 */
export function renderChart({ title, unit, lines, targets, bands = [] }) {
  const periods = lines.flatMap((l) => l.points.filter((p) => p.value !== null).map((p) => p.period));
  const values = lines.flatMap((l) => l.points.map((p) => p.value)).filter((v) => v !== null)
    .concat(bands.flatMap((b) => b.points.flatMap((p) => [p.lo, p.hi])));
  const figure = h("figure", { class: "chart" });
  if (!periods.length) {
    figure.append(h("p", { class: "empty" }, "Ingen data att visa för det här året."));
    return figure;
  }
  const x0 = Math.min(...periods);
  const x1 = Math.max(...periods);
  const shown = targets.filter((t) => t.value !== null && (t.to === null || t.to >= x0) && t.from <= x1);
  const ys = ticks(Math.min(...values, ...shown.map((t) => t.value)), Math.max(...values, ...shown.map((t) => t.value)));
  const y0 = ys[0];
  const y1 = ys[ys.length - 1];
  const px = (p) => M.left + (x1 === x0 ? (W - M.left - M.right) / 2 : ((p - x0) / (x1 - x0)) * (W - M.left - M.right));
  const py = (v) => H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom);

  const id = `chart-${Math.random().toString(36).slice(2)}`;
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-labelledby": `${id}-t`,
    "aria-describedby": `${id}-d`,
    class: "chart-svg",
    "data-chart": "series",
  });
  svg.append(s("title", { id: `${id}-t` }, title));
  svg.append(s("desc", { id: `${id}-d` }, `Linjediagram ${x0}–${x1}${unit ? `, ${unit}` : ""}: ${lines.map((l) => l.label).join(", ")}. Värdena finns i tabellen under diagrammet.`));

  const axes = s("g", { class: "axes", "aria-hidden": "true" });
  for (const v of ys) {
    axes.append(s("line", { x1: M.left, x2: W - M.right, y1: py(v), y2: py(v), class: "grid" }));
    axes.append(s("text", { x: M.left - 8, y: py(v) + 4, "text-anchor": "end" }, formatValue(v)));
  }
  const every = Math.max(1, Math.ceil((x1 - x0 + 1) / 12));
  for (let p = x0; p <= x1; p += every) {
    axes.append(s("text", { x: px(p), y: H - M.bottom + 20, "text-anchor": "middle" }, String(p)));
  }
  axes.append(s("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: "axis" }));
  svg.append(axes);

  for (const t of shown) {
    const a = px(Math.max(t.from, x0));
    const b = px(t.to === null ? x1 : Math.min(t.to, x1));
    svg.append(s("path", {
      d: `M${a},${py(t.value)}H${b === a ? a + 6 : b}`,
      class: "target",
      "data-line": "target",
    }, s("title", {}, t.label)));
  }

  for (const b of bands) {
    const pts = b.points.filter((p) => p.period >= x0 && p.period <= x1);
    if (!pts.length) continue;
    const top = pts.map((p) => `${px(p.period).toFixed(1)},${py(p.hi).toFixed(1)}`);
    const bottom = [...pts].reverse().map((p) => `${px(p.period).toFixed(1)},${py(p.lo).toFixed(1)}`);
    svg.append(s("path", {
      d: `M${top.join("L")}L${bottom.join("L")}Z`,
      fill: b.style.color,
      "fill-opacity": 0.14,
      stroke: "none",
      class: "band",
      "data-line": "group-spread",
      "data-area": b.area,
    }, s("title", {}, b.label)));
  }

  for (const l of lines) {
    let d = "";
    let pen = false;
    for (const p of l.points) {
      if (p.value === null) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${px(p.period).toFixed(1)},${py(p.value).toFixed(1)}`;
      pen = true;
    }
    const g = s("g", { class: "series", "data-area": l.area, "data-gender": l.gender });
    g.append(s("path", {
      d,
      fill: "none",
      stroke: l.style.color,
      "stroke-width": l.style.width,
      "stroke-dasharray": l.style.dash || null,
      "data-line": l.kind || "series",
      "data-area": l.area,
      "data-gender": l.gender,
    }));
    for (const p of l.points) {
      if (p.value === null) continue;
      g.append(s("circle", { cx: px(p.period), cy: py(p.value), r: 3.5, fill: l.style.color },
        s("title", {}, `${l.label} ${p.period}: ${formatValue(p.value)}`)));
    }
    svg.append(g);
  }

  const legend = h("ul", { class: "legend" },
    lines.map((l) => h("li", { "data-area": l.area, "data-gender": l.gender },
      swatch(l.style), " ", l.label, l.points.some((p) => p.value !== null) ? "" : " (ingen data)")),
    bands.map((b) => h("li", { "data-area": b.area, "data-band": "" }, bandSwatch(b.style), " ", b.label)),
    shown.length ? h("li", {}, swatch(TARGET), " Målvärde") : null);
  figure.append(svg, legend);
  return figure;
}

function bandSwatch(st) {
  return s("svg", { width: 32, height: 10, "aria-hidden": "true", class: "swatch" },
    s("rect", { x: 0, y: 0, width: 32, height: 10, fill: st.color, "fill-opacity": 0.3 }));
}

function swatch(st) {
  return s("svg", { width: 32, height: 10, "aria-hidden": "true", class: "swatch" },
    s("line", { x1: 0, x2: 32, y1: 5, y2: 5, stroke: st.color, "stroke-width": st.width, "stroke-dasharray": st.dash || null }));
}
