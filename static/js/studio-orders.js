// The orders ticker: newest first, each order's status moving reserved -> paid / failed / expired in place.
import { formatPrice } from "/static/js/api.js";

const SHOWN = 50;
const WORDS = { reserved: "reserved", paid: "paid", payment_failed: "payment failed", expired: "expired" };

export class OrdersTicker {
  // titleOf(offerId) -> the product's name
  constructor(list, empty, titleOf) {
    Object.assign(this, { list, empty, titleOf });
    this.items = new Map();
    this.orders = new Map();
  }

  setAll(orders) {
    this.items.clear();
    this.orders.clear();
    this.list.replaceChildren();
    for (const order of [...orders].reverse()) this.update(order);
  }

  // A newer status replaces the old one; a late 'reserved' never overwrites a final status.
  update(order) {
    const known = this.orders.get(order.id);
    if (known && known.status !== "reserved" && order.status === "reserved") return;
    this.orders.set(order.id, order);
    let li = this.items.get(order.id);
    if (!li) {
      li = this.item(order);
      this.items.set(order.id, li);
      this.list.prepend(li);
      while (this.list.children.length > SHOWN) {
        const last = this.list.lastElementChild;
        this.items.delete(last.dataset.orderId);
        this.orders.delete(last.dataset.orderId);
        last.remove();
      }
    }
    li.dataset.status = order.status;
    li.querySelector(".order-status").textContent = WORDS[order.status] || order.status;
    this.empty.hidden = this.items.size > 0;
  }

  item(order) {
    const li = document.createElement("li");
    li.className = "order";
    li.dataset.testid = "order";
    li.dataset.orderId = order.id;
    const who = document.createElement("span");
    who.className = "order-buyer";
    who.textContent = order.buyer_name || "A viewer";
    const what = document.createElement("span");
    what.className = "order-item";
    what.textContent = `${order.quantity} × ${this.titleOf(order.offer_id)} · ${formatPrice(order.amount_cents ?? order.price_cents * order.quantity, order.currency)}`;
    const status = document.createElement("span");
    status.className = "order-status";
    const time = document.createElement("time");
    time.className = "muted";
    time.dateTime = order.created_at;
    time.textContent = new Date(order.created_at).toLocaleTimeString();
    li.append(who, status, what, time);
    return li;
  }
}
