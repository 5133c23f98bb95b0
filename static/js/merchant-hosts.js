// Hosts: the people who go live for the shop. Inviting one creates their login (they sign in on the studio).
import { api } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import { field, formErrors, input, onSubmit } from "/static/js/merchant-ui.js";

export async function hostsView(view, { user }) {
  const list = el("ul", { class: "list" }); // changes are announced by the status line
  const status = el("p", { class: "ok", role: "status", "data-testid": "host-status" });
  const refresh = async () => {
    const { hosts } = await api("GET", "/api/merchants/me/hosts");
    const rows = hosts.map((host) => el("li", { "data-testid": "host-row", "data-host-id": host.id },
      el("strong", { text: host.display_name }), " ", el("span", { class: "muted", text: host.email || "" })));
    list.replaceChildren(...rows);
    if (!rows.length) list.append(el("li", { class: "muted", text: `No hosts yet: you (${user.display_name}) can host your own shows.` }));
  };
  const form = el("form", { class: "card form", "aria-labelledby": "host-form-title", "data-testid": "host-form", novalidate: true });
  const errors = formErrors(form, "host-error");
  form.append(
    el("h2", { id: "host-form-title", text: "Invite a host" }),
    field("Display name", input("host-name", "display_name", { required: true, maxlength: "80" }), "Shown to viewers during the show."),
    field("Email", input("host-email", "email", { type: "email", required: true, autocomplete: "off" })),
    field("Password", input("host-password", "password", { type: "password", required: true, minlength: "8", autocomplete: "new-password" }),
      "At least 8 characters; share it with the host, who signs in on the studio page."),
    errors.line,
    el("button", { type: "submit", class: "primary", "data-testid": "host-invite", text: "Invite host" }),
  );
  onSubmit(form, errors, async () => {
    const f = form.elements;
    const { host } = await api("POST", "/api/merchants/me/hosts", {
      display_name: f.display_name.value.trim(), email: f.email.value.trim(), password: f.password.value,
    });
    form.reset();
    status.textContent = `Invited ${host.display_name}.`;
    await refresh();
  });
  view.replaceChildren(
    el("h1", { tabindex: "-1", text: "Hosts" }),
    el("div", { class: "columns" },
      el("section", { "aria-labelledby": "hosts-title" }, el("h2", { id: "hosts-title", text: "Your hosts" }), status, list),
      form));
  await refresh();
}

// The people who may host a show: the merchant's own account first, then the invited hosts.
export async function hostChoices(user) {
  const { hosts } = await api("GET", "/api/merchants/me/hosts");
  return [{ id: user.id, display_name: `${user.display_name} (you)` }, ...hosts];
}
