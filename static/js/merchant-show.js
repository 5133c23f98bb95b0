// One show's page: share it (link, studio, embed snippet), change its details and host, edit its lineup, and
// read its results once it is live or over.
import { api } from "/static/js/api.js";
import { hostChoices } from "/static/js/merchant-hosts.js";
import { lineupSection } from "/static/js/merchant-lineup.js";
import { resultsSection } from "/static/js/merchant-results.js";
import { STATE_LABELS, showBody, showFields } from "/static/js/merchant-shows.js";
import { el } from "/static/js/dom.js";
import { badge, formatWhen, formErrors, onSubmit } from "/static/js/merchant-ui.js";

export async function showDetailView(view, { user }, showId) {
  const [show, hosts] = await Promise.all([api("GET", `/api/shows/${encodeURIComponent(showId)}`), hostChoices(user)]);
  if (show.merchant_id !== user.merchant_id) throw new Error("This show belongs to another shop.");
  const summary = el("p", { class: "muted", "data-testid": "show-summary" });
  const title = el("h1", { tabindex: "-1", text: show.title });
  const describe = (current) => {
    title.textContent = current.title;
    summary.textContent = `${formatWhen(current.starts_at)} · hosted by ${current.host.display_name}` +
      (current.record ? " · recorded" : "");
  };
  describe(show);
  const results = show.state === "scheduled" ? null : resultsSection(show);
  view.replaceChildren(el("div", { "data-testid": "show-detail", "data-show-id": show.id, class: "detail" },
    el("p", {}, el("a", { href: "#shows", text: "← All shows" })),
    el("div", { class: "title-line" }, title, badge(STATE_LABELS[show.state], show.state)),
    summary,
    shareSection(show),
    results ? results.node : el("p", { class: "muted", "data-testid": "results-later",
                                      text: "Results (viewers, orders, revenue) appear here once the show is live." }),
    lineupSection(show),
    show.state === "ended" ? null : detailsForm(show, hosts, describe),
  ));
  return results ? results.stop : null;
}

function copyButton(label, testid, text, target) {
  const done = el("span", { class: "ok copied", role: "status", "aria-live": "polite", "data-testid": `${testid}-status` });
  const button = el("button", { type: "button", "data-testid": testid, text: label, onclick: async () => {
    done.textContent = "";
    try {
      await navigator.clipboard.writeText(text);
      done.textContent = "Copied";
    } catch (_) {
      target.focus();
      if (target.select) target.select();
      else window.getSelection().selectAllChildren(target);
      done.textContent = "Select and copy it with Ctrl+C (⌘C): the browser did not allow copying.";
    }
  } });
  return [button, done];
}

function shareSection(show) {
  const url = `${location.origin}/watch/${show.id}`;
  const link = el("input", { id: "share-link", "data-testid": "share-link", readonly: true, value: url, class: "wide" });
  link.addEventListener("focus", () => link.select());
  const snippet = `<script src="${location.origin}/embed.js" data-show="${show.id}" async></script>`;
  const code = el("code", { id: "embed-snippet", "data-testid": "embed-snippet", tabindex: "0", text: snippet });
  return el("section", { class: "card share", "aria-labelledby": "share-title" },
    el("h2", { id: "share-title", text: "Share" }),
    el("label", { for: "share-link", text: "Watch link for viewers" }),
    el("div", { class: "inline" }, link, ...copyButton("Copy share link", "copy-link", url, link)),
    el("p", {},
      el("a", { href: `/studio/${show.id}`, "data-testid": "open-studio", target: "_blank", rel: "noopener",
                text: "Open the studio" }),
      el("span", { class: "muted", text: " (the host goes live there; opens in a new tab)" })),
    el("p", { id: "embed-label", class: "label", text: "Embed the player on your site" }),
    el("pre", { class: "snippet", "aria-labelledby": "embed-label" }, code),
    el("div", { class: "inline" }, ...copyButton("Copy embed code", "copy-embed", snippet, code)));
}

function detailsForm(show, hosts, describe) {
  const form = el("form", { class: "card form", "data-testid": "show-edit-form", "aria-labelledby": "edit-show-title-h", novalidate: true });
  const errors = formErrors(form, "show-edit-error");
  const status = el("p", { class: "ok", role: "status" });
  form.append(
    el("h2", { id: "edit-show-title-h", text: "Details and host" }),
    ...showFields("edit-show", hosts, show),
    errors.line, status,
    el("button", { type: "submit", class: "primary", "data-testid": "show-update", text: "Save details" }),
  );
  onSubmit(form, errors, async () => {
    status.textContent = "";
    const saved = await api("PATCH", `/api/shows/${show.id}`, showBody(form));
    describe(saved);
    status.textContent = "Saved.";
  });
  return form;
}
