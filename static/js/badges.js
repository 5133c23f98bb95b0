// Badges next to a name (host, merchant, expert, buyer), as small chips: the names come from users, so
// everything goes in with textContent.
import { el } from "/static/js/dom.js";

const LABEL = { host: "host", merchant: "shop", expert: "expert", buyer: "buyer" };

export function badgeChips(badges = []) {
  return badges.filter((b) => b in LABEL).map((badge) =>
    el("span", { class: "badge-chip", "data-badge": badge, "data-testid": "badge", text: LABEL[badge] }));
}

export function stars(rating) {
  const full = Math.round(rating);
  return "★".repeat(full) + "☆".repeat(5 - full);
}
