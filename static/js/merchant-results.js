// A live or past show's results: audience, orders, units, revenue, conversion, the breakdown per offer and a
// chart of viewers and orders per minute (with the same numbers as a table). Refreshes while the show is live.
import { api, formatPrice } from "/static/js/api.js";
import { minuteChart, timeLabel } from "/static/js/chart.js";
import { el } from "/static/js/dom.js";
import { dataTable, plural } from "/static/js/merchant-ui.js";
import { sourceBreakdown } from "/static/js/merchant-sources.js";

const REFRESH_MS = 15000;
const CONVERSION_HELP = "Conversion = buyers ÷ unique viewers: accounts with at least one paid order, over the distinct " +
  "visitors of the live room (a buyer always counts as a viewer). Only paid orders count as sold.";

export function resultsSection(show) {
  const body = el("div", { "aria-busy": "true" }, el("p", { class: "muted", text: "Loading results…" }));
  const updated = el("span", { class: "muted" });
  const refresh = el("button", { type: "button", "data-testid": "results-refresh", text: "Refresh", onclick: () => load() });
  const node = el("section", { class: "card results", "data-testid": "results", "aria-labelledby": "results-title" },
    el("div", { class: "title-line" }, el("h2", { id: "results-title", text: "Results" }), updated, refresh), body);
  let stats = null; // built once, then updated in place so a screen reader hears only the figures that changed
  const load = async () => {
    try {
      const results = await api("GET", `/api/shows/${show.id}/results`);
      if (stats) stats.update(results);
      else {
        stats = statTiles(results);
        body.replaceChildren(stats.node, el("p", { class: "muted small", text: CONVERSION_HELP }), el("div"), el("div"),
          el("div"));
      }
      const tableOpen = Boolean(body.children[2].querySelector("details")?.open);
      body.children[2].replaceWith(chartBlock(results));
      if (tableOpen) body.children[2].querySelector("details").open = true;
      body.children[3].replaceWith(offerBreakdown(results));
      body.children[4].replaceWith(sourceBreakdown(results));
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      stats = null;
      body.replaceChildren(el("p", { class: "error", role: "alert", text: error.message }));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  };
  load();
  const timer = show.state === "live" ? setInterval(load, REFRESH_MS) : null;
  return { node, stop: () => timer && clearInterval(timer) };
}

function formatRevenue(revenue) {
  return revenue.length ? revenue.map((r) => formatPrice(r.amount_cents, r.currency)).join(" + ") : formatPrice(0, "USD");
}

// [label, testid, value(results), note(results)]
const TILES = [
  ["Peak viewers", "peak-viewers", (r) => String(r.peak_viewers), () => "most at the same time"],
  ["Unique viewers", "unique-viewers", (r) => String(r.unique_viewers), () => "joined the live room"],
  ["Paid orders", "orders-count", (r) => String(r.orders.paid),
    (r) => `${r.orders.reserved} awaiting payment · ${r.orders.payment_failed} declined · ${r.orders.expired} expired`],
  ["Units sold", "units-sold", (r) => String(r.units_sold), () => "in paid orders"],
  ["Revenue", "revenue", (r) => formatRevenue(r.revenue), () => "paid orders"],
  ["Conversion", "conversion", (r) => (r.conversion === null ? "–" : `${(r.conversion * 100).toFixed(1)}%`),
    (r) => `${plural(r.buyers, "buyer")} ÷ ${plural(Math.max(r.unique_viewers, r.buyers), "viewer")}`],
  // Community: complaints and how fast the shop answered them.
  ["Complaints", "complaints", (r) => String(r.complaints ? r.complaints.total : 0), (r) => complaintNote(r.complaints)],
];

function complaintNote(c) {
  if (!c || !c.total) return "none reported";
  const wait = c.median_first_answer_seconds;
  const answered = wait === null ? "no answer yet" : `median first answer ${Math.round(wait / 60)} min`;
  return `${c.open} open · ${c.resolved} refunded · ${c.declined} declined · ${answered}`;
}

function statTiles(results) {
  const cells = TILES.map(([label, testid, value, note]) => {
    const number = el("span", { class: "value", "data-testid": testid });
    const small = el("small", { class: "muted" });
    const tile = el("div", { class: "stat", title: testid === "conversion" ? CONVERSION_HELP : undefined },
      el("dt", { text: label }), el("dd", {}, number, small));
    return { number, small, value, note, tile };
  });
  const update = (r) => {
    for (const cell of cells) {
      const [text, detail] = [cell.value(r), cell.note(r)];
      if (cell.number.textContent !== text) cell.number.textContent = text;
      if (cell.small.textContent !== detail) cell.small.textContent = detail;
    }
  };
  update(results);
  return { node: el("dl", { class: "stats", "aria-live": "polite" }, cells.map((c) => c.tile)), update };
}

function chartBlock(r) {
  if (!r.minutes.length) return el("p", { class: "muted", text: "The chart appears once the show has viewers or orders." });
  const peakOrders = Math.max(...r.minutes.map((m) => m.orders));
  const description = `${r.minutes.length} minutes from ${new Date(r.minutes[0].minute).toLocaleTimeString()}: ` +
    `at most ${r.peak_viewers} viewers at once and ${peakOrders} paid orders in one minute. The table below has every value.`;
  const rows = r.minutes.map((m) => el("tr", {},
    el("th", { scope: "row", text: timeLabel(m.minute) }),
    el("td", { class: "num", text: String(m.viewers) }), el("td", { class: "num", text: String(m.orders) }),
    el("td", { class: "num", text: String(m.units) })));
  return el("figure", { class: "chart-box" },
    minuteChart(r.minutes, { title: "Viewers and paid orders per minute", description }),
    el("figcaption", {},
      el("span", { class: "key viewers", text: "Viewers (line, left axis)" }),
      el("span", { class: "key orders", text: "Paid orders (bars, right axis)" })),
    el("details", {}, el("summary", { text: "Show the numbers as a table" }),
      dataTable({ "data-testid": "minutes-table" }, {
        caption: "Viewers and paid orders per minute", hiddenCaption: true, numeric: [1, 2, 3],
        columns: ["Minute", "Viewers", "Orders", "Units"] }, rows)));
}

function offerBreakdown(r) {
  if (!r.offers.length) return el("p", { class: "muted", text: "No products in the lineup." });
  const rows = r.offers.map((o) => el("tr", { "data-testid": "result-offer", "data-offer-id": o.offer_id },
    el("th", { scope: "row", text: o.title }),
    el("td", { class: "num", text: formatPrice(o.price_cents, o.currency) }),
    el("td", { class: "num", text: `${o.units_sold} / ${o.stock}` }),
    el("td", { class: "num", text: String(o.orders) }),
    el("td", { class: "num", text: String(o.buyers) }),
    el("td", { class: "num", "data-testid": "result-offer-revenue", text: formatPrice(o.revenue_cents, o.currency) })));
  return dataTable({ "data-testid": "offer-results" }, {
    caption: "Per product", numeric: [1, 2, 3, 4, 5],
    columns: ["Product", "Show price", "Sold / stock", "Orders", "Buyers", "Revenue"] }, rows);
}
