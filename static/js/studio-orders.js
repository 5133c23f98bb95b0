// The orders ticker: newest first, each order's status moving reserved -> paid / failed / expired in place.
import { formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";

const SHOWN = 50;
const WORDS = { reserved: "reserved", paid: "paid", payment_failed: "payment failed", expired: "expired" };

// titleOf(offerId) -> the product's name
export function createOrdersTicker(list, empty, titleOf) {
  const items = new Map(); // order id -> {li, status}
  const orders = new Map();

  function item(order) {
    const amount = order.amount_cents ?? order.price_cents * order.quantity;
    const status = el("span", { class: "order-status" });
    const li = el("li", { class: "order", "data-testid": "order", "data-order-id": order.id },
      el("span", { class: "order-buyer", text: order.buyer_name || "A viewer" }),
      status,
      el("span", { class: "order-item",
        text: `${order.quantity} × ${titleOf(order.offer_id)} · ${formatPrice(amount, order.currency)}` }),
      el("time", { class: "muted", datetime: order.created_at, text: new Date(order.created_at).toLocaleTimeString() }));
    return { li, status };
  }

  // A newer status replaces the old one; a late 'reserved' never overwrites a final status.
  function update(order) {
    const known = orders.get(order.id);
    if (known && known.status !== "reserved" && order.status === "reserved") return;
    orders.set(order.id, order);
    let shown = items.get(order.id);
    if (!shown) {
      shown = item(order);
      items.set(order.id, shown);
      list.prepend(shown.li);
      while (list.children.length > SHOWN) {
        const last = list.lastElementChild;
        items.delete(last.dataset.orderId);
        orders.delete(last.dataset.orderId);
        last.remove();
      }
    }
    shown.li.dataset.status = order.status;
    shown.status.textContent = WORDS[order.status] || order.status;
    empty.hidden = items.size > 0;
  }

  function setAll(all) {
    items.clear();
    orders.clear();
    list.replaceChildren();
    for (const order of [...all].reverse()) update(order);
  }

  return { setAll, update };
}
