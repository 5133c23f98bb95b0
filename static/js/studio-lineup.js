// The show's lineup for the host: one row per offer with its live counters (sold, reserved, remaining) and
// the card actions (push, pin, flash deal). Rows are built once and then only their numbers change.
import { formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { CLIENT } from "/static/js/events.js";

const ZERO = { sold: 0, reserved: 0, remaining: 0 };
const COUNTERS = ["sold", "reserved", "remaining"];

function formatSeconds(total) {
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

function thumb(offer) {
  const box = el("div", { class: "offer-thumb", "aria-hidden": "true", text: offer.title.trim().charAt(0).toUpperCase() });
  if (offer.image_url) {
    const img = el("img", { alt: "", src: offer.image_url });
    img.addEventListener("error", () => img.remove());
    box.append(img);
  }
  return box;
}

// act(event, payload) -> Promise: a host action over the socket (push_card, start_deal, ...)
export function createLineup(list, unpinButton, { act, onTotals }) {
  let rows = new Map(); // offer id -> the row's nodes
  let offers = new Map();
  let counters = {};
  let card = null;
  let showState = "scheduled";

  async function run(button, event, payload, error = null) {
    if (error) error.textContent = "";
    button.disabled = true;
    try {
      const answer = await act(event, payload);
      if (answer && "card" in answer) card = answer.card;
    } catch (caught) {
      if (error) error.textContent = caught.message;
    } finally {
      button.disabled = false;
      render();
    }
  }

  function row(offer) {
    const name = offer.title;
    const cells = Object.fromEntries(COUNTERS.map((key) => [key, el("dd", { "data-testid": key, text: "0" })]));
    const error = el("p", { class: "error offer-error", role: "alert" });
    const seconds = el("input", { id: `deal-${offer.id}`, type: "number", min: "5", max: "86400", step: "1", value: "60",
      inputmode: "numeric", "data-testid": "deal-seconds" });
    const button = (testid, text, label, attrs = {}) =>
      el("button", { type: "button", "data-testid": testid, text, "aria-label": `${label}: ${name}`, ...attrs });
    const push = button("push-card", "Push card", "Push card", { class: "primary" });
    const pin = button("pin", "Pin", "Pin card");
    const start = button("start-deal", "Start flash deal", "Start flash deal");
    const end = button("end-deal", "End deal", "End deal");
    push.addEventListener("click", () => run(push, CLIENT.PUSH_CARD, { offer_id: offer.id, pinned: false }, error));
    pin.addEventListener("click", () => run(pin, CLIENT.PUSH_CARD, { offer_id: offer.id, pinned: true }, error));
    start.addEventListener("click", () => {
      const duration = Number(seconds.value);
      if (!Number.isInteger(duration) || duration < 5 || duration > 86400) {
        error.textContent = "A deal lasts 5 seconds to 24 hours.";
        seconds.focus();
        return;
      }
      run(start, CLIENT.START_DEAL, { offer_id: offer.id, duration_seconds: duration }, error);
    });
    end.addEventListener("click", () => run(end, CLIENT.END_DEAL, { offer_id: offer.id }, error));
    const onScreen = el("span", { class: "badge on-screen", text: "On screen" });
    const deal = el("span", { class: "badge deal" });
    const listPrice = offer.list_price_cents > offer.price_cents ? formatPrice(offer.list_price_cents, offer.currency) : "";
    const li = el("li", { class: "offer", "data-testid": "offer", "data-offer-id": offer.id },
      el("div", { class: "offer-head" }, thumb(offer),
        el("div", { class: "offer-text" },
          el("h3", { class: "offer-title", text: name }),
          el("p", { class: "offer-price" }, el("strong", { class: "price", text: formatPrice(offer.price_cents, offer.currency) }),
            " ", el("s", { class: "list-price muted", text: listPrice })),
          el("p", { class: "offer-badges" }, onScreen, " ", deal))),
      el("dl", { class: "counters", "aria-label": "Sales of this product" },
        el("div", {}, el("dt", { text: "Sold" }), cells.sold),
        el("div", {}, el("dt", { text: "Reserved" }), cells.reserved),
        el("div", {}, el("dt", { text: "Left" }), cells.remaining)),
      el("div", { class: "offer-actions" }, push, " ", pin, " ",
        el("span", { class: "deal-controls" }, el("label", { for: seconds.id, text: "Deal seconds" }), " ", seconds, " ",
          start, " ", end)),
      error);
    return { li, cells, onScreen, deal, end, pin, buttons: [push, pin, start, end] };
  }

  function tick() {
    for (const [offerId, shown] of rows) {
      const ends = card && card.id === offerId && card.deal_ends_at;
      const left = ends ? Math.max(0, Math.round((Date.parse(ends) - Date.now()) / 1000)) : 0;
      const text = ends ? (left > 0 ? `Deal: ${formatSeconds(left)} left` : "Deal ended") : "";
      if (shown.deal.textContent !== text) shown.deal.textContent = text;
    }
  }

  function render() {
    const totals = { sold: 0, reserved: 0 };
    const live = showState === "live";
    for (const [offerId, shown] of rows) {
      const counts = counters[offerId] || { ...ZERO, remaining: offers.get(offerId).remaining };
      for (const key of COUNTERS) {
        const text = String(counts[key]);
        if (shown.cells[key].textContent !== text) shown.cells[key].textContent = text;
      }
      shown.li.classList.toggle("sold-out", live && counts.remaining === 0);
      totals.sold += counts.sold;
      totals.reserved += counts.reserved;
      const current = Boolean(card && card.id === offerId);
      shown.li.dataset.current = String(current);
      shown.onScreen.textContent = current ? (card.pinned ? "On screen · pinned" : "On screen") : "";
      shown.end.hidden = !(current && card.deal_ends_at);
      shown.pin.setAttribute("aria-pressed", String(current && card.pinned));
      for (const button of shown.buttons) button.disabled = showState === "ended";
    }
    unpinButton.hidden = !card || !live;
    tick();
    onTotals(totals);
  }

  setInterval(tick, 1000);
  unpinButton.addEventListener("click", () => run(unpinButton, CLIENT.UNPIN_CARD, {}));

  return {
    title(offerId) {
      const offer = offers.get(offerId);
      return offer ? offer.title : "A product";
    },
    setOffers(all) {
      offers = new Map(all.map((o) => [o.id, o]));
      rows = new Map(all.map((o) => [o.id, row(o)]));
      list.replaceChildren(...[...rows.values()].map((shown) => shown.li));
      if (!all.length) {
        list.append(el("li", { class: "muted", text: "No products in this show yet. Add them from the merchant dashboard." }));
      }
      render();
    },
    setCounters(changed) {
      counters = { ...counters, ...changed };
      render();
    },
    // The public stock event carries only what is left; sold and reserved come with offer_counters.
    setRemaining(stock) {
      for (const [offerId, remaining] of Object.entries(stock)) {
        counters[offerId] = { ...(counters[offerId] || ZERO), remaining };
      }
      render();
    },
    setCard(next) {
      card = next;
      render();
    },
    setShowState(state) {
      showState = state;
      render();
    },
  };
}
