// One-tap buying. The first tap without a saved payment method opens the checkout dialog (name, shipping
// address, sandbox card) once; then every tap is one POST with its own Idempotency-Key (a network retry of
// the same tap reuses it). The status follows the order: reserved -> paid from the socket's `order` event,
// with a poll of GET /api/orders/{id} as the fallback when no event came.
import { api, ApiError } from "/static/js/api.js";
import { attribution } from "/static/js/attribution.js";

const TEXT = {
  reserving: "Reserving…",
  reserved: "Reserved — paying…",
  paid: "Paid ✓",
  payment_failed: "Payment declined",
  expired: "Reservation expired",
  sold_out: "Sold out",
  limit_reached: "Limit reached",
  not_on_sale: "Not on sale",
};
const FINAL = new Set(["paid", "payment_failed", "expired"]);
const POLL_AFTER_MS = 3000;
const POLL_EVERY_MS = 2000;
const RETRIES = 2;

function dialogForm(dialog) {
  const form = dialog.querySelector("form");
  const error = dialog.querySelector(".error");
  dialog.querySelector("[value=cancel]").addEventListener("click", () => dialog.close("cancel"));
  return { form, error };
}

export function createCheckout(root, { showId, card, identity }) {
  const button = root.querySelector("#buy");
  const status = root.querySelector("#order-status");
  const dialog = root.querySelector("dialog#checkout");
  const { form, error } = dialogForm(dialog);
  let busy = false;
  let order = null; // the last order of this page, for the `order` event and the poll
  let pollTimer = null;
  let pendingOffer = null;
  const seen = new Map(); // order id -> latest event: the socket may beat the POST's answer

  function setStatus(code, message) {
    status.dataset.status = code;
    status.textContent = message || TEXT[code] || "";
    status.className = `order-status ${code}`;
  }

  function refresh() {
    const current = card.current();
    const soldOut = Boolean(current) && card.remaining() <= 0;
    const onSale = card.buyable() && identity.showLive();
    // Busy is not disabled: a disabled button would drop the keyboard focus (taps are ignored meanwhile).
    button.disabled = soldOut || !onSale;
    button.setAttribute("aria-busy", String(busy));
    button.textContent = busy ? "…" : soldOut ? "Sold out" : onSale ? "Buy" : "Not on sale";
    // Nothing of ours in flight or won: say why the button is off.
    const mine = ["reserving", "reserved", "paid"].includes(status.dataset.status);
    if (soldOut && !mine) setStatus("sold_out");
  }

  function follow(next) {
    if (order && next.id !== order.id) return;
    const early = seen.get(next.id);
    if (early && FINAL.has(early.status)) next = early;
    if (order && FINAL.has(order.status) && !FINAL.has(next.status)) return; // never paid -> reserved
    order = next;
    setStatus(next.status);
    clearTimeout(pollTimer);
    if (!FINAL.has(next.status)) pollTimer = setTimeout(poll, POLL_AFTER_MS);
  }

  async function poll() {
    if (!order || FINAL.has(order.status)) return;
    try {
      follow(await api("GET", `/api/orders/${encodeURIComponent(order.id)}`));
    } catch (_) {
      pollTimer = setTimeout(poll, POLL_EVERY_MS);
      return;
    }
    if (!FINAL.has(order.status)) {
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, POLL_EVERY_MS);
    }
  }

  async function post(offerId, key) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await api("POST", `/api/shows/${encodeURIComponent(showId)}/orders`,
          { offer_id: offerId, quantity: 1, ...attribution() }, { headers: { "Idempotency-Key": key } });
      } catch (caught) {
        if (caught.code !== "network" || attempt >= RETRIES) throw caught;
      }
    }
  }

  async function place(offerId) {
    busy = true;
    order = null;
    clearTimeout(pollTimer);
    setStatus("reserving");
    refresh();
    try {
      // The count comes only from the room's absolute `stock` events: a local count from this answer would
      // go stale when a declined payment returns the unit before the next event.
      const created = await post(offerId, identity.newKey());
      follow(created.order);
    } catch (caught) {
      if (caught.code === "payment_method_required" || caught.status === 401) {
        setStatus("");
        openDialog(offerId);
      } else if (caught.code in TEXT) setStatus(caught.code);
      else setStatus("error", caught instanceof ApiError ? caught.message : String(caught));
    } finally {
      busy = false;
      refresh();
    }
  }

  function openDialog(offerId) {
    pendingOffer = offerId;
    error.textContent = "";
    const user = identity.user();
    if (user && !form.elements.name.value) form.elements.name.value = user.display_name;
    if (!form.elements.country.value) {
      const region = (navigator.language || "").split("-")[1];
      if (region && region.length === 2) form.elements.country.value = region.toUpperCase();
    }
    dialog.showModal();
  }

  function details() {
    const f = form.elements;
    const name = f.name.value.trim();
    const missing = ["name", "line1", "city", "postcode", "country"].find((k) => !f[k].value.trim());
    if (missing) {
      f[missing].focus();
      return { problem: "Please fill in every field." };
    }
    const country = f.country.value.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) {
      f.country.focus();
      return { problem: "Country is a two-letter code, like US, GB or DE." };
    }
    return {
      body: {
        display_name: name,
        shipping_address: { name, line1: f.line1.value.trim(), city: f.city.value.trim(),
          postal_code: f.postcode.value.trim(), country },
        payment_method: f.payment.value,
      },
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { problem, body } = details();
    error.textContent = problem || "";
    if (problem) return;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      await identity.register(body);
      const { email, password } = form.elements;
      if (email.value.trim() && password.value) {  // offered, optional: sign in on other devices next time
        await identity.saveLogin(email.value.trim(), password.value);
      }
    } catch (caught) {
      error.textContent = caught instanceof ApiError ? caught.message : String(caught);
      return;
    } finally {
      submit.disabled = false;
    }
    dialog.close("saved");
    const offerId = pendingOffer;
    pendingOffer = null;
    if (offerId) await place(offerId);
  });

  button.addEventListener("click", () => {
    const current = card.current();
    if (busy || !current) return;
    const user = identity.user();
    if (user && user.role !== "viewer") {
      setStatus("error", "Signed in as staff: open the show in a private window to buy.");
      return;
    }
    if (!user || !user.payment_method || !user.shipping_address) openDialog(current.id);
    else place(current.id);
  });

  return {
    refresh,
    onOrder(next) {
      seen.set(next.id, next);
      if (order && next.id === order.id) follow(next);
    },
    cardChanged() {
      order = null;
      clearTimeout(pollTimer);
      setStatus("");
      refresh();
    },
  };
}
