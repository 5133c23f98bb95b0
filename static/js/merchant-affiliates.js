// Affiliates: the people paid for the buyers they bring. Adding one creates their login (they sign in on
// /affiliate); terms can change (for new orders only); deactivating stops their links; the payouts sheet
// (CSV) says what to pay each one.
import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { field, formErrors, input, onSubmit } from "/static/js/merchant-ui.js";

function terms(a) {
  return `${a.commission.percent}% + ${(a.commission.per_new_buyer_cents / 100).toFixed(2)} per new buyer`;
}

export async function affiliatesView(view) {
  const list = el("ul", { class: "list" });
  const status = el("p", { class: "ok", role: "status", "data-testid": "affiliate-status" });
  const refresh = async () => {
    const { affiliates } = await api("GET", "/api/merchants/me/affiliates");
    const rows = affiliates.map((a) => el("li", { "data-testid": "affiliate-row", "data-affiliate-id": a.id },
      el("strong", { text: a.display_name }), " ", el("span", { class: "muted", text: `${terms(a)} · ` }),
      el("code", { "data-testid": "affiliate-link", text: a.link }), " ",
      a.active
        ? el("button", { type: "button", class: "danger", text: "Deactivate", onclick: async () => {
          await api("DELETE", `/api/merchants/me/affiliates/${a.id}`);
          status.textContent = `${a.display_name}'s links no longer attribute.`;
          await refresh();
        } })
        : el("span", { class: "muted", text: "inactive" })));
    list.replaceChildren(...rows);
    if (!rows.length) list.append(el("li", { class: "muted", text: "No affiliates yet." }));
  };
  const form = el("form", { class: "card form", "aria-labelledby": "affiliate-form-title", novalidate: true });
  const errors = formErrors(form, "affiliate-error");
  form.append(
    el("h2", { id: "affiliate-form-title", text: "Add an affiliate" }),
    field("Display name", input("affiliate-name", "display_name", { required: true, maxlength: "80" })),
    field("Email", input("affiliate-email", "email", { type: "email", required: true, autocomplete: "off" })),
    field("Password", input("affiliate-password", "password", { type: "password", required: true, minlength: "8",
      autocomplete: "new-password" }), "They sign in on /affiliate with it."),
    field("Percent of each order", input("affiliate-percent", "percent", { type: "number", min: "0", max: "100",
      step: "0.01", value: "10" })),
    field("Per new buyer (in cents)", input("affiliate-lead", "lead", { type: "number", min: "0", step: "1", value: "0" })),
    errors.line,
    el("button", { type: "submit", class: "primary", "data-testid": "affiliate-add", text: "Add affiliate" }),
  );
  onSubmit(form, errors, async () => {
    const f = form.elements;
    const { affiliate } = await api("POST", "/api/merchants/me/affiliates", {
      display_name: f.display_name.value.trim(), email: f.email.value.trim(), password: f.password.value,
      commission: { percent: Number(f.percent.value || 0), per_new_buyer_cents: Math.round(Number(f.lead.value || 0)) },
    });
    form.reset();
    status.textContent = `Added ${affiliate.display_name}: ${affiliate.link}`;
    await refresh();
  });
  view.replaceChildren(
    el("h1", { tabindex: "-1", text: "Affiliates" }),
    el("p", {}, el("a", { href: "/api/merchants/me/affiliates/payouts.csv", download: "payouts.csv",
      text: "Download the payouts sheet (CSV)" })),
    el("div", { class: "columns" },
      el("section", { "aria-labelledby": "affiliates-title" },
        el("h2", { id: "affiliates-title", text: "Your affiliates" }), status, list),
      form));
  await refresh();
}
