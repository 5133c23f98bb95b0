// A show's results by source: each affiliate, each utm_source and direct (viewers, buyers, orders, revenue,
// conversion), from GET /api/shows/{id}/results `by_source`.
import { formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { dataTable } from "/static/js/merchant-ui.js";

const KIND = { affiliate: "Affiliate", utm_source: "utm_source", direct: "Direct" };

export function sourceBreakdown(results) {
  const currency = results.offers[0]?.currency || "USD";
  const rows = (results.by_source || []).map((s) => el("tr", { "data-testid": "result-source", "data-source": s.source },
    el("th", { scope: "row", text: s.kind === "affiliate" ? `${s.display_name} (${s.source})` : s.source }),
    el("td", { text: KIND[s.kind] }),
    el("td", { class: "num", text: String(s.viewers) }),
    el("td", { class: "num", text: String(s.buyers) }),
    el("td", { class: "num", "data-testid": "result-source-orders", text: String(s.orders) }),
    el("td", { class: "num", text: formatPrice(s.revenue_cents, currency) }),
    el("td", { class: "num", text: s.conversion === null ? "–" : `${(s.conversion * 100).toFixed(1)}%` })));
  return dataTable({ "data-testid": "source-results" }, {
    caption: "By source", numeric: [2, 3, 4, 5, 6],
    columns: ["Source", "Kind", "Viewers", "Buyers", "Orders", "Revenue", "Conversion"] }, rows);
}
