// A live or past show's results: audience, orders, units, revenue, conversion, the breakdown per offer and a
// chart of viewers and orders per minute (with the same numbers as a table). Refreshes while the show is live.
import { api, formatPrice } from "/static/js/api.js";
import { minuteChart } from "/static/js/chart.js";
import { el } from "/static/js/merchant-ui.js";

const REFRESH_MS = 15000;
const CONVERSION_HELP = "Conversion = buyers ÷ unique viewers: accounts with at least one paid order, over the distinct " +
  "visitors of the live room (a buyer always counts as a viewer). Only paid orders count as sold.";

export function resultsSection(show) {
  const body = el("div", { "aria-live": "polite", "aria-busy": "true" }, el("p", { class: "muted", text: "Loading results…" }));
  const updated = el("span", { class: "muted" });
  const refresh = el("button", { type: "button", "data-testid": "results-refresh", text: "Refresh", onclick: () => load() });
  const node = el("section", { class: "card results", "data-testid": "results", "aria-labelledby": "results-title" },
    el("div", { class: "title-line" }, el("h2", { id: "results-title", text: "Results" }), updated, refresh), body);
  const load = async () => {
    try {
      const results = await api("GET", `/api/shows/${show.id}/results`);
      body.replaceChildren(...renderResults(results));
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      body.replaceChildren(el("p", { class: "error", role: "alert", text: error.message }));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  };
  load();
  const timer = show.state === "live" ? setInterval(load, REFRESH_MS) : null;
  return { node, stop: () => timer && clearInterval(timer) };
}

function stat(label, value, testid, note) {
  return el("div", { class: "stat" },
    el("dt", { text: label }),
    el("dd", {}, el("span", { class: "value", "data-testid": testid, text: value }), note ? el("small", { class: "muted", text: note }) : null));
}

export function formatRevenue(revenue) {
  return revenue.length ? revenue.map((r) => formatPrice(r.amount_cents, r.currency)).join(" + ") : formatPrice(0, "USD");
}

function renderResults(r) {
  const counts = r.orders;
  const percent = r.conversion === null ? "–" : `${(r.conversion * 100).toFixed(1)}%`;
  const conversion = stat("Conversion", percent, "conversion", `${r.buyers} buyers ÷ ${Math.max(r.unique_viewers, r.buyers)} viewers`);
  conversion.title = CONVERSION_HELP;
  const stats = el("dl", { class: "stats" },
    stat("Peak viewers", String(r.peak_viewers), "peak-viewers", "most at the same time"),
    stat("Unique viewers", String(r.unique_viewers), "unique-viewers"),
    stat("Paid orders", String(counts.paid), "orders-count",
      `${counts.reserved} awaiting payment · ${counts.payment_failed} declined · ${counts.expired} expired`),
    stat("Units sold", String(r.units_sold), "units-sold"),
    stat("Revenue", formatRevenue(r.revenue), "revenue", "paid orders"),
    conversion);
  return [stats, el("p", { class: "muted small", id: "conversion-help", text: CONVERSION_HELP }),
    chartBlock(r), offerBreakdown(r)];
}

function chartBlock(r) {
  if (!r.minutes.length) return el("p", { class: "muted", text: "The chart appears once the show has viewers or orders." });
  const peakOrders = Math.max(...r.minutes.map((m) => m.orders));
  const description = `${r.minutes.length} minutes from ${new Date(r.minutes[0].minute).toLocaleTimeString()}: ` +
    `at most ${r.peak_viewers} viewers at once and ${peakOrders} paid orders in one minute. The table below has every value.`;
  const rows = r.minutes.map((m) => el("tr", {},
    el("th", { scope: "row", text: new Date(m.minute).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) }),
    el("td", { class: "num", text: String(m.viewers) }), el("td", { class: "num", text: String(m.orders) }),
    el("td", { class: "num", text: String(m.units) })));
  return el("figure", { class: "chart-box" },
    minuteChart(r.minutes, { title: "Viewers and paid orders per minute", description }),
    el("figcaption", {},
      el("span", { class: "key viewers", text: "Viewers (line, left axis)" }),
      el("span", { class: "key orders", text: "Paid orders (bars, right axis)" })),
    el("details", {}, el("summary", { text: "Show the numbers as a table" }),
      el("table", { class: "table", "data-testid": "minutes-table" },
        el("thead", {}, el("tr", {}, ["Minute", "Viewers", "Orders", "Units"].map((n) => el("th", { scope: "col", text: n })))),
        el("tbody", {}, rows))));
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
  return el("table", { class: "table", "data-testid": "offer-results" },
    el("caption", { text: "Per product" }),
    el("thead", {}, el("tr", {}, ["Product", "Show price", "Sold / stock", "Orders", "Buyers", "Revenue"].map(
      (n) => el("th", { scope: "col", text: n })))),
    el("tbody", {}, rows));
}
