// The discovery page (GET /api/discover): shows live now with the card on screen and the viewer count,
// upcoming ones with a countdown, the merchant and a calendar link, and recent ones; each links to its
// watch page. Refreshes every 30 s so live counts stay fresh.
import "/static/js/attribution.js"; // a utm_* link to the home page still counts
import { api, formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { calendarLink, everySecond, formatLeft } from "/static/js/watch-time.js";

const REFRESH_MS = 30000;
const EMPTY = { live: "Nothing is live right now.", upcoming: "No shows are scheduled.", recent: "No recent shows." };
let stopCountdowns = [];

function tile(show, kind) {
  const watch = `/watch/${encodeURIComponent(show.id)}`;
  const lines = [el("h3", { text: show.title }), el("span", { class: "muted", text: show.merchant_name })];
  if (kind === "live") {
    lines.unshift(el("span", { class: "state-badge", text: "Live", "data-state": "live" }));
    lines.push(el("span", { "data-testid": "viewers", text: `${show.viewers ?? 0} watching` }));
    if (show.card) {
      lines.push(el("span", { "data-testid": "live-card",
        text: `${show.card.title} · ${formatPrice(show.card.price_cents, show.card.currency)}` }));
    }
  } else if (kind === "upcoming") {
    const left = el("span", { "data-testid": "countdown" });
    const starts = new Date(show.starts_at);
    stopCountdowns.push(everySecond(() => {
      left.textContent = formatLeft(starts) ? `starts in ${formatLeft(starts)}` : "starting";
    }));
    lines.push(left);
  } else {
    lines.push(el("span", { class: "muted", text: `ended ${new Date(show.ended_at).toLocaleDateString()}` }));
  }
  const cover = el("a", { class: "cover", href: watch },
    el("img", { src: show.card?.image_url || show.image_url, alt: "", loading: "lazy" }),
    el("div", { class: "body" }, ...lines));
  const item = el("li", { class: "tile", "data-testid": "show-tile", "data-show-id": show.id }, cover);
  if (kind === "upcoming") {
    item.append(el("div", { class: "actions" }, el("a", {
      class: "button", href: calendarLink(show, new URL(watch, location.href).href),
      download: "show.ics", text: "Add to calendar" })));
  }
  return item;
}

// A failed refresh keeps the shows already listed and says so above them; the next refresh clears it.
async function load() {
  const problem = document.getElementById("discover-error");
  let found;
  try {
    found = await api("GET", "/api/discover");
  } catch (error) {
    problem.textContent = error.message; // an ApiError: the server's message or "cannot be reached"
    problem.hidden = false;
    return;
  }
  problem.hidden = true;
  for (const stop of stopCountdowns) stop();
  stopCountdowns = [];
  for (const kind of ["live", "upcoming", "recent"]) {
    const list = document.getElementById(kind);
    const items = found[kind].map((show) => tile(show, kind));
    list.replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: EMPTY[kind] })]));
  }
}

await load();
setInterval(load, REFRESH_MS);
