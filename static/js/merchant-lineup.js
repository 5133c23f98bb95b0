// A show's lineup: each offer's show price, stock allocated from the product's free inventory, per-buyer
// limit and optional sale window. Offers can be added until the show ends, their terms changed (stock only
// before it starts), and removed before it starts. The API's refusals (e.g. stock above the free inventory)
// are shown next to the form.
import { api, formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { dataTable, field, formatWhen, formErrors, fromMinorUnits, input, isoToLocal, localToIso, onSubmit, toMinorUnits } from "/static/js/merchant-ui.js";

export function lineupSection(show) {
  const section = el("section", { class: "lineup", "aria-labelledby": "lineup-title" });
  const status = el("p", { class: "ok", role: "status", "data-testid": "offer-status" });
  const table = el("div"); // changes are announced by the status line
  const editor = show.state === "ended" ? null : offerForm(show, async (message) => {
    await refresh();
    status.textContent = message;
  });
  // `known`: the show as the page just read it (the first draw); after a change the show is read again.
  const refresh = async (known = null) => {
    const [current, { products }] = await Promise.all([
      known || api("GET", `/api/shows/${show.id}`), api("GET", "/api/products")]);
    table.replaceChildren(offerTable(current, editor, status, refresh));
    if (editor) editor.setProducts(products, current.offers);
  };
  section.append(el("h2", { id: "lineup-title", text: "Lineup" }), status, el("div", { class: "columns" }, table, editor ? editor.form : null));
  refresh(show).catch((error) => { status.textContent = error.message; });
  return section;
}

function saleWindow(offer) {
  if (!offer.sale_starts_at && !offer.sale_ends_at) return "Whole show";
  const from = offer.sale_starts_at ? formatWhen(offer.sale_starts_at) : "start";
  const to = offer.sale_ends_at ? formatWhen(offer.sale_ends_at) : "end";
  return `${from} – ${to}`;
}

function offerTable(show, editor, status, refresh) {
  if (!show.offers.length) return el("p", { class: "muted", text: "No products in the lineup yet." });
  const rows = show.offers.map((offer) => {
    const actions = el("td", { class: "actions" });
    if (editor) {
      actions.append(el("button", { type: "button", "data-testid": "offer-edit", text: "Change terms",
                                    "aria-label": `Change terms of ${offer.title}`, onclick: () => editor.edit(offer) }));
    }
    if (show.state === "scheduled") {
      const remove = el("button", { type: "button", class: "danger", "data-testid": "offer-remove", text: "Remove",
                                    "aria-label": `Remove ${offer.title} from the lineup`, onclick: async () => {
        remove.disabled = true;
        try {
          await api("DELETE", `/api/shows/${show.id}/offers/${offer.id}`);
          await refresh();
          status.textContent = `Removed “${offer.title}”; its stock is back in the inventory.`;
        } catch (error) {
          status.textContent = error.message;
          remove.disabled = false;
        }
      } });
      actions.append(remove);
    }
    return el("tr", { "data-testid": "offer-row", "data-offer-id": offer.id },
      el("th", { scope: "row", text: offer.title }),
      el("td", { class: "num" }, el("span", { "data-testid": "offer-price", text: formatPrice(offer.price_cents, offer.currency) }),
        el("br"), el("s", { class: "muted", "aria-label": `list price ${formatPrice(offer.list_price_cents, offer.currency)}`,
                            text: formatPrice(offer.list_price_cents, offer.currency) })),
      el("td", { class: "num", "data-testid": "offer-stock", text: String(offer.stock) }),
      el("td", { class: "num", "data-testid": "offer-remaining", text: String(offer.remaining) }),
      el("td", { class: "num", "data-testid": "offer-limit", text: String(offer.per_buyer_limit) }),
      el("td", { text: saleWindow(offer) }),
      actions);
  });
  return dataTable({}, { caption: "Offers in this show", hiddenCaption: true, numeric: [1, 2, 3, 4],
                        columns: ["Product", "Show price", "Stock", "Left", "Per buyer", "On sale", "Actions"] }, rows);
}

function offerForm(show, onSaved) {
  let editing = null;
  let products = [];
  const heading = el("h3", { id: "offer-form-title", text: "Add a product" });
  const product = el("select", { id: "offer-product", name: "product_id", required: true });
  const form = el("form", { class: "card form", "data-testid": "offer-form", "aria-labelledby": "offer-form-title", novalidate: true });
  const errors = formErrors(form, "offer-error");
  const save = el("button", { type: "submit", class: "primary", "data-testid": "offer-add", text: "Add to lineup" });
  const cancel = el("button", { type: "button", hidden: true, text: "Cancel", onclick: () => reset() });
  const stock = input("offer-stock", "stock", { type: "number", min: "0", step: "1", required: true, value: "1" });
  form.append(
    heading,
    field("Product", product),
    field("Show price", input("offer-price", "price_cents", { inputmode: "decimal", required: true, placeholder: "19.99" }),
      "What viewers pay during the show."),
    field("Stock for the show", stock, "Taken from the product's free inventory; unsold units come back when the show ends."),
    field("Limit per buyer", input("offer-limit", "per_buyer_limit", { type: "number", min: "1", max: "1000", step: "1", value: "1", required: true })),
    el("details", {},
      el("summary", { text: "Sale window (optional)" }),
      field("On sale from", input("offer-sale-starts", "sale_starts_at", { type: "datetime-local" })),
      field("On sale until", input("offer-sale-ends", "sale_ends_at", { type: "datetime-local" }))),
    errors.line,
    el("div", { class: "buttons" }, save, cancel),
  );
  const chosen = () => products.find((p) => p.id === product.value) || editing;
  product.addEventListener("change", () => {
    const picked = chosen();
    if (picked && !editing) form.elements.price_cents.value = fromMinorUnits(picked.price_cents, picked.currency);
  });
  const whole = (name, label) => {
    const value = Number(form.elements[name].value);
    if (!Number.isInteger(value) || form.elements[name].value === "") throw new Error(`${label}: enter a whole number.`);
    return value;
  };
  const when = (name) => (form.elements[name].value ? localToIso(form.elements[name].value) : null);
  const body = () => {
    const picked = chosen();
    if (!picked) throw new Error("Choose a product first (add products on the Products page).");
    const terms = {
      price_cents: toMinorUnits(form.elements.price_cents.value, picked.currency, "Show price"),
      per_buyer_limit: whole("per_buyer_limit", "Limit per buyer"),
      sale_starts_at: when("sale_starts_at"), sale_ends_at: when("sale_ends_at"),
    };
    if (!stock.disabled) terms.stock = whole("stock", "Stock");
    return editing ? terms : { product_id: picked.id, ...terms };
  };
  const reset = () => {
    editing = null;
    form.reset();
    errors.clear();
    fillOptions();
    product.disabled = false;
    stock.disabled = false;
    heading.textContent = "Add a product";
    save.textContent = "Add to lineup";
    cancel.hidden = true;
    product.dispatchEvent(new Event("change"));
  };
  onSubmit(form, errors, async () => {
    const terms = body();
    if (editing) {
      const { offer } = await api("PATCH", `/api/shows/${show.id}/offers/${editing.id}`, terms);
      reset();
      await onSaved(`Saved the terms of “${offer.title}”.`);
    } else {
      const { offer } = await api("POST", `/api/shows/${show.id}/offers`, terms);
      reset();
      await onSaved(`Added “${offer.title}” to the lineup.`);
    }
  });
  const fillOptions = () => {
    const keep = product.value;
    product.replaceChildren(...products.map((p) => el("option", { value: p.id,
      text: `${p.title} · ${formatPrice(p.price_cents, p.currency)} · ${p.inventory} free` })));
    if (!products.length) product.append(el("option", { value: "", text: "Every product is in the lineup" }));
    if (products.some((p) => p.id === keep)) product.value = keep;
  };
  const setProducts = (all, offers) => {
    const inLineup = new Set(offers.map((offer) => offer.product_id));
    products = all.filter((p) => !inLineup.has(p.id));
    if (editing) return;
    fillOptions();
    product.dispatchEvent(new Event("change"));
  };
  const edit = (offer) => {
    reset();
    editing = offer;
    const f = form.elements;
    product.replaceChildren(el("option", { value: offer.product_id, text: offer.title }));
    product.value = offer.product_id;
    product.disabled = true;
    stock.disabled = show.state !== "scheduled";
    f.price_cents.value = fromMinorUnits(offer.price_cents, offer.currency);
    f.stock.value = String(offer.stock);
    f.per_buyer_limit.value = String(offer.per_buyer_limit);
    f.sale_starts_at.value = offer.sale_starts_at ? isoToLocal(offer.sale_starts_at) : "";
    f.sale_ends_at.value = offer.sale_ends_at ? isoToLocal(offer.sale_ends_at) : "";
    if (offer.sale_starts_at || offer.sale_ends_at) form.querySelector("details").open = true;
    heading.textContent = `Change terms of “${offer.title}”`;
    save.textContent = "Save terms";
    cancel.hidden = false;
    f.price_cents.focus();
  };
  return { form, setProducts, edit };
}
