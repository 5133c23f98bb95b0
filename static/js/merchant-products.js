// Products: the catalogue with its free inventory, a form that creates or edits one (price typed as a decimal
// in the currency, sent in minor units), and archive / restore (an archived product stays in past shows).
import { api, formatPrice } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { badge, dataTable, field, formErrors, fromMinorUnits, input, onSubmit, toMinorUnits } from "/static/js/merchant-ui.js";

const CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK"];

export async function productsView(view) {
  const list = el("div"); // changes are announced by the status line
  const status = el("p", { class: "ok", role: "status", "data-testid": "product-status" });
  const editor = productForm(async (saved, wasEdit) => {
    await refresh();
    status.textContent = `${wasEdit ? "Saved" : "Created"} “${saved.title}”.`;
  });
  const refresh = async () => {
    const { products } = await api("GET", "/api/products?include_archived=true");
    list.replaceChildren(productTable(products, editor, refresh, status));
  };
  view.replaceChildren(
    el("h1", { tabindex: "-1", text: "Products" }),
    el("div", { class: "columns" },
      el("section", { "aria-labelledby": "products-list-title" },
        el("h2", { id: "products-list-title", text: "Catalogue" }), status, list),
      editor.form),
  );
  await refresh();
}

function thumbnail(product) {
  if (!product.image_url) return el("span", { class: "thumb placeholder", "aria-hidden": "true", text: product.title.slice(0, 1) });
  return el("img", { class: "thumb", src: product.image_url, alt: "", width: "48", height: "48", loading: "lazy" });
}

function productTable(products, editor, refresh, status) {
  if (!products.length) return el("p", { class: "muted", text: "No products yet: add your first one with the form." });
  const rows = products.map((product) => {
    const archive = el("button", {
      type: "button", "data-testid": "product-archive", class: product.archived ? "" : "danger",
      text: product.archived ? "Restore" : "Archive", "aria-label": `${product.archived ? "Restore" : "Archive"} ${product.title}`,
      onclick: async () => {
        archive.disabled = true;
        try {
          if (product.archived) await api("PATCH", `/api/products/${product.id}`, { archived: false });
          else await api("DELETE", `/api/products/${product.id}`);
          await refresh();
          status.textContent = `${product.archived ? "Restored" : "Archived"} “${product.title}”.`;
        } catch (error) {
          status.textContent = error.message;
          archive.disabled = false;
        }
      },
    });
    const edit = el("button", { type: "button", "data-testid": "product-edit", text: "Edit",
                                "aria-label": `Edit ${product.title}`, onclick: () => editor.edit(product) });
    return el("tr", { "data-testid": "product-row", "data-product-id": product.id, class: product.archived ? "archived" : "" },
      el("td", {}, thumbnail(product)),
      el("th", { scope: "row" }, el("span", { text: product.title }), product.archived ? badge("Archived") : null),
      el("td", { class: "mono", text: product.sku }),
      el("td", { class: "num", text: formatPrice(product.price_cents, product.currency) }),
      el("td", { class: "num", "data-testid": "product-inventory", text: String(product.inventory) }),
      el("td", { class: "actions" }, edit, archive));
  });
  return dataTable({}, { caption: "Products", hiddenCaption: true, numeric: [3, 4],
                        columns: ["Image", "Title", "SKU", "Price", "Free inventory", "Actions"] }, rows);
}

function productForm(onSaved) {
  let editing = null;
  const heading = el("h2", { id: "product-form-title", text: "New product" });
  const currency = el("select", { id: "product-currency", name: "currency" },
    CURRENCIES.map((code) => el("option", { value: code, text: code })));
  const form = el("form", { class: "card form", "data-testid": "product-form", "aria-labelledby": "product-form-title", novalidate: true });
  const errors = formErrors(form, "product-error");
  const save = el("button", { type: "submit", class: "primary", "data-testid": "product-save", text: "Add product" });
  const cancel = el("button", { type: "button", hidden: true, text: "Cancel editing", onclick: () => reset() });
  form.append(
    heading,
    field("Title", input("product-title", "title", { required: true, maxlength: "200" })),
    field("SKU", input("product-sku", "sku", { required: true, maxlength: "64", pattern: "[A-Za-z0-9._\\-]+" }),
      "Letters, digits, dot, dash or underscore; unique in your catalogue."),
    field("Description", el("textarea", { id: "product-description", name: "description", rows: "3", maxlength: "5000" })),
    field("Image URL", input("product-image", "image_url", { type: "url", placeholder: "https://…" })),
    el("div", { class: "row" },
      field("Price", input("product-price", "price_cents", { inputmode: "decimal", required: true, placeholder: "19.99" })),
      field("Currency", currency)),
    field("Inventory", input("product-inventory", "inventory", { type: "number", min: "0", step: "1", value: "0", required: true }),
      "Units free to allocate to shows."),
    errors.line,
    el("div", { class: "buttons" }, save, cancel),
  );
  const values = () => {
    const f = form.elements;
    const body = {
      sku: f.sku.value.trim(), title: f.title.value.trim(), description: f.description.value,
      image_url: f.image_url.value.trim() || null, currency: f.currency.value,
      price_cents: toMinorUnits(f.price_cents.value, f.currency.value),
      inventory: Number.parseInt(f.inventory.value || "0", 10),
    };
    if (!Number.isInteger(body.inventory)) throw new Error("Inventory: enter a whole number of units.");
    return body;
  };
  const reset = () => {
    editing = null;
    form.reset();
    errors.clear();
    heading.textContent = "New product";
    save.textContent = "Add product";
    cancel.hidden = true;
  };
  onSubmit(form, errors, async () => {
    const body = values();
    const wasEdit = Boolean(editing);
    const saved = wasEdit ? await api("PATCH", `/api/products/${editing.id}`, body) : await api("POST", "/api/products", body);
    reset();
    await onSaved(saved, wasEdit);
  });
  const edit = (product) => {
    reset();
    editing = product;
    const f = form.elements;
    f.title.value = product.title;
    f.sku.value = product.sku;
    f.description.value = product.description;
    f.image_url.value = product.image_url || "";
    if (![...currency.options].some((o) => o.value === product.currency)) currency.append(el("option", { text: product.currency }));
    f.currency.value = product.currency;
    f.price_cents.value = fromMinorUnits(product.price_cents, product.currency);
    f.inventory.value = String(product.inventory);
    heading.textContent = `Edit “${product.title}”`;
    save.textContent = "Save changes";
    cancel.hidden = false;
    f.title.focus();
  };
  return { form, edit };
}
