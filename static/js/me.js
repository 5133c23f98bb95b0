// A viewer's own page /me: sign in (any device), their orders with "Review this" and "Report a problem",
// their problem reports with the shop's answers and refunds, and the questions they asked or answered.
import { api, ApiError, currentUser, formatPrice } from "/static/js/api.js";
import { badgeChips } from "/static/js/badges.js";
import { logout, requireLogin } from "/static/js/login.js";
import { el } from "/static/js/dom.js";
import { formErrors, onSubmit } from "/static/js/merchant-ui.js";

const root = document.getElementById("app");
const KINDS = [["damaged", "Arrived damaged"], ["not_received", "Not received"], ["wrong_item", "Wrong item"],
  ["other", "Something else"]];

function toggleForm(label, testid, build) {
  const holder = el("div");
  const button = el("button", { type: "button", "data-testid": testid, text: label,
    onclick: () => { holder.replaceChildren(build(() => holder.replaceChildren())); } });
  return [button, holder];
}

function reviewForm(order, offer) {
  const form = el("form", { "data-testid": "review-form" },
    el("label", { for: `rating-${order.id}`, text: "Stars" }),
    el("select", { id: `rating-${order.id}`, name: "rating", "data-testid": "review-rating" },
      ...[5, 4, 3, 2, 1].map((n) => el("option", { value: String(n), text: "★".repeat(n) }))),
    el("label", { for: `review-${order.id}`, text: "Your review" }),
    el("textarea", { id: `review-${order.id}`, name: "body", maxlength: "2000", required: true,
                     "data-testid": "review-body" }),
    el("button", { type: "submit", class: "primary", "data-testid": "review-submit", text: "Publish review" }));
  const errors = formErrors(form, "review-error");
  form.append(errors.line);
  onSubmit(form, errors, async () => {
    await api("POST", `/api/products/${encodeURIComponent(offer.product_id)}/reviews`, {
      rating: Number(form.elements.rating.value), body: form.elements.body.value.trim() });
    form.replaceWith(el("p", { class: "ok", "data-testid": "review-done", text: "Thanks! Your review is published." }));
  });
  return form;
}

function issueForm(order, done) {
  const form = el("form", { "data-testid": "issue-form" },
    el("label", { for: `kind-${order.id}`, text: "What happened?" }),
    el("select", { id: `kind-${order.id}`, name: "kind", "data-testid": "issue-kind" },
      ...KINDS.map(([value, text]) => el("option", { value, text }))),
    el("label", { for: `issue-${order.id}`, text: "Tell the shop" }),
    el("textarea", { id: `issue-${order.id}`, name: "text", maxlength: "2000", required: true,
                     "data-testid": "issue-text" }),
    el("button", { type: "submit", class: "primary", "data-testid": "issue-submit", text: "Send to the shop" }));
  const errors = formErrors(form, "issue-error");
  form.append(errors.line);
  onSubmit(form, errors, async () => {
    await api("POST", `/api/orders/${encodeURIComponent(order.id)}/issues`, {
      kind: form.elements.kind.value, text: form.elements.text.value.trim() });
    done();
    await render();
  });
  return form;
}

function orderItem(order, offer) {
  const title = offer ? offer.title : order.offer_id;
  const refunded = order.refunded_cents
    ? el("span", { class: "ok", "data-testid": "order-refunded",
                   text: ` · refunded ${formatPrice(order.refunded_cents, order.currency)}` }) : null;
  const li = el("li", { class: "card", "data-testid": "my-order", "data-order-id": order.id },
    el("p", { class: "row" }, el("b", { text: title }),
      el("span", { class: "state", "data-testid": "order-state", text: order.status }),
      el("span", { text: formatPrice(order.amount_cents, order.currency) }), refunded));
  if (order.status === "paid" && offer) {
    li.append(...toggleForm("Review this", "review-this", () => reviewForm(order, offer)),
              ...toggleForm("Report a problem", "report-problem", (done) => issueForm(order, done)));
  }
  return li;
}

function issueItem(issue) {
  const li = el("li", { class: "card", "data-testid": "my-issue", "data-issue-id": issue.id },
    el("p", { class: "row" }, el("b", { text: KINDS.find(([k]) => k === issue.kind)?.[1] || issue.kind }),
      el("span", { class: "state", "data-testid": "issue-state", text: issue.state }),
      issue.refund_cents ? el("span", { class: "ok", "data-testid": "issue-refund",
        text: `refund ${formatPrice(issue.refund_cents, issue.currency)}` }) : null),
    el("div", { class: "thread" }, ...issue.messages.map((m) => el("p", {},
      el("b", { text: m.author_role === "merchant" ? "Shop" : "You" }), `: ${m.text}`))));
  if (issue.decline_reason) li.append(el("p", { text: `Declined: ${issue.decline_reason}` }));
  if (issue.state === "open" || issue.state === "answered") li.append(threadForm(issue));
  return li;
}

function threadForm(issue) {
  const form = el("form", { "data-testid": "thread-form" },
    el("label", { for: `thread-${issue.id}`, text: "Write to the shop" }),
    el("textarea", { id: `thread-${issue.id}`, name: "text", maxlength: "2000", required: true }),
    el("button", { type: "submit", "data-testid": "thread-send", text: "Send" }));
  const errors = formErrors(form, "thread-error");
  form.append(errors.line);
  onSubmit(form, errors, async () => {
    await api("POST", `/api/order-issues/${encodeURIComponent(issue.id)}/messages`, { text: form.elements.text.value.trim() });
    await render();
  });
  return form;
}

function questionItem(q) {
  return el("li", { class: "card", "data-testid": "my-question" },
    el("p", {}, el("b", { text: q.product_title || "A question in a live show" }), `: ${q.text}`),
    ...q.answers.map((a) => el("p", {}, el("span", { text: `${a.author.display_name}` }), ...badgeChips(a.author.badges),
                              ` (${a.label}): ${a.text}`)));
}

async function offersOf(orders) {
  const offers = {};
  for (const showId of new Set(orders.map((o) => o.show_id))) {
    try {
      const show = await api("GET", `/api/shows/${encodeURIComponent(showId)}`);
      for (const offer of show.offers) offers[offer.id] = offer;
    } catch (_) { /* a show that is gone: the order still lists */ }
  }
  return offers;
}

async function render() {
  const [{ orders }, { issues }, { questions }] = await Promise.all([
    api("GET", "/api/me/orders"), api("GET", "/api/me/order-issues"), api("GET", "/api/me/questions")]);
  const offers = await offersOf(orders);
  root.replaceChildren(
    el("p", { class: "row" }, el("span", { class: "muted", text: "Signed in" }),
      el("button", { type: "button", "data-testid": "logout", text: "Sign out", onclick: () => logout() })),
    el("h1", { text: "My orders" }),
    orders.length ? el("ol", { "data-testid": "my-orders" }, ...orders.map((o) => orderItem(o, offers[o.offer_id])))
      : el("p", { class: "muted", text: "No orders yet." }),
    el("section", {}, el("h2", { text: "Problems reported" }),
      el("ol", { "data-testid": "my-issues" }, ...issues.map(issueItem))),
    el("section", {}, el("h2", { text: "My questions and answers" }),
      el("ol", { "data-testid": "my-questions" }, ...questions.map(questionItem))));
}

async function main() {
  const user = await currentUser();
  if (!user || user.role !== "viewer") await requireLogin(root, ["viewer"], { title: "Sign in to see your orders", user });
  try {
    await render();
  } catch (error) {
    root.replaceChildren(el("p", { class: "error", role: "alert", text: error instanceof ApiError ? error.message : String(error) }));
  }
}

main();
