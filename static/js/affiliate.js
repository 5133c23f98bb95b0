// The affiliate's page: sign in (role affiliate), then their links to the merchant's shows and products,
// clicks, viewers, buyers, orders, and commission pending / earned / reversed (GET /api/affiliates/me and
// /api/affiliates/me/ledger).
import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { logout, requireLogin } from "/static/js/login.js";

const app = document.getElementById("app");
const money = (cents, currency = "") => `${(cents / 100).toFixed(2)}${currency ? ` ${currency}` : ""}`;


function figure(label, value, testid) {
  return el("li", { "data-testid": testid }, el("strong", { text: String(value) }), label);
}

function table(headers, rows, testid) {
  const head = el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })));
  const body = rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))));
  return el("table", { "data-testid": testid }, el("thead", {}, head), el("tbody", {}, ...body));
}

function copyButton(url) {
  const button = el("button", { type: "button", text: "Copy" });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      button.textContent = "Copied";
    } catch (_) {
      button.textContent = "Select and copy";
    }
  });
  return button;
}

async function render() {
  const [page, ledger] = await Promise.all([api("GET", "/api/affiliates/me"), api("GET", "/api/affiliates/me/ledger")]);
  const { affiliate, stats, totals } = page;
  const signOut = el("button", { type: "button", text: "Sign out" });
  signOut.addEventListener("click", logout);
  const terms = affiliate.commission;
  app.replaceChildren(
    el("h1", { text: `${affiliate.display_name} · ${page.merchant_name}` }),
    el("p", { class: "muted", text:
      `You earn ${terms.percent}% of each order you bring, plus ${money(terms.per_new_buyer_cents)} per new buyer.` }),
    el("ul", { class: "figures" },
      figure("clicks", stats.clicks, "clicks"), figure("viewers", stats.viewers, "viewers"),
      figure("buyers", stats.buyers, "buyers"), figure("paid orders", stats.orders, "paid-orders"),
      figure("pending", money(totals.pending), "pending"), figure("earned", money(totals.earned), "earned"),
      figure("reversed", money(totals.reversed), "reversed")),
    el("h2", { text: "Your links" }),
    el("p", { class: "muted" }, "Your link to the live show: ", el("span", { class: "link-url",
      text: affiliate.link }), " ", copyButton(affiliate.link)),
    table(["", "Title", "Link", ""], page.links.map((link) => [
      link.kind === "show" ? `Show (${link.state})` : "Product", link.title,
      el("span", { class: "link-url", text: link.url }), copyButton(link.url)]), "links"),
    el("h2", { text: "Orders you brought" }),
    page.orders.length
      ? table(["Order", "Status", "Amount", "Placed"], page.orders.map((o) => [
        o.id.slice(-8), o.status, money(o.amount_cents, o.currency), new Date(o.created_at).toLocaleString()]),
      "orders")
      : el("p", { class: "muted", text: "No orders yet: share a link." }),
    el("h2", { text: "Commission" }),
    ledger.entries.length
      ? table(["Order", "Kind", "Amount", "When"], ledger.entries.map((e) => [
        e.order_id.slice(-8), e.kind, money(e.amount_cents, e.currency), new Date(e.created_at).toLocaleString()]),
      "ledger")
      : el("p", { class: "muted", text: "No commission yet." }),
    signOut,
  );
}

await requireLogin(app, ["affiliate"], { title: "Affiliate sign-in" });
await render();
