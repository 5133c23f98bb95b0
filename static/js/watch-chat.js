// Chat and reactions on the watch page. Messages are untrusted: names and text go in with textContent.
// Anonymous watchers may only watch, so writing or reacting first asks for a display name (a viewer
// account without payment details) and reconnects the room as that viewer.
import { ApiError } from "/static/js/api.js";
import { badgeChips } from "/static/js/badges.js";
import { el } from "/static/js/dom.js";
import { CLIENT } from "/static/js/events.js";

const KEEP = 100;
const KINDS = new Set(["heart", "fire", "clap", "laugh", "wow"]);
const SVG = "http://www.w3.org/2000/svg";
const MAX_FLOATERS_PER_KIND = 6;
const ERRORS = {
  muted: "The host muted you in this show.",
  banned: "The host removed you from this show.",
  sign_in_required: "Enter a name to chat.",
  blocked_words: "That message contains a word this shop does not allow.",
  show_not_live: "The chat opens when the show is live.",
  not_joined: "Reconnecting to the show… try again in a moment.",
  timeout: "The server did not answer. Try again.",
};

function messageError(error) {
  if (error.code === "slow_mode") {
    const wait = Math.ceil((error.details.retry_after_ms || 1000) / 1000);
    return `Slow mode is on: you can write again in ${wait} s.`;
  }
  return ERRORS[error.code] || error.message || "The message could not be sent.";
}

function askName(dialog, identity) {
  const form = dialog.querySelector("form");
  const error = dialog.querySelector(".error");
  let waiting = null;
  dialog.querySelector("[value=cancel]").addEventListener("click", () => dialog.close("cancel"));
  dialog.addEventListener("close", () => {
    if (waiting) waiting(false);
    waiting = null;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    if (!name) {
      error.textContent = "Please enter a name.";
      return;
    }
    try {
      await identity.register({ display_name: name });
    } catch (caught) {
      error.textContent = caught instanceof ApiError ? caught.message : String(caught);
      return;
    }
    const done = waiting;
    waiting = null;
    dialog.close("saved");
    if (done) done(true);
  });
  // Resolves true once the watcher is a signed-in account (at once if already).
  return () => {
    if (identity.user()) return Promise.resolve(true);
    error.textContent = "";
    dialog.showModal();
    return new Promise((resolve) => { waiting = resolve; });
  };
}

export function createChat(root, { identity, emit }) {
  const list = root.querySelector("#chat-list");
  const form = root.querySelector("#chat-form");
  const input = form.querySelector("#chat-input");
  const error = form.querySelector("#chat-error");
  const layer = root.querySelector(".reactions-layer");
  const signIn = askName(root.querySelector("dialog#name-dialog"), identity);
  const own = {}; // our reactions shown at once, left out of the next per-second sum that includes them
  const highlight = root.querySelector("#answering");
  const asking = form.querySelector("#chat-question");
  let answeringId = null;

  function item(message) {
    const classes = ["chat-message", message.question && "question", answeringId === message.id && "answering-now"];
    return el("li", { class: classes.filter(Boolean).join(" "), "data-testid": "chat-message", "data-message-id": message.id },
      el("b", { class: message.staff ? "name staff" : "name", text: message.display_name }),
      ...badgeChips(message.badges || (message.staff ? ["host"] : [])), " ",
      el("span", { class: "text", text: message.text }));
  }

  function scrollDown() {
    list.scrollTop = list.scrollHeight;
  }

  function add(message) {
    if (list.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`)) return;
    list.append(item(message));
    while (list.children.length > KEEP) list.firstElementChild.remove();
    scrollDown();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    error.textContent = "";
    if (!text) return;
    if (text.length > 300) {
      error.textContent = "Messages are at most 300 characters.";
      return;
    }
    if (!(await signIn())) return;
    try {
      const { message } = await emit(CLIENT.CHAT, { text, question: asking.checked });
      add(message);
      input.value = "";
      asking.checked = false;
    } catch (caught) {
      error.textContent = messageError(caught);
    }
  });

  root.querySelector(".reaction-buttons").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-kind]");
    if (!button) return;
    error.textContent = "";
    if (!(await signIn())) return;
    button.classList.remove("pop");
    void button.offsetWidth; // restart the little press animation
    button.classList.add("pop");
    const kind = button.dataset.kind;
    try {
      await emit(CLIENT.REACT, { kind });
      own[kind] = (own[kind] || 0) + 1;
      float(kind);
    } catch (caught) {
      error.textContent = messageError(caught);
    }
  });

  function float(kind) {
    const node = el("span", { class: "floating-reaction", "data-kind": kind });
    const svg = document.createElementNS(SVG, "svg");
    const use = document.createElementNS(SVG, "use");
    use.setAttribute("href", `#i-${KINDS.has(kind) ? kind : "heart"}`);
    svg.append(use);
    node.append(svg);
    node.style.setProperty("--x", `${Math.round(Math.random() * 60 - 30)}px`);
    node.style.setProperty("--delay", `${Math.round(Math.random() * 600)}ms`);
    node.addEventListener("animationend", () => node.remove());
    setTimeout(() => node.remove(), 4000); // reduced motion: no animationend from a plain fade
    layer.append(node);
  }

  return {
    reset(messages) {
      list.replaceChildren(...messages.map(item));
      scrollDown();
    },
    add,
    remove(id) {
      const shown = list.querySelector(`[data-message-id="${CSS.escape(id)}"]`);
      if (shown) shown.remove();
    },
    reactions(counts) {
      for (const [kind, n] of Object.entries(counts)) {
        const others = n - Math.min(n, own[kind] || 0);
        own[kind] = Math.max(0, (own[kind] || 0) - n);
        for (let i = 0; i < Math.min(others, MAX_FLOATERS_PER_KIND); i += 1) float(kind);
      }
    },
    // The question the host is answering now (null: none), highlighted in the list and above it.
    answering(message) {
      answeringId = message ? message.id : null;
      for (const li of list.querySelectorAll(".answering-now")) li.classList.remove("answering-now");
      const li = message && list.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`);
      if (li) li.classList.add("answering-now");
      highlight.hidden = !message;
      highlight.textContent = message ? `Answering now: “${message.text}” (${message.display_name})` : "";
    },
    moderated(action) {
      const text = { mute: ERRORS.muted, ban: ERRORS.banned, unmute: "The host unmuted you." }[action];
      if (text) error.textContent = text;
    },
  };
}
