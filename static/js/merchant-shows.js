// Shows: the merchant's shows grouped as live, upcoming and past (newest first), and the form that schedules a
// new one. The same fields (showFields) edit a show on its own page.
import { api } from "/static/js/api.js";
import { hostChoices } from "/static/js/merchant-hosts.js";
import { el } from "/static/js/dom.js";
import { badge, field, formatWhen, formErrors, input, isoToLocal, localToIso, onSubmit } from "/static/js/merchant-ui.js";

const GROUPS = [["live", "Live now"], ["scheduled", "Upcoming"], ["ended", "Past"]];
export const STATE_LABELS = { live: "Live", scheduled: "Upcoming", ended: "Ended" };

export async function showsView(view, { user }) {
  const [{ shows }, hosts] = await Promise.all([api("GET", "/api/merchants/me/shows"), hostChoices(user)]);
  const form = el("form", { class: "card form", "data-testid": "show-form", "aria-labelledby": "show-form-title", novalidate: true });
  const errors = formErrors(form, "show-error");
  const defaultStart = new Date(Date.now() + 24 * 3600 * 1000);
  defaultStart.setMinutes(0, 0, 0);
  form.append(
    el("h2", { id: "show-form-title", text: "Schedule a show" }),
    ...showFields("show", hosts, { starts_at: defaultStart.toISOString(), host: { id: user.id } }),
    errors.line,
    el("button", { type: "submit", class: "primary", "data-testid": "show-save", text: "Schedule show" }),
  );
  onSubmit(form, errors, async () => {
    const show = await api("POST", "/api/shows", showBody(form));
    location.hash = `#shows/${show.id}`;
  });
  const groups = GROUPS.map(([state, title]) => {
    const mine = shows.filter((show) => show.state === state);
    if (!mine.length) return null;
    return el("section", { class: "group", "aria-labelledby": `group-${state}` },
      el("h2", { id: `group-${state}`, text: `${title} (${mine.length})` }),
      el("ul", { class: "list shows" }, mine.map(showRow)));
  }).filter(Boolean);
  view.replaceChildren(
    el("h1", { tabindex: "-1", text: "Shows" }),
    el("div", { class: "columns" },
      el("div", {}, groups.length ? groups : el("p", { class: "muted", text: "No shows yet: schedule the first one." })),
      form));
}

function showRow(show) {
  const open = show.state === "scheduled" ? "Open" : "Open results";
  return el("li", { "data-testid": "show-row", "data-show-id": show.id, class: "show-row" },
    el("div", {},
      el("strong", { text: show.title }), " ", badge(STATE_LABELS[show.state], show.state),
      el("br"),
      el("span", { class: "muted", text: `${formatWhen(show.starts_at)} · hosted by ${show.host.display_name}` })),
    el("button", { type: "button", "data-testid": "show-open", text: open, "aria-label": `${open}: ${show.title}`,
                   onclick: () => { location.hash = `#shows/${encodeURIComponent(show.id)}`; } }));
}

// Title, description, start (local time), host and recording; ids are `${prefix}-title` and so on.
export function showFields(prefix, hosts, show = {}) {
  const hostSelect = el("select", { id: `${prefix}-host`, name: "host_id", required: true },
    hosts.map((host) => el("option", { value: host.id, text: host.display_name })));
  if (show.host) hostSelect.value = show.host.id;
  const record = el("input", { id: `${prefix}-record`, name: "record", type: "checkbox", checked: Boolean(show.record) });
  return [
    field("Title", input(`${prefix}-title`, "title", { required: true, maxlength: "200", value: show.title || "" })),
    field("Description", el("textarea", { id: `${prefix}-description`, name: "description", rows: "3", maxlength: "5000",
                                          text: show.description || "" })),
    field("Starts at", input(`${prefix}-starts-at`, "starts_at", {
      type: "datetime-local", required: true, value: show.starts_at ? isoToLocal(show.starts_at) : "" }),
    `Your local time (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`),
    field("Host", hostSelect),
    el("div", { class: "check" }, record, el("label", { for: record.id, text: "Record the show for a replay" })),
  ];
}

export function showBody(form) {
  const f = form.elements;
  return {
    title: f.title.value.trim(), description: f.description.value, starts_at: localToIso(f.starts_at.value),
    host_id: f.host_id.value, record: f.record.checked,
  };
}
