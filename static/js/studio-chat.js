// The studio's chat: the host writes as staff and moderates every viewer message (delete it, mute or ban its
// author) and sets slow mode. Chat text and names are untrusted: only ever textContent.

const SHOWN = 200;

export class StudioChat {
  // act(event, payload) -> Promise over the socket; onError(message)
  constructor({ list, form, input, slowSelect, act, onError }) {
    Object.assign(this, { list, form, input, slowSelect, act, onError });
    this.moderation = new Map(); // user_id -> {muted, banned}
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    slowSelect.addEventListener("change", () => this.setSlowMode());
  }

  setAll(messages) {
    this.list.replaceChildren();
    for (const message of messages) this.add(message);
  }

  setSlowMode(seconds) {
    if (seconds !== undefined) {
      this.slowSelect.value = String(seconds);
      if (this.slowSelect.value !== String(seconds)) { // a value set elsewhere (API) outside our choices
        const option = document.createElement("option");
        option.value = String(seconds);
        option.textContent = `${seconds} s`;
        this.slowSelect.append(option);
        this.slowSelect.value = String(seconds);
      }
      return;
    }
    this.act("slow_mode", { slow_mode_seconds: Number(this.slowSelect.value) })
      .catch((error) => this.onError(`Slow mode not changed: ${error.message}`));
  }

  add(message) {
    if (this.list.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`)) return;
    const li = document.createElement("li");
    li.className = message.staff ? "message staff" : "message";
    li.dataset.testid = "chat-message";
    li.dataset.messageId = message.id;
    li.dataset.userId = message.user_id;
    const name = document.createElement("strong");
    name.className = "message-name";
    name.textContent = message.display_name;
    const text = document.createElement("span");
    text.className = "message-text";
    text.textContent = message.text;
    const actions = document.createElement("span");
    actions.className = "message-actions";
    actions.append(this.button("delete-message", "Delete", `Delete message from ${message.display_name}`,
      () => this.act("delete_message", { message_id: message.id }).then(() => this.remove(message.id))));
    if (!message.staff) {
      for (const action of ["mute", "ban"]) {
        actions.append(this.button(action, "", "", () => this.moderate(message.user_id, action)));
      }
    }
    if (message.staff) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "Host";
      li.append(badge, " ");
    }
    li.append(name, " ", text, actions);
    this.list.append(li);
    while (this.list.children.length > SHOWN) this.list.firstElementChild.remove();
    this.refreshUser(message.user_id);
    this.list.scrollTop = this.list.scrollHeight;
  }

  remove(messageId) {
    const li = this.list.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`);
    if (li) li.remove();
  }

  button(testid, label, ariaLabel, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.dataset.testid = testid;
    button.textContent = label;
    if (ariaLabel) button.setAttribute("aria-label", ariaLabel);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await onClick();
      } catch (error) {
        this.onError(error.message);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  // mute/ban toggle: a second click unmutes/unbans.
  async moderate(userId, kind) {
    const state = this.moderation.get(userId) || { muted: false, banned: false };
    const on = kind === "mute" ? state.muted : state.banned;
    const answer = await this.act("moderate", { user_id: userId, action: on ? `un${kind}` : kind });
    this.moderation.set(userId, { muted: answer.muted, banned: answer.banned });
    this.refreshUser(userId);
  }

  refreshUser(userId) {
    const state = this.moderation.get(userId) || { muted: false, banned: false };
    for (const li of this.list.querySelectorAll(`[data-user-id="${CSS.escape(userId)}"]`)) {
      const name = li.querySelector(".message-name").textContent;
      li.classList.toggle("muted-user", state.muted || state.banned);
      const mute = li.querySelector("[data-testid=mute]");
      const ban = li.querySelector("[data-testid=ban]");
      if (!mute) continue;
      mute.textContent = state.muted ? "Unmute" : "Mute";
      mute.setAttribute("aria-label", `${state.muted ? "Unmute" : "Mute"} ${name}`);
      ban.textContent = state.banned ? "Unban" : "Ban";
      ban.setAttribute("aria-label", `${state.banned ? "Unban" : "Ban"} ${name}`);
    }
  }

  async send() {
    const text = this.input.value.trim();
    if (!text) return;
    const button = this.form.querySelector("button");
    button.disabled = true;
    try {
      const { message } = await this.act("chat", { text });
      this.add(message);
      this.input.value = "";
    } catch (error) {
      this.onError(`Message not sent: ${error.message}`);
    } finally {
      button.disabled = false;
      this.input.focus();
    }
  }
}
