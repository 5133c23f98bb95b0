// The product card over the video and the show's lineup: prices, "Only N left" from live stock, the flash
// deal's countdown, the rating. Everything is rendered with textContent (titles come from merchants).
import { formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { everySecond, formatLeft } from "/static/js/watch-time.js";

const $ = (root, id) => root.querySelector(`#${id}`);

function remainingText(n) {
  if (n <= 0) return "Sold out";
  return n <= 20 ? `Only ${n} left` : `${n} available`;
}

function ratingText(offer) {
  if (offer.rating == null) return "";
  return `★ ${offer.rating.toFixed(1)} (${offer.reviews} review${offer.reviews === 1 ? "" : "s"})`;
}

export function createCard(root, { onChange = () => {} } = {}) {
  const card = $(root, "card");
  const lineup = $(root, "lineup");
  let offers = [];
  let stock = {};
  let current = null; // the card (offer + pinned, on_sale, deal_ends_at)
  let stopDeal = () => {};

  const remaining = (offerId) => (offerId in stock ? stock[offerId] : 0);

  function renderLineup() {
    $(root, "lineup-count").textContent = offers.length ? String(offers.length) : "";
    lineup.replaceChildren(...offers.map((offer) => {
      const onScreen = Boolean(current && current.id === offer.id);
      return el("li", { class: onScreen ? "lineup-item on-screen" : "lineup-item", "data-testid": "lineup-item",
        "data-offer-id": offer.id },
      el("img", { alt: "", src: offer.image_url || null, class: offer.image_url ? null : "placeholder" }),
      el("div", {},
        el("p", { class: "title", text: offer.title }),
        el("p", { class: "price", text: formatPrice(offer.price_cents, offer.currency) }),
        el("p", { class: "left", "data-testid": "lineup-remaining", text: remainingText(remaining(offer.id)) }),
        onScreen ? el("p", { class: "badge", text: "On screen now" }) : null));
    }));
  }

  function renderRemaining() {
    if (!current) return;
    const n = remaining(current.id);
    const left = $(card, "card-remaining");
    left.textContent = remainingText(n);
    left.dataset.remaining = String(n);
    left.classList.toggle("low", n > 0 && n <= 5);
  }

  function dealRunning() {
    return Boolean(current && current.deal_ends_at && new Date(current.deal_ends_at) > new Date());
  }

  function startDealCountdown() {
    stopDeal();
    const countdown = $(card, "deal-countdown");
    if (!current || !current.deal_ends_at) {
      countdown.hidden = true;
      return;
    }
    const ends = new Date(current.deal_ends_at);
    countdown.hidden = false;
    stopDeal = everySecond(() => {
      const left = formatLeft(ends);
      countdown.textContent = left ? `Flash deal ends in ${left}` : "Deal ended";
      countdown.classList.toggle("over", !left);
      if (!left) {
        stopDeal();
        onChange();
      }
    });
  }

  function renderCard() {
    card.hidden = !current;
    renderLineup();
    if (!current) {
      stopDeal();
      return;
    }
    const img = $(card, "card-image");
    img.hidden = !current.image_url;
    if (current.image_url) img.src = current.image_url;
    $(card, "card-title").textContent = current.title;
    $(card, "card-price").textContent = formatPrice(current.price_cents, current.currency);
    const list = $(card, "card-list-price");
    const discounted = current.list_price_cents > current.price_cents;
    list.textContent = discounted ? formatPrice(current.list_price_cents, current.currency) : "";
    list.hidden = !discounted;
    list.setAttribute("aria-label", discounted ? `was ${list.textContent}` : "");
    $(card, "card-rating").textContent = ratingText(current);
    renderRemaining();
    startDealCountdown();
  }

  return {
    setLineup(list, stockMap) {
      offers = list;
      stock = { ...stockMap };
      renderLineup();
    },
    setCard(next) {
      const changed = (next && next.id) !== (current && current.id);
      current = next;
      if (next && !(next.id in stock)) stock[next.id] = next.remaining;
      renderCard();
      onChange(changed);
    },
    setStock(update) {
      Object.assign(stock, update);
      renderRemaining();
      renderLineup();
      onChange(false);
    },
    current: () => current,
    remaining: () => (current ? remaining(current.id) : 0),
    // Whether a tap can buy now: the card is on sale and the deal (if any) has not run out.
    buyable: () => Boolean(current && current.on_sale && (!current.deal_ends_at || dealRunning())),
  };
}
