// The merchant dashboard: sign in (or sign up), then products, hosts and shows in sections chosen from the
// navigation. The address's hash is the view (#products, #hosts, #shows, #shows/<id>), so Back works and a
// show's page can be bookmarked.
import { logout } from "/static/js/login.js";
import { affiliatesView } from "/static/js/merchant-affiliates.js";
import { signIn } from "/static/js/merchant-auth.js";
import { hostsView } from "/static/js/merchant-hosts.js";
import { productsView } from "/static/js/merchant-products.js";
import { showDetailView } from "/static/js/merchant-show.js";
import { showsView } from "/static/js/merchant-shows.js";
import { el } from "/static/js/dom.js";
import { expertsView, rankingsView } from "/static/js/merchant-experts.js";
import { issuesView } from "/static/js/merchant-issues.js";
import { questionsView, reviewsView } from "/static/js/merchant-reviews.js";

const TABS = [["products", "Products"], ["hosts", "Hosts"], ["shows", "Shows"], ["affiliates", "Affiliates"]];
// Community and trust.
TABS.push(["reviews", "Reviews"], ["questions", "Questions"], ["issues", "Complaints"], ["experts", "Experts"],
  ["rankings", "Rankings"]);
const COMMUNITY = { reviews: reviewsView, questions: questionsView, issues: issuesView, experts: expertsView,
  rankings: rankingsView };
const root = document.getElementById("app");
let leave = null; // the current view's clean-up (e.g. stop refreshing live results)

function shell(user) {
  const links = TABS.map(([id, label]) => el("a", { href: `#${id}`, "data-testid": `tab-${id}`, "data-tab": id, text: label }));
  const signOut = el("button", { type: "button", "data-testid": "logout", text: "Sign out",
                                 onclick: () => logout().catch(() => location.reload()) });
  const header = el("header", { class: "topbar" },
    el("p", { class: "brand", text: "Live shopping" }),
    el("nav", { "aria-label": "Dashboard sections" }, links),
    el("p", { class: "who" }, el("span", { class: "muted", text: user.display_name }), signOut));
  const view = el("main", { id: "view", class: "view", tabindex: "-1" });
  root.replaceChildren(header, view);
  return { links, view };
}

function route(hash) {
  const [tab, id] = hash.replace(/^#/, "").split("/");
  if (tab === "shows" && id) return { tab, render: (view, context) => showDetailView(view, context, decodeURIComponent(id)) };
  if (tab === "hosts") return { tab, render: hostsView };
  if (tab === "affiliates") return { tab, render: affiliatesView };
  if (tab === "shows") return { tab, render: showsView };
  if (tab in COMMUNITY) return { tab, render: COMMUNITY[tab] };
  return { tab: "products", render: productsView };
}

async function main() {
  let user;
  try {
    user = await signIn(root);
  } catch (error) {
    root.replaceChildren(el("main", { class: "page" }, el("p", { class: "error", role: "alert", text: error.message })));
    return;
  }
  const { links, view } = shell(user);
  const context = { user };
  let current = 0; // a slow view that finishes after the user moved on is dropped, not shown
  const render = async (focus) => {
    const mine = ++current;
    if (leave) leave();
    leave = null;
    const { tab, render: draw } = route(location.hash);
    for (const link of links) {
      if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    view.replaceChildren(el("p", { class: "muted", role: "status", text: "Loading…" }));
    const target = el("div");
    let cleanup = null;
    try {
      cleanup = (await draw(target, context)) || null;
    } catch (error) {
      target.replaceChildren(el("p", { class: "error", role: "alert", text: error.message }));
    }
    if (mine !== current) {
      if (cleanup) cleanup();
      return;
    }
    leave = cleanup;
    view.replaceChildren(...target.childNodes);
    if (focus) view.querySelector("h1")?.focus();
  };
  window.addEventListener("hashchange", () => render(true));
  await render(false);
}

main();
