// The discovery page (GET /api/discover): shows live now with the card on screen and the viewer count,
// upcoming ones with a countdown, the merchant and a calendar link, and recent ones; each links to its
// watch page. Refreshes every 30 s so live counts stay fresh.
import "/static/js/attribution.js"; // a utm_* link to the home page still counts
import { formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { calendarLink, everySecond, formatLeft } from "/static/js/watch-time.js";

const REFRESH_MS = 30000;
const EMPTY = { live: "Nothing is live right now.", upcoming: "No shows are scheduled.", recent: "No recent shows." };
let stopCountdowns = [];

function tile(show, kind) {
  const watch = `/watch/${encodeURIComponent(show.id)}`;
  const lines = [el("h3", { textContent: show.title }), el("span", { className: "muted", textContent: show.merchant_name })];
  if (kind === "live") {
    lines.unshift(el("span", { className: "state-badge", textContent: "Live", dataset: { state: "live" } }));
    lines.push(el("span", { dataset: { testid: "viewers" }, textContent: `${show.viewers ?? 0} watching` }));
    if (show.card) {
      lines.push(el("span", { dataset: { testid: "live-card" },
        textContent: `${show.card.title} · ${formatPrice(show.card.price_cents, show.card.currency)}` }));
    }
  } else if (kind === "upcoming") {
    const left = el("span", { dataset: { testid: "countdown" } });
    const starts = new Date(show.starts_at);
    stopCountdowns.push(everySecond(() => {
      left.textContent = formatLeft(starts) ? `starts in ${formatLeft(starts)}` : "starting";
    }));
    lines.push(left);
  } else {
    lines.push(el("span", { className: "muted", textContent: `ended ${new Date(show.ended_at).toLocaleDateString()}` }));
  }
  const cover = el("a", { className: "cover", href: watch },
    el("img", { src: show.card?.image_url || show.image_url, alt: "", loading: "lazy" }),
    el("div", { className: "body" }, ...lines));
  const item = el("li", { className: "tile", dataset: { testid: "show-tile", showId: show.id } }, cover);
  if (kind === "upcoming") {
    item.append(el("div", { className: "actions" }, el("a", {
      className: "button", href: calendarLink(show, new URL(watch, location.href).href),
      download: "show.ics", textContent: "Add to calendar" })));
  }
  return item;
}

async function load() {
  const response = await fetch("/api/discover");
  if (!response.ok) return;
  const found = await response.json();
  for (const stop of stopCountdowns) stop();
  stopCountdowns = [];
  for (const kind of ["live", "upcoming", "recent"]) {
    const list = document.getElementById(kind);
    const items = found[kind].map((show) => tile(show, kind));
    list.replaceChildren(...(items.length ? items : [el("li", { className: "muted", textContent: EMPTY[kind] })]));
  }
}

await load();
setInterval(load, REFRESH_MS);
