// The product sheet (tap the card): the reviews summary, the reviews with the shop's replies, and the
// questions with their answers, read from the public API.
import { api, ApiError } from "/static/js/api.js";
import { badgeChips, stars } from "/static/js/badges.js";
import { el } from "/static/js/dom.js";

const line = (tag, className, text) => el(tag, { class: className || null, text });

function author(person) {
  const who = line("b", "name", person.display_name);
  return [who, ...badgeChips(person.badges)];
}

function reviewItem(review) {
  const li = el("li", { "data-testid": "sheet-review" });
  const head = line("p", "stars", `${stars(review.rating)} `);
  head.append(...author(review.author), line("span", "muted", review.verified_purchase ? " · verified purchase" : ""));
  li.append(head);
  if (review.title) li.append(line("p", "title", review.title));
  li.append(line("p", "body", review.body));
  if (review.edited_at) li.append(line("p", "muted small", "edited"));
  if (review.reply) li.append(line("p", "reply", `Reply from the shop: ${review.reply.text}`));
  return li;
}

function questionItem(question) {
  const li = el("li", { "data-testid": "sheet-question" });
  const head = line("p", "q", "Q: ");
  head.append(line("span", "", question.text), " ", ...author(question.author));
  li.append(head);
  for (const answer of question.answers) {
    const p = line("p", "a", `A (${answer.label}): `);
    p.append(line("span", "", answer.text), " ", ...author(answer.author));
    li.append(p);
  }
  if (!question.answers.length) li.append(line("p", "muted small", "Not answered yet"));
  return li;
}

export function createProductSheet(root) {
  const dialog = root.querySelector("dialog#product-sheet");
  const $ = (id) => dialog.querySelector(`#${id}`);
  let shown = null;
  $("sheet-ask-send").addEventListener("click", async () => {
    const text = $("sheet-ask").value.trim();
    $("sheet-error").textContent = "";
    if (!text || !shown) return;
    try {
      await api("POST", `/api/products/${encodeURIComponent(shown.product_id)}/questions`, { text });
      $("sheet-ask").value = "";
      await sheet.open(shown);
    } catch (caught) {
      $("sheet-error").textContent = caught instanceof ApiError && caught.status === 401
        ? "Sign in (or join the chat) to ask." : String(caught.message || caught);
    }
  });
  const sheet = {
    async open(offer) {
      shown = offer;
      $("product-sheet-title").textContent = offer.title;
      $("sheet-summary").textContent = "Loading…";
      $("sheet-reviews").replaceChildren();
      $("sheet-questions").replaceChildren();
      if (!dialog.open) dialog.showModal();
      const id = encodeURIComponent(offer.product_id);
      const [page, asked] = await Promise.all([
        api("GET", `/api/products/${id}/reviews?sort=helpful`), api("GET", `/api/products/${id}/questions`)]);
      const { average, count } = page.summary;
      $("sheet-summary").textContent = count
        ? `${stars(average)} ${average.toFixed(1)} · ${count} review${count === 1 ? "" : "s"}` : "No reviews yet";
      $("sheet-reviews").replaceChildren(...page.reviews.map(reviewItem));
      $("sheet-questions").replaceChildren(...asked.questions.map(questionItem));
    },
  };
  return sheet;
}
