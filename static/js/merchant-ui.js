// Small DOM helpers for the dashboard: build elements without innerHTML (names and titles are user data),
// labelled form fields, error display next to a form, money and time conversions for the inputs.
import { ApiError } from "/static/js/api.js";
import { el } from "/static/js/dom.js";

// A label and its control (and an optional hint tied with aria-describedby).
export function field(label, control, hint) {
  const wrapper = el("div", { class: "field" }, el("label", { for: control.id, text: label }), control);
  if (hint) {
    const hintId = `${control.id}-hint`;
    wrapper.append(el("small", { id: hintId, class: "muted", text: hint }));
    control.setAttribute("aria-describedby", hintId);
  }
  return wrapper;
}

export function input(id, name, attrs = {}) {
  return el("input", { id, name, ...attrs });
}

// The error line of a form: shows the API's message and marks the offending inputs (from `details`).
export function formErrors(form, testid) {
  const line = el("p", { class: "error", role: "alert", "data-testid": testid });
  const clear = () => {
    line.textContent = "";
    for (const bad of form.querySelectorAll("[aria-invalid]")) bad.removeAttribute("aria-invalid");
  };
  // The API names fields as it knows them ("price_cents"); the inputs carry those names, so a problem is
  // shown with the input's own label ("Price: ...") and the input is marked invalid.
  const show = (error) => {
    clear();
    const details = (error instanceof ApiError && error.body && error.body.error && error.body.error.details) || [];
    const labelled = [];
    for (const { field: name, problem } of details) {
      const control = form.elements.namedItem(String(name).split(".")[0]);
      if (!control || !control.setAttribute) continue;
      control.setAttribute("aria-invalid", "true");
      const label = control.labels && control.labels[0] ? control.labels[0].textContent : name;
      labelled.push(`${label}: ${problem}.`);
    }
    line.textContent = labelled.length ? labelled.join(" ") : String(error.message || error);
  };
  return { line, clear, show };
}

// Runs an async action on submit, disabling the submit button meanwhile; errors go to the error line.
export function onSubmit(form, errors, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    errors.clear();
    if (button) button.disabled = true;
    try {
      await action();
    } catch (error) {
      errors.show(error);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

export function digits(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch (_) {
    return 2;
  }
}

// "19.9" USD -> 1990; throws a readable error on anything that is not a plain decimal amount.
export function toMinorUnits(text, currency, what = "Price") {
  const places = digits(currency);
  const value = String(text).trim().replace(",", ".");
  const match = /^(\d{1,9})(?:\.(\d*))?$/.exec(value);
  if (!match || (match[2] || "").length > places) {
    throw new Error(`${what}: enter an amount like ${places ? "19.99" : "1999"} (${currency}).`);
  }
  const fraction = (match[2] || "").padEnd(places, "0");
  return Number(match[1]) * 10 ** places + Number(fraction || 0);
}

export function fromMinorUnits(cents, currency) {
  const places = digits(currency);
  return places ? (cents / 10 ** places).toFixed(places) : String(cents);
}

// <input type=datetime-local> value (local time) <-> UTC ISO.
export function localToIso(value) {
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) throw new Error("Enter a valid date and time.");
  return date.toISOString();
}

export function isoToLocal(iso) {
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function formatWhen(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function badge(text, kind = "") {
  return el("span", { class: `badge ${kind}`.trim(), text });
}

// A data table: column headers (numeric columns right-aligned like their cells), an optional caption, rows.
export function dataTable(attrs, { caption, columns, numeric = [], hiddenCaption = false }, rows) {
  return el("div", { class: "table-wrap" }, el("table", { class: "table", ...attrs },
    caption ? el("caption", { class: hiddenCaption ? "visually-hidden" : undefined, text: caption }) : null,
    el("thead", {}, el("tr", {}, columns.map((name, i) =>
      el("th", { scope: "col", class: numeric.includes(i) ? "num" : undefined, text: name })))),
    el("tbody", {}, rows)));
}
