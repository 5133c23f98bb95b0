// A small hand-written SVG chart: viewers per minute as a line (left axis) and orders per minute as bars
// (right axis), with axes, labels, a legend, and <title>/<desc> for screen readers. No library.
const NS = "http://www.w3.org/2000/svg";
const W = 720, H = 260, M = { top: 20, right: 48, bottom: 40, left: 48 };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A round upper bound and its step for an axis: 0..7 -> 0..8 by 2, 0..130 -> 0..150 by 50.
function niceScale(max, ticks = 4) {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw && s >= 1) || Math.max(1, magnitude * 10);
  return { top: Math.ceil(max / step) * step, step };
}

export function timeLabel(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

// points: [{minute, viewers, orders}]; returns an <svg> (data-testid=chart).
export function minuteChart(points, { title, description }) {
  const id = `chart-${Math.random().toString(36).slice(2, 8)}`;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-t ${id}-d`,
                            "data-testid": "chart", class: "chart", preserveAspectRatio: "xMidYMid meet" });
  root.append(svg("title", { id: `${id}-t` }, title), svg("desc", { id: `${id}-d` }, description));
  const plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
  const viewers = niceScale(Math.max(0, ...points.map((p) => p.viewers)));
  const orders = niceScale(Math.max(0, ...points.map((p) => p.orders)));
  const slot = plotW / Math.max(points.length, 1);
  const x = (i) => M.left + slot * (i + 0.5);
  const yV = (v) => M.top + plotH - (v / viewers.top) * plotH;
  const yO = (v) => M.top + plotH - (v / orders.top) * plotH;

  const grid = svg("g", { class: "grid", "aria-hidden": "true" });
  for (let v = 0; v <= viewers.top; v += viewers.step) {
    grid.append(svg("line", { x1: M.left, x2: W - M.right, y1: yV(v), y2: yV(v) }));
    grid.append(svg("text", { x: M.left - 8, y: yV(v) + 4, "text-anchor": "end", class: "tick viewers" }, v));
  }
  for (let v = 0; v <= orders.top; v += orders.step) {
    grid.append(svg("text", { x: W - M.right + 8, y: yO(v) + 4, "text-anchor": "start", class: "tick orders" }, v));
  }
  const every = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    const last = i === points.length - 1 && i % every >= every / 2; // the end, unless it would touch a label
    if (i % every === 0 || last) {
      grid.append(svg("text", { x: x(i), y: H - M.bottom + 18, "text-anchor": "middle", class: "tick" }, timeLabel(p.minute)));
    }
  });
  grid.append(svg("line", { class: "axis", x1: M.left, x2: W - M.right, y1: M.top + plotH, y2: M.top + plotH }));
  grid.append(svg("text", { x: 12, y: M.top + plotH / 2, class: "axis-label viewers", "text-anchor": "middle",
                            transform: `rotate(-90 12 ${M.top + plotH / 2})` }, "Viewers"));
  grid.append(svg("text", { x: W - 10, y: M.top + plotH / 2, class: "axis-label orders", "text-anchor": "middle",
                            transform: `rotate(90 ${W - 10} ${M.top + plotH / 2})` }, "Orders"));
  grid.append(svg("text", { x: M.left + plotW / 2, y: H - 4, class: "axis-label", "text-anchor": "middle" }, "Time (per minute)"));

  const bars = svg("g", { class: "series-orders", "aria-hidden": "true" });
  const barW = Math.max(2, Math.min(24, slot * 0.5));
  points.forEach((p, i) => {
    if (p.orders > 0) bars.append(svg("rect", { x: x(i) - barW / 2, y: yO(p.orders), width: barW, height: M.top + plotH - yO(p.orders) }));
  });
  const line = svg("g", { class: "series-viewers", "aria-hidden": "true" });
  if (points.length > 1) line.append(svg("polyline", { points: points.map((p, i) => `${x(i)},${yV(p.viewers)}`).join(" ") }));
  points.forEach((p, i) => line.append(svg("circle", { cx: x(i), cy: yV(p.viewers), r: 3 })));
  root.append(grid, bars, line);
  return root;
}
