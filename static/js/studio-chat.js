// The studio's chat: the host writes as staff and moderates every viewer message (delete it, mute or ban its
// author) and sets slow mode. Chat text and names are untrusted: only ever textContent.
import { el } from "/static/js/dom.js";
import { CLIENT } from "/static/js/events.js";

const SHOWN = 200;
const NOBODY = { muted: false, banned: false };

// act(event, payload) -> Promise over the socket; onError(message)
export function createStudioChat({ list, form, input, slowSelect, act, onError }) {
  const moderation = new Map(); // user_id -> {muted, banned}
  const rows = new Map(); // message id -> {li, message, mute, ban}

  function actionButton(testid, label, ariaLabel, onClick) {
    const button = el("button", { type: "button", class: "small", "data-testid": testid, text: label,
      "aria-label": ariaLabel || null });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await onClick();
      } catch (error) {
        onError(error.message);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  function refreshUser(userId) {
    const state = moderation.get(userId) || NOBODY;
    for (const { li, message, mute, ban } of rows.values()) {
      if (message.user_id !== userId) continue;
      li.classList.toggle("muted-user", state.muted || state.banned);
      if (!mute) continue;
      mute.textContent = state.muted ? "Unmute" : "Mute";
      mute.setAttribute("aria-label", `${state.muted ? "Unmute" : "Mute"} ${message.display_name}`);
      ban.textContent = state.banned ? "Unban" : "Ban";
      ban.setAttribute("aria-label", `${state.banned ? "Unban" : "Ban"} ${message.display_name}`);
    }
  }

  // mute/ban toggle: a second click unmutes/unbans.
  async function moderate(userId, kind) {
    const state = moderation.get(userId) || NOBODY;
    const on = kind === "mute" ? state.muted : state.banned;
    const answer = await act(CLIENT.MODERATE, { user_id: userId, action: on ? `un${kind}` : kind });
    moderation.set(userId, { muted: answer.muted, banned: answer.banned });
    refreshUser(userId);
  }

  function remove(messageId) {
    const row = rows.get(messageId);
    if (row) row.li.remove();
    rows.delete(messageId);
  }

  function add(message) {
    if (rows.has(message.id)) return;
    const remover = actionButton("delete-message", "Delete", `Delete message from ${message.display_name}`,
      () => act(CLIENT.DELETE_MESSAGE, { message_id: message.id }).then(() => remove(message.id)));
    const mute = message.staff ? null : actionButton("mute", "", "", () => moderate(message.user_id, "mute"));
    const ban = message.staff ? null : actionButton("ban", "", "", () => moderate(message.user_id, "ban"));
    const li = el("li", { class: message.staff ? "message staff" : "message", "data-testid": "chat-message",
      "data-message-id": message.id, "data-user-id": message.user_id },
    message.staff ? [el("span", { class: "badge", text: "Host" }), " "] : null,
    el("strong", { class: "message-name", text: message.display_name }), " ",
    el("span", { class: "message-text", text: message.text }),
    el("span", { class: "message-actions" }, remover, mute, ban));
    rows.set(message.id, { li, message, mute, ban });
    list.append(li);
    while (list.children.length > SHOWN) remove(list.firstElementChild.dataset.messageId);
    refreshUser(message.user_id);
    list.scrollTop = list.scrollHeight;
  }

  function setSlowMode(seconds) {
    if (seconds !== undefined) {
      slowSelect.value = String(seconds);
      if (slowSelect.value !== String(seconds)) { // a value set elsewhere (API) outside our choices
        slowSelect.append(el("option", { value: String(seconds), text: `${seconds} s` }));
        slowSelect.value = String(seconds);
      }
      return;
    }
    act(CLIENT.SLOW_MODE, { slow_mode_seconds: Number(slowSelect.value) })
      .catch((error) => onError(`Slow mode not changed: ${error.message}`));
  }

  async function send() {
    const text = input.value.trim();
    if (!text) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const { message } = await act(CLIENT.CHAT, { text });
      add(message);
      input.value = "";
    } catch (error) {
      onError(`Message not sent: ${error.message}`);
    } finally {
      button.disabled = false;
      input.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  slowSelect.addEventListener("change", () => setSlowMode());

  return {
    setAll(messages) {
      list.replaceChildren();
      rows.clear();
      for (const message of messages) add(message);
    },
    add, remove, setSlowMode,
  };
}
