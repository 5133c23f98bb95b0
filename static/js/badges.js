// Badges next to a name (host, merchant, expert, buyer), as small chips: the names come from users, so
// everything goes in with textContent.
const LABEL = { host: "host", merchant: "shop", expert: "expert", buyer: "buyer" };

export function badgeChips(badges = []) {
  return badges.filter((b) => b in LABEL).map((badge) => {
    const chip = document.createElement("span");
    chip.className = "badge-chip";
    chip.dataset.badge = badge;
    chip.dataset.testid = "badge";
    chip.textContent = LABEL[badge];
    return chip;
  });
}

export function stars(rating) {
  const full = Math.round(rating);
  return "★".repeat(full) + "☆".repeat(5 - full);
}
