import { ApiError, signIn } from "../api.js";
import { h } from "../dom.js";
import { pick, t } from "../i18n.js";

export function render(main, { onSignedIn }) {
  const error = h("p", { class: "error", role: "alert", id: "login-error" });
  const username = h("input", { name: "username", id: "username", autocomplete: "username", required: true });
  const password = h("input", {
    name: "password",
    id: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const form = h(
    "form",
    { class: "login card", id: "login-form" },
    h("h1", {}, t("蓝天巡查 · 审核台", "Lantian console")),
    h("label", { for: "username" }, t("用户名", "Username")),
    username,
    h("label", { for: "password" }, t("密码", "Password")),
    password,
    h("button", { type: "submit", class: "primary" }, t("登录", "Sign in")),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await signIn(username.value, password.value);
      password.value = "";
      await onSignedIn();
    } catch (exc) {
      error.textContent = exc instanceof ApiError ? pick(exc.problem, "message_zh", "message_en") : String(exc);
    }
  });
  main.append(form);
  username.focus();
}
