// The studio's question queue: chat messages viewers marked as questions, newest last. "Answering now"
// highlights one for every viewer (the room's `answering` event); "Done" clears it.
import { el } from "/static/js/dom.js";
import { CLIENT } from "/static/js/events.js";

export function createQuestionQueue(list, empty, act) {
  const items = new Map(); // message id -> message
  let current = null;

  function row(message) {
    const now = current === message.id;
    const answer = () => act(CLIENT.ANSWERING, { message_id: now ? null : message.id }).catch(() => {});
    return el("li", { "data-testid": "queued-question", "data-message-id": message.id, class: now ? "answering-now" : null },
      el("b", { text: message.display_name }),
      el("span", { text: ` ${message.text} ` }),
      el("button", { type: "button", "data-testid": now ? "answering-done" : "answer-now",
        text: now ? "Done" : "Answering now", onclick: answer }));
  }

  function render() {
    empty.hidden = items.size > 0;
    list.replaceChildren(...[...items.values()].map(row));
  }

  return {
    setAll(messages) {
      items.clear();
      for (const message of messages) if (message.question) items.set(message.id, message);
      render();
    },
    add(message) {
      if (!message.question) return;
      items.set(message.id, message);
      render();
    },
    remove(id) {
      if (items.delete(id)) render();
    },
    setAnswering(message) {
      current = message ? message.id : null;
      render();
    },
  };
}
