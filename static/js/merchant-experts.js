// Dashboard: expert customers (earned or named; the thresholds) and the public rankings of the products.
import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { dataTable, field, formErrors, input, onSubmit } from "/static/js/merchant-ui.js";

export async function expertsView(view) {
  const list = el("ul", { class: "list", "data-testid": "experts" });
  const refresh = async () => {
    const { experts } = await api("GET", "/api/merchants/me/experts");
    list.replaceChildren(...experts.map((e) => el("li", { "data-testid": "expert-row" },
      el("b", { text: e.display_name }), ` · ${e.source} · ${e.paid_orders} paid orders · ${e.helpful_votes} helpful votes `,
      el("button", { type: "button", "data-testid": "expert-remove", text: "Remove badge",
        onclick: async () => { await api("DELETE", `/api/merchants/me/experts/${encodeURIComponent(e.user_id)}`); await refresh(); } }))));
    if (!experts.length) list.append(el("li", { class: "muted", text: "No experts yet." }));
  };
  const { expert_min_orders: orders, expert_min_helpful: helpful } = await api("GET", "/api/merchants/me/community-settings");
  const settings = el("form", { class: "card form", "data-testid": "expert-settings" });
  const errors = formErrors(settings, "settings-error");
  settings.append(el("h2", { text: "Who becomes an expert" }),
    field("Paid orders", input("expert-orders", "orders", { type: "number", min: "1", value: String(orders) })),
    field("Helpful votes on their reviews", input("expert-helpful", "helpful", { type: "number", min: "0", value: String(helpful) })),
    errors.line, el("button", { type: "submit", class: "primary", text: "Save" }));
  onSubmit(settings, errors, async () => {
    await api("PUT", "/api/merchants/me/community-settings", {
      expert_min_orders: Number(settings.elements.orders.value), expert_min_helpful: Number(settings.elements.helpful.value) });
    await refresh();
  });
  view.replaceChildren(el("h1", { tabindex: "-1", text: "Experts" }), list, settings);
  await refresh();
}

export async function rankingsView(view, { user }) {
  const base = `/api/merchants/${encodeURIComponent(user.merchant_id)}/rankings`;
  const tables = [];
  for (const [by, caption] of [["rating", "Top rated (Bayesian average)"], ["sales", "Best sellers"], ["reviews", "Most reviewed"]]) {
    const { products } = await api("GET", `${base}?by=${by}&limit=10`);
    tables.push(dataTable({ "data-testid": `ranking-${by}` }, { caption, columns: ["Product", "Rating", "Reviews", "Score", "Units sold"], numeric: [1, 2, 3, 4] },
      products.map((p) => el("tr", {}, el("td", { text: p.title }), el("td", { class: "num", text: p.rating == null ? "–" : p.rating.toFixed(2) }),
        el("td", { class: "num", text: String(p.reviews) }), el("td", { class: "num", text: p.score == null ? "–" : p.score.toFixed(2) }),
        el("td", { class: "num", text: String(p.units_sold) })))));
  }
  view.replaceChildren(el("h1", { tabindex: "-1", text: "Rankings" }), ...tables);
}
