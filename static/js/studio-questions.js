// The studio's question queue: chat messages viewers marked as questions, newest last. "Answering now"
// highlights one for every viewer (the room's `answering` event); "Done" clears it.
export class QuestionQueue {
  constructor(list, empty, act) {
    this.list = list;
    this.empty = empty;
    this.act = act;
    this.items = new Map(); // message id -> message
    this.current = null;
  }

  setAll(messages) {
    this.items.clear();
    for (const message of messages) if (message.question) this.items.set(message.id, message);
    this.render();
  }

  add(message) {
    if (!message.question) return;
    this.items.set(message.id, message);
    this.render();
  }

  remove(id) {
    if (this.items.delete(id)) this.render();
  }

  setAnswering(message) {
    this.current = message ? message.id : null;
    this.render();
  }

  render() {
    this.empty.hidden = this.items.size > 0;
    this.list.replaceChildren(...[...this.items.values()].map((message) => {
      const li = document.createElement("li");
      li.dataset.testid = "queued-question";
      li.dataset.messageId = message.id;
      const now = this.current === message.id;
      li.classList.toggle("answering-now", now);
      const who = document.createElement("b");
      who.textContent = message.display_name;
      const text = document.createElement("span");
      text.textContent = ` ${message.text} `;
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.testid = now ? "answering-done" : "answer-now";
      button.textContent = now ? "Done" : "Answering now";
      button.addEventListener("click", () => {
        this.act("answering", { message_id: now ? null : message.id }).catch(() => {});
      });
      li.append(who, text, button);
      return li;
    }));
  }
}
