// The plan of one difficulty as a Gantt chart (SVG built from nodes; every
// text is set as text): faults as bars from their start (or earliest
// start, dashed when they wait on an event) to the cap, chains as arrows,
// injects, hints and alerts as markers, and the 70- and 90-minute lines.
import { clear } from "./common.js";

const NS = "http://www.w3.org/2000/svg";
const MIN = 60000;

function node(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const colors = { fault: "#d9480f", inject: "#1971c2", hint: "#2f9e44", alert: "#ae3ec9" };
const order = { fault: 0, inject: 1, hint: 2, alert: 3 };

/** drawGantt draws plan into box; words says the labels. */
export function drawGantt(box, plan, words) {
  clear(box);
  if (!plan) return;
  const rows = plan.rows.slice().sort((a, b) => order[a.kind] - order[b.kind]);
  const end = Math.max(plan.timeLimitMs, 90 * MIN);
  const W = 560, L = 170, R = 12, H = 24, top = 26;
  const height = top + rows.length * H + 24;
  const x = (ms) => L + (Math.min(ms, end) / end) * (W - L - R);
  const svg = node("svg", { viewBox: `0 0 ${W} ${height}`, width: "100%", role: "img", "aria-label": "Gantt", id: "ganttSvg", "data-difficulty": plan.difficulty });
  const defs = node("defs");
  const marker = node("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(node("path", { d: "M0,0 L10,5 L0,10 z", fill: "currentColor" }));
  defs.append(marker);
  svg.append(defs);
  for (let m = 0; m * MIN <= end; m += 10) {
    svg.append(node("line", { x1: x(m * MIN), x2: x(m * MIN), y1: top - 6, y2: height - 20, stroke: "#c8ced8", "stroke-width": 0.5 }));
    svg.append(node("text", { x: x(m * MIN), y: top - 10, "text-anchor": "middle" }, m + "m"));
  }
  for (const [m, label, cls] of [[70, words("hintLine"), "line-70"], [90, words("cap"), "line-90"]]) {
    svg.append(node("line", { x1: x(m * MIN), x2: x(m * MIN), y1: top - 4, y2: height - 16, stroke: m === 90 ? "#e03131" : "#f08c00", "stroke-width": 2, "stroke-dasharray": m === 70 ? "5 3" : "", class: cls }));
    svg.append(node("text", { x: x(m * MIN) - 4, y: height - 4, "text-anchor": "end", class: cls }, label));
  }
  const y = new Map();
  rows.forEach((r, i) => {
    const cy = top + i * H + H / 2;
    if (r.kind === "fault") y.set(r.id, cy);
    const g = node("g", { class: "row row-" + r.kind, "data-id": r.id });
    g.append(node("title", {}, [words("kind_" + r.kind) + " " + r.id, r.summary, r.trigger, r.condition, r.detail].filter(Boolean).join("\n")));
    const label = (r.summary || r.id);
    g.append(node("text", { x: 4, y: cy + 4 }, (label.length > 24 ? label.slice(0, 23) + "…" : label)));
    const color = colors[r.kind] || "#868e96";
    if (r.startMs === undefined || r.startMs === null) {
      g.append(node("text", { x: L + 4, y: cy + 4, fill: color }, r.kind === "fault" ? words("onDemand") : words("waits", { why: r.trigger })));
    } else if (r.kind === "fault") {
      g.append(node("rect", { x: x(r.startMs), y: cy - 7, width: Math.max(3, x(end) - x(r.startMs)), height: 14, rx: 3, fill: color, "fill-opacity": r.waiting ? 0.35 : 0.8,
        stroke: color, "stroke-dasharray": r.waiting ? "4 2" : "", class: "bar" }));
    } else {
      const cx = x(r.startMs);
      g.append(r.kind === "hint"
        ? node("circle", { cx, cy, r: 6, fill: color, "fill-opacity": r.waiting ? 0.4 : 1, class: "marker" })
        : node("path", { d: `M${cx},${cy - 7} L${cx + 7},${cy} L${cx},${cy + 7} L${cx - 7},${cy} z`, fill: color, "fill-opacity": r.waiting ? 0.4 : 1, class: "marker" }));
    }
    svg.append(g);
  });
  for (const r of rows) {
    if (r.kind !== "fault" || !r.after || !y.has(r.after) || r.startMs === undefined || r.startMs === null) continue;
    const from = rows.find((o) => o.id === r.after && o.kind === "fault");
    const fx = from && from.startMs !== undefined && from.startMs !== null ? x(from.startMs) + 6 : L;
    svg.append(node("path", { d: `M${fx},${y.get(r.after) + 7} C${fx},${y.get(r.id)} ${fx},${y.get(r.id)} ${x(r.startMs) - 2},${y.get(r.id)}`,
      fill: "none", stroke: "currentColor", "stroke-width": 1.5, "marker-end": "url(#arrow)", class: "chain", "data-from": r.after, "data-to": r.id }));
  }
  box.append(svg);
}
