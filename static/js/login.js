// Sign-in for the studio (hosts) and the dashboard (merchants): returns the signed-in user, showing a login
// form in `container` first when nobody (or the wrong role) is signed in. The server sets the HttpOnly cookie.
import { api, ApiError, currentUser } from "/static/js/api.js";
import { el } from "/static/js/dom.js";

// `user`: the caller already knows who is signed in (null: nobody), so /api/me is not asked (its 401 logs a
// console error in Chromium).
export async function requireLogin(container, roles, { title = "Sign in", user: known } = {}) {
  const user = known === undefined ? await currentUser() : known;
  if (user && roles.includes(user.role)) return user;
  return new Promise((resolve) => {
    container.replaceChildren(loginForm(title, roles, resolve));
    container.querySelector("input").focus();
  });
}

export async function logout() {
  await api("DELETE", "/api/sessions");
  location.reload();
}

function loginForm(title, roles, resolve) {
  const error = el("p", { class: "error", role: "alert", "data-testid": "login-error" });
  const form = el("form", { class: "card login", "aria-labelledby": "login-title" },
    el("h1", { id: "login-title", text: title }),
    el("label", { for: "login-email", text: "Email" }),
    el("input", { id: "login-email", name: "email", type: "email", autocomplete: "username", required: true }),
    el("label", { for: "login-password", text: "Password" }),
    el("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password",
      required: true }),
    error,
    el("button", { type: "submit", class: "primary", "data-testid": "login-submit", text: "Sign in" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const { user } = await api("POST", "/api/sessions", {
        email: form.elements.email.value, password: form.elements.password.value,
      });
      if (!roles.includes(user.role)) {
        error.textContent = `This page is for ${roles.join(" or ")} accounts.`;
        return;
      }
      resolve(user);
    } catch (caught) {
      error.textContent = caught instanceof ApiError ? caught.message : String(caught);
    }
  });
  return form;
}
