// The product card over the video and the show's lineup: prices, "Only N left" from live stock, the flash
// deal's countdown, the rating. Everything is rendered with textContent (titles come from merchants).
import { formatPrice } from "/static/js/api.js";
import { everySecond, formatLeft } from "/static/js/watch-time.js";

const $ = (root, id) => root.querySelector(`[data-testid=${id}]`);

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
      const item = document.createElement("li");
      item.className = "lineup-item";
      item.dataset.testid = "lineup-item";
      item.dataset.offerId = offer.id;
      if (current && current.id === offer.id) item.classList.add("on-screen");
      const img = document.createElement("img");
      img.alt = "";
      if (offer.image_url) img.src = offer.image_url;
      else img.classList.add("placeholder");
      const text = document.createElement("div");
      const title = document.createElement("p");
      title.className = "title";
      title.textContent = offer.title;
      const price = document.createElement("p");
      price.className = "price";
      price.textContent = formatPrice(offer.price_cents, offer.currency);
      const left = document.createElement("p");
      left.className = "left";
      left.dataset.testid = "lineup-remaining";
      left.textContent = remainingText(remaining(offer.id));
      text.append(title, price, left);
      if (current && current.id === offer.id) {
        const badge = document.createElement("p");
        badge.className = "badge";
        badge.textContent = "On screen now";
        text.append(badge);
      }
      item.append(img, text);
      return item;
    }));
  }

  function renderRemaining() {
    if (!current) return;
    const n = remaining(current.id);
    const el = $(card, "card-remaining");
    el.textContent = remainingText(n);
    el.dataset.remaining = String(n);
    el.classList.toggle("low", n > 0 && n <= 5);
  }

  function dealRunning() {
    return Boolean(current && current.deal_ends_at && new Date(current.deal_ends_at) > new Date());
  }

  function startDealCountdown() {
    stopDeal();
    const el = $(card, "deal-countdown");
    if (!current || !current.deal_ends_at) {
      el.hidden = true;
      return;
    }
    const ends = new Date(current.deal_ends_at);
    el.hidden = false;
    stopDeal = everySecond(() => {
      const left = formatLeft(ends);
      el.textContent = left ? `Flash deal ends in ${left}` : "Deal ended";
      el.classList.toggle("over", !left);
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
