// The show's lineup for the host: one row per offer with its live counters (sold, reserved, remaining) and
// the card actions (push, pin, flash deal). Rows are built once and then only their numbers change.
import { formatPrice } from "/static/js/api.js";

const ZERO = { sold: 0, reserved: 0, remaining: 0 };

export class Lineup {
  // act(event, payload) -> Promise: a host action over the socket (push_card, start_deal, ...)
  constructor(list, unpinButton, { act, onTotals }) {
    Object.assign(this, { list, unpinButton, act, onTotals });
    this.rows = new Map();
    this.offers = new Map();
    this.counters = {};
    this.card = null;
    this.showState = "scheduled";
    this.countdown = setInterval(() => this.tick(), 1000);
    unpinButton.addEventListener("click", () => this.run(unpinButton, "unpin_card", {}));
  }

  title(offerId) {
    const offer = this.offers.get(offerId);
    return offer ? offer.title : "A product";
  }

  setOffers(offers) {
    this.offers = new Map(offers.map((o) => [o.id, o]));
    this.rows = new Map(offers.map((o) => [o.id, this.row(o)]));
    this.list.replaceChildren(...this.rows.values());
    if (!offers.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "No products in this show yet. Add them from the merchant dashboard.";
      this.list.append(empty);
    }
    this.render();
  }

  setCounters(counters) {
    this.counters = { ...this.counters, ...counters };
    this.render();
  }

  // The public stock event carries only what is left; sold and reserved come with offer_counters.
  setRemaining(stock) {
    for (const [offerId, remaining] of Object.entries(stock)) {
      this.counters[offerId] = { ...(this.counters[offerId] || ZERO), remaining };
    }
    this.render();
  }

  setCard(card) {
    this.card = card;
    this.render();
  }

  setShowState(state) {
    this.showState = state;
    this.render();
  }

  row(offer) {
    const li = document.createElement("li");
    li.className = "offer";
    li.dataset.testid = "offer";
    li.dataset.offerId = offer.id;
    li.innerHTML = `
      <div class="offer-head">
        <div class="offer-thumb" aria-hidden="true"></div>
        <div class="offer-text">
          <h3 class="offer-title"></h3>
          <p class="offer-price"><strong class="price"></strong> <s class="list-price muted"></s></p>
          <p class="offer-badges"><span class="badge on-screen">On screen</span> <span class="badge deal"></span></p>
        </div>
      </div>
      <dl class="counters" aria-label="Sales of this product">
        <div><dt>Sold</dt><dd data-testid="sold">0</dd></div>
        <div><dt>Reserved</dt><dd data-testid="reserved">0</dd></div>
        <div><dt>Left</dt><dd data-testid="remaining">0</dd></div>
      </dl>
      <div class="offer-actions">
        <button type="button" class="primary" data-testid="push-card">Push card</button>
        <button type="button" data-testid="pin">Pin</button>
        <span class="deal-controls">
          <label>Deal seconds</label>
          <input type="number" min="5" max="86400" step="1" value="60" inputmode="numeric"
                 data-testid="deal-seconds">
          <button type="button" data-testid="start-deal">Start flash deal</button>
          <button type="button" data-testid="end-deal">End deal</button>
        </span>
      </div>
      <p class="error offer-error" role="alert"></p>`;
    li.querySelector(".offer-title").textContent = offer.title;
    li.querySelector(".price").textContent = formatPrice(offer.price_cents, offer.currency);
    if (offer.list_price_cents > offer.price_cents) {
      li.querySelector(".list-price").textContent = formatPrice(offer.list_price_cents, offer.currency);
    }
    li.querySelector(".offer-thumb").textContent = offer.title.trim().charAt(0).toUpperCase();
    if (offer.image_url) {
      const img = document.createElement("img");
      img.alt = "";
      img.src = offer.image_url;
      img.addEventListener("error", () => img.remove());
      li.querySelector(".offer-thumb").append(img);
    }
    const name = offer.title;
    const [push, pin, start, end] = ["push-card", "pin", "start-deal", "end-deal"]
      .map((id) => li.querySelector(`[data-testid=${id}]`));
    push.setAttribute("aria-label", `Push card: ${name}`);
    pin.setAttribute("aria-label", `Pin card: ${name}`);
    start.setAttribute("aria-label", `Start flash deal: ${name}`);
    end.setAttribute("aria-label", `End deal: ${name}`);
    const seconds = li.querySelector("input");
    seconds.id = `deal-${offer.id}`;
    li.querySelector(".deal-controls label").htmlFor = seconds.id;
    push.addEventListener("click", () => this.run(push, "push_card", { offer_id: offer.id, pinned: false }));
    pin.addEventListener("click", () => this.run(pin, "push_card", { offer_id: offer.id, pinned: true }));
    start.addEventListener("click", () => {
      const duration = Number(seconds.value);
      if (!Number.isInteger(duration) || duration < 5 || duration > 86400) {
        li.querySelector(".offer-error").textContent = "A deal lasts 5 seconds to 24 hours.";
        seconds.focus();
        return;
      }
      this.run(start, "start_deal", { offer_id: offer.id, duration_seconds: duration });
    });
    end.addEventListener("click", () => this.run(end, "end_deal", { offer_id: offer.id }));
    return li;
  }

  async run(button, event, payload) {
    const row = button.closest("[data-testid=offer]");
    const error = row ? row.querySelector(".offer-error") : null;
    if (error) error.textContent = "";
    button.disabled = true;
    try {
      const answer = await this.act(event, payload);
      if (answer && "card" in answer) this.setCard(answer.card);
    } catch (caught) {
      if (error) error.textContent = caught.message;
    } finally {
      button.disabled = false;
      this.render();
    }
  }

  render() {
    const totals = { sold: 0, reserved: 0 };
    const live = this.showState === "live";
    for (const [offerId, li] of this.rows) {
      const counts = this.counters[offerId] || { ...ZERO, remaining: this.offers.get(offerId).remaining };
      for (const key of ["sold", "reserved", "remaining"]) {
        const cell = li.querySelector(`[data-testid=${key}]`);
        const text = String(counts[key]);
        if (cell.textContent !== text) cell.textContent = text;
      }
      li.classList.toggle("sold-out", live && counts.remaining === 0);
      totals.sold += counts.sold;
      totals.reserved += counts.reserved;
      const current = Boolean(this.card && this.card.id === offerId);
      li.dataset.current = String(current);
      li.querySelector(".on-screen").textContent = current ? (this.card.pinned ? "On screen · pinned" : "On screen") : "";
      const deal = current && this.card.deal_ends_at;
      li.querySelector("[data-testid=end-deal]").hidden = !deal;
      li.querySelector("[data-testid=pin]").setAttribute("aria-pressed", String(current && this.card.pinned));
      for (const button of li.querySelectorAll("button")) button.disabled = this.showState === "ended";
    }
    this.unpinButton.hidden = !this.card || !live;
    this.tick();
    this.onTotals(totals);
  }

  tick() {
    for (const [offerId, li] of this.rows) {
      const badge = li.querySelector(".deal");
      const ends = this.card && this.card.id === offerId && this.card.deal_ends_at;
      const left = ends ? Math.max(0, Math.round((Date.parse(ends) - Date.now()) / 1000)) : 0;
      const text = ends ? (left > 0 ? `Deal: ${formatSeconds(left)} left` : "Deal ended") : "";
      if (badge.textContent !== text) badge.textContent = text;
    }
  }
}

function formatSeconds(total) {
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}
