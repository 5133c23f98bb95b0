// Dashboard: the complaints inbox. Each problem report with its thread; the shop answers, refunds in full or
// in part (through the payment provider) or declines with a reason.
import { api, formatPrice } from "/static/js/api.js";
import { textForm } from "/static/js/merchant-reviews.js";
import { el } from "/static/js/dom.js";
import { formErrors, fromMinorUnits, onSubmit, toMinorUnits } from "/static/js/merchant-ui.js";

function refundForm(issue, refresh) {
  const id = `refund-${issue.id}`;
  const left = issue.amount_cents;
  const form = el("form", { class: "inline-form", "data-testid": "refund-form" },
    el("label", { for: id, text: `Refund (${issue.currency}, up to ${fromMinorUnits(left, issue.currency)})` }),
    el("input", { id, name: "amount", inputmode: "decimal", value: fromMinorUnits(left, issue.currency),
                  "data-testid": "refund-amount" }),
    el("button", { type: "submit", class: "primary", "data-testid": "refund-submit", text: "Refund" }));
  const errors = formErrors(form, "refund-error");
  form.append(errors.line);
  onSubmit(form, errors, async () => {
    const cents = toMinorUnits(form.elements.amount.value, issue.currency, "Refund");
    await api("POST", `/api/order-issues/${encodeURIComponent(issue.id)}/resolve`, { refund_cents: cents });
    await refresh();
  });
  return form;
}

function issueRow(issue, refresh) {
  const closed = issue.state === "resolved" || issue.state === "declined";
  const row = el("li", { class: "card", "data-testid": "issue-row", "data-issue-id": issue.id },
    el("p", {}, el("b", { text: issue.kind.replace("_", " ") }), ` · ${issue.buyer_name} · order `,
      el("code", { text: issue.order_id }), ` · ${formatPrice(issue.amount_cents, issue.currency)} · `,
      el("span", { "data-testid": "issue-state", text: issue.state }),
      issue.refund_cents ? el("span", { class: "ok", "data-testid": "issue-refund",
        text: ` · refunded ${formatPrice(issue.refund_cents, issue.currency)}` }) : null),
    el("div", { class: "thread" }, ...issue.messages.map((m) =>
      el("p", {}, el("b", { text: m.author_role === "merchant" ? "You" : m.display_name }), `: ${m.text}`))));
  if (closed) return row;
  const post = (path, body) => api("POST", `/api/order-issues/${encodeURIComponent(issue.id)}/${path}`, body);
  row.append(
    textForm({ id: `msg-${issue.id}`, label: "Answer the buyer", button: "Send", testid: "issue-message",
      send: (text) => post("messages", { text }), after: refresh }),
    refundForm(issue, refresh),
    textForm({ id: `decline-${issue.id}`, label: "Decline with a reason", button: "Decline", testid: "decline",
      send: (reason) => post("decline", { reason }), after: refresh }));
  return row;
}

export async function issuesView(view) {
  const list = el("ol", { class: "list", "data-testid": "issues" });
  const refresh = async () => {
    const { issues } = await api("GET", "/api/merchants/me/order-issues");
    list.replaceChildren(...issues.map((i) => issueRow(i, refresh)));
    if (!issues.length) list.append(el("li", { class: "muted", text: "No problems reported." }));
  };
  view.replaceChildren(el("h1", { tabindex: "-1", text: "Complaints" }), list);
  await refresh();
}
