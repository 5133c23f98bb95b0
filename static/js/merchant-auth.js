// Who is using the dashboard: a signed-in merchant, or the shared login form (login.js) with a switch to a
// sign-up form for new merchants (POST /api/merchants sets the session cookie like a login does).
import { api, currentUser } from "/static/js/api.js";
import { requireLogin } from "/static/js/login.js";
import { el } from "/static/js/dom.js";
import { field, formErrors, input, onSubmit } from "/static/js/merchant-ui.js";

export async function signIn(container) {
  const user = await currentUser();
  if (user && user.role === "merchant") return user;
  const loginSlot = el("div");
  const signupSlot = el("div", { hidden: true });
  const toSignup = el("button", { type: "button", class: "link", "data-testid": "show-signup",
                                  text: "Create a merchant account" });
  const switchBox = el("p", { class: "switch" }, "New here? ", toSignup);
  container.replaceChildren(el("main", { id: "view", class: "page" }, loginSlot, switchBox, signupSlot));
  return new Promise((resolve) => {
    requireLogin(loginSlot, ["merchant"], { title: "Sign in to your shop", user }).then(resolve);
    toSignup.addEventListener("click", () => {
      loginSlot.hidden = true;
      switchBox.hidden = true;
      signupSlot.hidden = false;
      signupSlot.replaceChildren(signupForm(resolve, () => {
        signupSlot.hidden = true;
        loginSlot.hidden = false;
        switchBox.hidden = false;
        loginSlot.querySelector("input")?.focus();
      }));
      signupSlot.querySelector("input").focus();
    });
  });
}

function signupForm(resolve, back) {
  const form = el("form", { class: "card login", "aria-labelledby": "signup-title", "data-testid": "signup-form", novalidate: true });
  const errors = formErrors(form, "signup-error");
  form.append(
    el("h1", { id: "signup-title", text: "Create your shop" }),
    field("Shop name", input("signup-name", "name", { required: true, maxlength: "80", autocomplete: "organization" })),
    field("Email", input("signup-email", "email", { type: "email", required: true, autocomplete: "email" })),
    field("Password", input("signup-password", "password", {
      type: "password", required: true, minlength: "8", autocomplete: "new-password" }), "At least 8 characters."),
    errors.line,
    el("button", { type: "submit", class: "primary", "data-testid": "signup-submit", text: "Create account" }),
    el("p", {}, "Already have an account? ",
      el("button", { type: "button", class: "link", "data-testid": "show-login", text: "Sign in", onclick: back })),
  );
  onSubmit(form, errors, async () => {
    const { user } = await api("POST", "/api/merchants", {
      name: form.elements.name.value, email: form.elements.email.value, password: form.elements.password.value,
    });
    resolve(user);
  });
  return form;
}
