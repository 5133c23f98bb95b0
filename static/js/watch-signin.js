// Sign in on the watch page (and the embedded player): a returning buyer's email and password bring their
// saved address and card, so the next tap buys. Shown while nobody (or an account without a login) watches.
import { api, ApiError } from "/static/js/api.js";

export function createSignIn(root, { identity }) {
  const button = root.querySelector("#sign-in");
  const mine = root.querySelector("#my-orders-link");
  const dialog = root.querySelector("dialog#signin-dialog");
  const form = dialog.querySelector("form");
  const error = dialog.querySelector(".error");
  dialog.querySelector("[value=cancel]").addEventListener("click", () => dialog.close("cancel"));
  button.addEventListener("click", () => {
    error.textContent = "";
    dialog.showModal();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const { user } = await api("POST", "/api/sessions", {
        email: form.elements.email.value.trim(), password: form.elements.password.value });
      dialog.close("signed-in");
      await identity.signedIn(user);
    } catch (caught) {
      error.textContent = caught instanceof ApiError ? caught.message : String(caught);
    }
  });
  return {
    refresh(user) {
      button.hidden = Boolean(user && user.email);
      mine.hidden = !(user && user.role === "viewer");
    },
  };
}
