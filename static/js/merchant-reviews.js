// Dashboard: reviews of the shop's products (reply once, report abuse; never edit, hide or delete) and the
// questions to answer.
import { api } from "/static/js/api.js";
import { badgeChips, stars } from "/static/js/badges.js";
import { el } from "/static/js/dom.js";
import { formErrors, onSubmit } from "/static/js/merchant-ui.js";

// One textarea and a button that posts its text; `after` redraws the view.
export function textForm({ id, label, button, testid, send, after }) {
  const form = el("form", { class: "inline-form", "data-testid": `${testid}-form` },
    el("label", { for: id, text: label }),
    el("textarea", { id, name: "text", required: true, maxlength: "2000", "data-testid": `${testid}-text` }),
    el("button", { type: "submit", "data-testid": `${testid}-submit`, text: button }));
  const errors = formErrors(form, `${testid}-error`);
  form.append(errors.line);
  onSubmit(form, errors, async () => {
    await send(form.elements.text.value.trim());
    await after();
  });
  return form;
}

function reviewRow(review, refresh) {
  const row = el("li", { class: "card", "data-testid": "review-row", "data-review-id": review.id },
    el("p", {}, el("b", { text: review.product_title }), ` ${stars(review.rating)} `,
      el("span", { text: review.author.display_name }), ...badgeChips(review.author.badges),
      review.reported ? el("span", { class: "badge warn", text: " reported" }) : null,
      review.author.badges.includes("expert") ? null : el("button", { type: "button", "data-testid": "make-expert",
        text: "Make expert", onclick: async () => {
          await api("PUT", `/api/merchants/me/experts/${encodeURIComponent(review.author_id)}`);
          await refresh();
        } })),
    review.title ? el("p", { class: "title", text: review.title }) : null,
    el("p", { text: review.body }));
  if (review.reply) row.append(el("p", { class: "muted", "data-testid": "review-reply", text: `Your reply: ${review.reply.text}` }));
  else {
    row.append(textForm({ id: `reply-${review.id}`, label: "Public reply", button: "Reply", testid: "reply",
      send: (text) => api("POST", `/api/reviews/${encodeURIComponent(review.id)}/reply`, { text }), after: refresh }));
  }
  if (!review.reported) {
    row.append(textForm({ id: `report-${review.id}`, label: "Report abuse (the review stays up and counts)",
      button: "Report", testid: "report",
      send: (reason) => api("POST", `/api/reviews/${encodeURIComponent(review.id)}/report`, { reason }),
      after: refresh }));
  }
  return row;
}

export async function reviewsView(view) {
  const list = el("ol", { class: "list", "data-testid": "reviews" });
  const refresh = async () => {
    const { reviews } = await api("GET", "/api/merchants/me/reviews?limit=100");
    list.replaceChildren(...reviews.map((r) => reviewRow(r, refresh)));
    if (!reviews.length) list.append(el("li", { class: "muted", text: "No reviews yet." }));
  };
  view.replaceChildren(el("h1", { tabindex: "-1", text: "Reviews" }),
    el("p", { class: "muted", text: "Only buyers with a paid order review. You may reply once and report abuse; "
      + "you cannot edit, hide or delete a review, and every review counts in the average." }), list);
  await refresh();
}

function questionRow(question, refresh) {
  return el("li", { class: "card", "data-testid": "question-row", "data-question-id": question.id },
    el("p", {}, el("b", { text: question.product_title || "Asked in a live show" }), ": ", question.text, " — ",
      el("span", { text: question.author.display_name }), ...badgeChips(question.author.badges)),
    ...question.answers.map((a) => el("p", { class: "muted", text: `${a.label}: ${a.text}` })),
    textForm({ id: `answer-${question.id}`, label: "Answer", button: "Answer", testid: "answer",
      send: (text) => api("POST", `/api/questions/${encodeURIComponent(question.id)}/answers`, { text }),
      after: refresh }));
}

export async function questionsView(view) {
  const list = el("ol", { class: "list", "data-testid": "questions" });
  const refresh = async () => {
    const { questions } = await api("GET", "/api/merchants/me/questions");
    list.replaceChildren(...questions.map((q) => questionRow(q, refresh)));
    if (!questions.length) list.append(el("li", { class: "muted", text: "No questions yet." }));
  };
  view.replaceChildren(el("h1", { tabindex: "-1", text: "Questions" }), list);
  await refresh();
}
