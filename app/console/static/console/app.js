// The console's entry point: session start-up, the top bar, and routing by the URL's fragment.
import { get, refreshAccess, signOut, whenSignedOut } from "./api.js";
import { clear, h } from "./dom.js";
import { currentLang, setLang, t } from "./i18n.js";
import * as admin from "./pages/admin.js";
import * as adminJobs from "./pages/admin_jobs.js";
import * as adminParameters from "./pages/admin_parameters.js";
import * as casePage from "./pages/case.js";
import * as cases from "./pages/cases.js";
import * as dashboard from "./pages/dashboard.js";
import * as inspection from "./pages/inspection.js";
import * as login from "./pages/login.js";
import * as mapPage from "./pages/map.js";
import * as queue from "./pages/queue.js";

const main = document.getElementById("main");
const state = { user: null, cleanup: null };

// Pages to come (cases, dashboard) add one entry here and one module under pages/.
const ROUTES = [
  { pattern: /^#\/queue$/, page: queue, nav: ["审核队列", "Review queue"], href: "#/queue" },
  { pattern: /^#\/inspections\/([0-9a-f-]{36})$/, page: inspection },
  { pattern: /^#\/cases$/, page: cases, nav: ["案件", "Cases"], href: "#/cases" },
  { pattern: /^#\/cases\/(\d+)$/, page: casePage },
  { pattern: /^#\/map$/, page: mapPage, nav: ["地图", "Map"], href: "#/map" },
  { pattern: /^#\/dashboard$/, page: dashboard, nav: ["统计看板", "Dashboard"], href: "#/dashboard" },
  { pattern: /^#\/admin$/, page: admin, nav: ["管理", "Admin"], href: "#/admin", roles: ["admin"] },
  { pattern: /^#\/admin\/parameters$/, page: adminParameters, nav: ["检查表参数", "Parameters"], href: "#/admin/parameters", roles: ["admin"] },
  { pattern: /^#\/admin\/jobs$/, page: adminJobs, nav: ["后台任务", "Jobs"], href: "#/admin/jobs", roles: ["admin"] },
];

export function banner(message, kind = "info") {
  const el = document.getElementById("banner");
  el.textContent = message;
  el.className = `banner ${kind}`;
  el.hidden = !message;
}

function renderTopbar() {
  const bar = document.getElementById("topbar");
  bar.hidden = !state.user;
  const nav = clear(document.getElementById("nav"));
  for (const route of ROUTES) {
    if (!route.nav || (route.roles && !route.roles.includes(state.user?.role))) continue;
    // The longest matching link is the active one (#/admin/jobs is Jobs, not Admin).
    const longest = ROUTES.filter((r) => r.nav && location.hash.startsWith(r.href)).sort((a, b) => b.href.length - a.href.length)[0];
    const active = longest === route;
    nav.append(h("a", { href: route.href, class: active ? "active" : "" }, t(...route.nav)));
  }
  const user = state.user;
  document.getElementById("whoami").textContent = user
    ? `${user.display_name || user.username} · ${user.jurisdictions.map((j) => j.name_zh).join("、")}`
    : "";
  document.getElementById("lang-toggle").textContent = currentLang() === "zh" ? "English" : "中文";
  document.querySelector("[data-i18n=brand]").textContent = t("蓝天巡查 · 审核台", "Lantian console");
  document.getElementById("logout").textContent = t("退出登录", "Sign out");
}

async function route() {
  if (state.cleanup) {
    state.cleanup();
    state.cleanup = null;
  }
  banner("");
  if (!state.user) {
    renderTopbar();
    login.render(clear(main), { onSignedIn: startSession });
    return;
  }
  if (!location.hash || location.hash === "#/" || location.hash === "#/login") {
    location.replace("#/queue");
    return;
  }
  renderTopbar();
  for (const r of ROUTES) {
    const match = location.hash.match(r.pattern);
    if (match && (!r.roles || r.roles.includes(state.user.role))) {
      state.cleanup = (await r.page.render(clear(main), { user: state.user, params: match.slice(1), banner })) || null;
      return;
    }
  }
  clear(main).append(h("p", { class: "empty" }, t("页面不存在。", "No such page.")));
}

async function startSession() {
  state.user = await get("/api/v1/me");
  if (!["supervisor", "admin"].includes(state.user.role)) {
    banner(t("审核台仅供审核员和管理员使用。", "The console is for supervisors and admins."), "error");
  }
  await route();
}

whenSignedOut(() => {
  state.user = null;
  route();
});

document.getElementById("lang-toggle").addEventListener("click", () => {
  setLang(currentLang() === "zh" ? "en" : "zh");
  route();
});
document.getElementById("logout").addEventListener("click", async () => {
  await signOut();
  state.user = null;
  location.hash = "#/login";
  route();
});
window.addEventListener("hashchange", route);

setLang(currentLang());
// A reload keeps the session: the HttpOnly cookie gets a new access token.
if (await refreshAccess()) await startSession();
else await route();
