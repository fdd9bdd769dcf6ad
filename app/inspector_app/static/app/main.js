// The inspector app: sign in, nearby sites, checklists, answers with photos, review, outbox. Chinese first.
import * as api from "./api.js";
import * as db from "./db.js";
import * as sync from "./sync.js";
import {
  ALERT_LEVELS, conditionData, evaluateAnswer, expandChecklist, groupErrors, itemApplies, itemInScope, objectCount, objectLabel,
  requiredPhotos, splitKey,
} from "./evaluator.js";
import { distanceM, pointOf, wgs84ToGcj02 } from "./geo.js";
import { signaturePad } from "./signature.js";

const view = document.getElementById("view");
const MIN_OFFICERS = Number(document.querySelector('meta[name="lantian-min-officers"]').content) || 2;
const BASE_MAP = (() => {
  const raw = document.querySelector('meta[name="lantian-base-map"]').content;
  try { return raw ? JSON.parse(raw) : null; } catch (_) { return null; }
})();
const ALERT_NAMES = { none: "无预警", blue: "蓝色预警", yellow: "黄色预警", orange: "橙色预警", red: "红色预警" };
const VERDICT_NAMES = { pass: "合格", fail: "不合格", incomplete: "未完成", na: "不适用" };
const LOGGED_OUT = "lantian.logged_out"; // set only when a logout could not reach the server
let me = null;
let fix = null; // the last GPS fix: {lon, lat, accuracy_m, at} (WGS-84)

// ------------------------------------------------------------------------------------------- helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(...nodes) {
  view.replaceChildren(...nodes);
  window.scrollTo(0, 0);
}

function fmtDistance(m) {
  if (m === null || m === undefined) return "";
  return m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`;
}

function fmtTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
}

function yuan(money) {
  return money ? `${money.yuan ?? (money.fen / 100).toFixed(2)} 元` : "—";
}

function nowIso() {
  return new Date().toISOString();
}

function todayShanghai() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function problemText(e) {
  if (e instanceof api.Offline) return "网络不可用 / No network";
  if (e instanceof api.Problem) return `${e.body.message_zh || e.message}（${e.body.message_en || ""}）`;
  return String(e && e.message ? e.message : e);
}

function updateNet() {
  const net = document.getElementById("net");
  net.textContent = navigator.onLine ? "在线" : "离线";
  net.className = navigator.onLine ? "net on" : "net off";
}

async function updateOutboxCount() {
  const items = await db.all("inspections");
  const pending = items.filter((i) => i.status === "queued" || i.status === "blocked").length;
  document.getElementById("outbox-count").textContent = String(pending);
}

function watchPosition() {
  if (!("geolocation" in navigator)) return;
  navigator.geolocation.watchPosition(
    (p) => {
      fix = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy, at: new Date(p.timestamp).toISOString() };
      document.dispatchEvent(new CustomEvent("fix"));
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 },
  );
}

function currentFix(timeoutMs = 5000) {
  if (fix) return Promise.resolve(fix);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(fix), timeoutMs);
    document.addEventListener("fix", () => { clearTimeout(t); resolve(fix); }, { once: true });
  });
}

// ------------------------------------------------------------------------------------------- sign in

function loginView(message) {
  const user = h("input", { name: "username", autocomplete: "username", required: true, "aria-label": "用户名 / Username" });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, "aria-label": "密码 / Password" });
  const status = h("p", { class: "error", role: "alert" }, message || "");
  const form = h("form", { class: "card login", onsubmit: async (ev) => {
    ev.preventDefault();
    status.textContent = "";
    try {
      await api.login(user.value.trim(), pass.value);
      localStorage.removeItem(LOGGED_OUT);
      await loadMe();
      sync.start();
      location.hash = "#/";
      route();
    } catch (e) {
      status.textContent = problemText(e);
    }
  } },
  h("h1", {}, "检查员登录"), h("p", { class: "en" }, "Inspector sign-in"),
  h("label", {}, "用户名 ", h("span", { class: "en" }, "Username"), user),
  h("label", {}, "密码 ", h("span", { class: "en" }, "Password"), pass),
  h("button", { type: "submit", class: "primary big", "data-test": "login" }, "登录 / Sign in"), status);
  show(form);
}

async function loadMe() {
  const r = await api.json("/api/v1/me");
  me = r.body;
  await db.kvSet("me", me);
}

// ------------------------------------------------------------------------------------------- home: sites

async function fetchNearby(q) {
  const pos = await currentFix(3000);
  const params = new URLSearchParams({ limit: "50" });
  if (pos) params.set("near", `${pos.lon},${pos.lat}`);
  if (q) params.set("q", q);
  const r = await api.json(`/api/v1/sites?${params}`);
  for (const s of r.body.items) await db.put("sites", { ...s, cached_at: nowIso() });
  return r.body.items;
}

async function cachedSites(q) {
  const pos = fix;
  const needle = (q || "").trim().toUpperCase();
  let sites = await db.all("sites");
  if (needle) {
    sites = sites.filter((s) => s.name.toUpperCase().includes(needle) || (s.operator && (s.operator.credit_code || "") === needle) || (s.code || "").toUpperCase() === needle);
  }
  for (const s of sites) {
    const p = pointOf(s.geometry);
    s.distance_m = pos && p ? distanceM([pos.lon, pos.lat], p) : null;
  }
  return sites.sort((a, b) => (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity));
}

function siteRow(s) {
  return h("li", {}, h("a", { href: `#/site/${s.id}`, class: "row", "data-test": "site", "data-site-code": s.code || "" },
    h("span", { class: "name" }, s.name),
    h("span", { class: "dist", "data-test": "distance" }, fmtDistance(s.distance_m)),
    h("span", { class: "meta" }, [s.code, s.operator && s.operator.credit_code].filter(Boolean).join(" · "))));
}

// ------------------------------------------------------------------------------------------- tasks

/** Check-item prompts by key from the checklists cached on the phone (the task names keys only). */
async function itemPrompts() {
  const names = {};
  for (const row of await db.all("checklists")) {
    for (const i of (row.doc && row.doc.items) || []) names[i.key] = i.prompt;
    for (const g of (row.doc && row.doc.groups) || []) {
      const noun = g.object_name || { zh: "个", en: "object" };
      for (const i of g.items || []) names[`${g.key}.*.${i.key}`] = { ...i.prompt, noun };
    }
    for (const c of (row.resolved && row.resolved.checklists) || []) for (const i of c.items || []) names[i.key] = i.prompt;
  }
  return names;
}

/** The re-inspection tasks: fresh from the server when online, else as the last sync left them. */
async function loadTasks() {
  try {
    return { tasks: await sync.fetchTasks(), cached: false };
  } catch (e) {
    if (e instanceof api.AuthLost) throw e;
    return { tasks: await db.all("tasks"), cached: true };
  }
}

function byDeadline(a, b) {
  return (a.deadline || "").localeCompare(b.deadline || "") || a.order_id - b.order_id;
}

function recheckText(keys, names) {
  const named = (k) => {
    if (names[k]) return names[k].zh;
    const ref = splitKey(k); // one object of a repeatable group: 第2台：排放阶段
    const p = ref && names[`${ref.group}.*.${ref.item}`];
    return p ? `第${ref.index + 1}${p.noun.zh}：${p.zh}` : k;
  };
  return keys.length ? keys.map(named).join("、") : "整改事项（见责令改正决定）";
}

/** Online: keep each task's site and checklists on the phone, so the re-inspection can start offline, and
 *  name the items to re-check once their prompts are known. */
async function prefetchTaskSites(tasks, section) {
  if (!navigator.onLine) return;
  for (const siteId of new Set(tasks.map((t) => t.site.id))) {
    const cached = await db.get("checklists", siteId);
    if (cached && Date.now() - Date.parse(cached.at) < 6 * 3600 * 1000) continue; // fresh enough: no refetch per visit
    try {
      const site = (await api.json(`/api/v1/sites/${siteId}`)).body;
      await db.put("sites", { ...(await db.get("sites", siteId)), ...site, cached_at: nowIso() });
      await loadChecklists(siteId);
    } catch (_) { /* offline or gone: the task still opens what is cached */ }
  }
  const names = await itemPrompts();
  for (const t of tasks) {
    const el = section.querySelector(`[data-order-id="${t.order_id}"] [data-test=recheck]`);
    if (el) el.textContent = `复查：${recheckText(t.item_keys, names)}`;
  }
}

async function tasksSection() {
  const { tasks, cached } = await loadTasks();
  if (!tasks.length) return h("span", { "data-test": "no-tasks" });
  const names = await itemPrompts();
  const local = await db.all("inspections");
  const rows = tasks.sort(byDeadline).map((t) => {
    const mine = local.find((i) => i.reinspection_of === t.reinspection_of && editable(i));
    const begun = mine || t.started.length;
    return h("li", {}, h("a", { href: mine ? `#/i/${mine.id}` : `#/task/${t.order_id}`, class: "row task", "data-test": "task", "data-order-id": String(t.order_id) },
      h("span", { class: "name" }, "复查 ", t.site.name),
      h("span", { class: "overdue", "data-test": "overdue" }, `逾期 ${t.days_overdue} 天`),
      h("span", { class: "meta", "data-test": "deadline" }, `整改期限 ${t.deadline}（${t.order_decided_on} 责令改正）`, h("span", { class: "en" }, ` deadline ${t.deadline}`)),
      h("span", { class: "meta recheck", "data-test": "recheck" }, `复查：${recheckText(t.item_keys, names)}`),
      begun ? h("span", { class: "meta started" }, mine ? "本机有未完成的复查 / draft on this phone" : "已有复查在进行 / already begun") : null));
  });
  const section = h("section", { "data-test": "tasks" }, h("h2", {}, "今日复查任务 ", h("span", { class: "en" }, "Re-inspections due")),
    cached ? h("p", { class: "muted" }, "离线：上次同步的任务 / offline: tasks as last synced") : null,
    h("ul", { class: "list" }, rows));
  prefetchTaskSites(tasks, section);
  return section;
}

async function taskView(orderId) {
  let task = await db.get("tasks", orderId);
  if (!task) {
    try { task = (await sync.fetchTasks()).find((t) => t.order_id === orderId); } catch (_) { /* offline: not cached */ }
  }
  if (!task) return show(h("p", {}, h("a", { href: "#/", class: "back" }, "‹ 返回")), h("p", { class: "error" }, "任务不存在或已完成 / Task not found or done"));
  return siteView(task.site.id, task);
}

async function homeView() {
  const list = h("ul", { class: "list", "data-test": "sites" });
  const note = h("p", { class: "muted" });
  const search = h("input", { type: "search", placeholder: "名称或统一社会信用代码 / name or credit code", "aria-label": "搜索场所 / Search sites", "data-test": "search" });
  const load = async () => {
    const q = search.value.trim();
    let sites;
    try {
      sites = await fetchNearby(q);
      note.textContent = fix ? `按距离排序（定位精度 ${Math.round(fix.accuracy_m)} 米）` : "未定位：按编号排序";
    } catch (e) {
      sites = await cachedSites(q);
      note.textContent = "离线：显示已缓存的场所 / offline: cached sites";
    }
    list.replaceChildren(...(sites.length ? sites.map(siteRow) : [h("li", { class: "muted" }, "没有找到场所 / No sites")]));
  };
  let debounce = null;
  search.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(load, 300); });
  const mine = await myInspections();
  const tasks = await tasksSection();
  show(
    tasks,
    h("section", {}, h("h2", {}, "附近场所 ", h("span", { class: "en" }, "Nearby sites")), search, note, list),
    mine,
    h("section", { class: "foot" },
      h("p", { class: "muted" }, me ? `${me.display_name || me.username}` : ""),
      h("button", { class: "big", "data-test": "logout", onclick: logoutNow }, "退出登录并清除本机数据 / Log out")),
  );
  await load();
}

async function myInspections() {
  const items = (await db.all("inspections")).filter((i) => i.status === "draft" || i.status === "returned" || i.status === "blocked");
  if (!items.length) return h("span");
  return h("section", {}, h("h2", {}, "未完成的检查 ", h("span", { class: "en" }, "To finish")),
    h("ul", { class: "list" }, items.map((i) => h("li", {}, h("a", { class: "row", href: `#/i/${i.id}` },
      h("span", { class: "name" }, i.site.name), h("span", { class: "meta" }, statusText(i)))))));
}

async function logoutNow() {
  const pending = (await db.all("inspections")).filter((i) => i.status === "queued" || i.status === "draft" || i.status === "blocked");
  if (pending.length && !confirm(`还有 ${pending.length} 条检查记录未发送，退出将删除它们。确定？`)) return;
  const cleared = await api.logout();
  await db.wipe();
  if ("caches" in window) for (const k of await caches.keys()) await caches.delete(k);
  // Offline, the HttpOnly cookie cannot be removed from here: remember to remove it before the app signs in
  // by itself again (boot), so the next person to pick up the phone cannot continue this session.
  if (!cleared) localStorage.setItem(LOGGED_OUT, "1");
  me = null;
  location.hash = "#/";
  loginView("已退出 / Logged out");
}

// ------------------------------------------------------------------------------------------- site

async function loadChecklists(siteId) {
  const cached = await db.get("checklists", siteId);
  try {
    const r = await api.json(`/api/v1/sites/${siteId}/checklist?date=${todayShanghai()}&alert_level=none`);
    const docs = {};
    for (const c of r.body.checklists) docs[c.key] = await checklistDoc(c.key, c.version);
    const row = { id: siteId, resolved: r.body, docs, at: nowIso() };
    await db.put("checklists", row);
    return row;
  } catch (e) {
    if (cached && (e instanceof api.Offline || e instanceof api.AuthLost || (e instanceof api.Problem && e.status >= 500))) return cached;
    throw e;
  }
}

/** A checklist version document, kept with its ETag: a refresh costs a 304. */
async function checklistDoc(key, version) {
  const id = `doc:${key}@${version}`;
  const cached = await db.get("checklists", id);
  try {
    const r = await api.json(`/api/v1/checklists/${encodeURIComponent(key)}/versions/${encodeURIComponent(version)}`,
      { headers: cached && cached.etag ? { "If-None-Match": cached.etag } : {} });
    if (r.status === 304 && cached) return cached.doc;
    await db.put("checklists", { id, doc: r.body, etag: r.etag });
    return r.body;
  } catch (e) {
    if (cached) return cached.doc;
    return null;
  }
}

function siteMap(site) {
  const el = h("div", { class: "map", "data-test": "map" });
  const p = pointOf(site.geometry);
  if (!p || !globalThis.L) return el;
  const crs = BASE_MAP && BASE_MAP.crs === "gcj02" ? "gcj02" : "wgs84";
  const toMap = (lon, lat) => (crs === "gcj02" ? wgs84ToGcj02(lon, lat) : [lon, lat]);
  requestAnimationFrame(() => {
    const [lon, lat] = toMap(p[0], p[1]);
    const map = L.map(el, { attributionControl: !!BASE_MAP, zoomControl: true }).setView([lat, lon], 16);
    if (BASE_MAP) L.tileLayer(BASE_MAP.url, { attribution: BASE_MAP.attribution || "", maxZoom: 19 }).addTo(map);
    L.circleMarker([lat, lon], { radius: 9, color: "#b3261e", weight: 3 }).addTo(map).bindTooltip(site.name);
    if (fix) {
      const [flon, flat] = toMap(fix.lon, fix.lat);
      L.circleMarker([flat, flon], { radius: 6, color: "#0b57d0", weight: 2 }).addTo(map).bindTooltip("我的位置");
      L.circle([flat, flon], { radius: fix.accuracy_m, color: "#0b57d0", weight: 1, fill: false }).addTo(map);
    }
  });
  return el;
}

function taskBanner(task, names) {
  return h("section", { class: "card task-banner", "data-test": "task-banner" },
    h("h3", {}, "复查任务 ", h("span", { class: "en" }, "Re-inspection")),
    h("p", {}, `整改期限 ${task.deadline}，已逾期 ${task.days_overdue} 天`, h("span", { class: "en" }, ` deadline ${task.deadline}, ${task.days_overdue} days overdue`)),
    h("p", { "data-test": "recheck" }, `须复查：${recheckText(task.item_keys, names)}`),
    h("p", { class: "meta" }, `责令改正决定 ${task.order_decided_on}`));
}

async function siteView(siteId, task = null) {
  let site = await db.get("sites", siteId);
  try {
    site = (await api.json(`/api/v1/sites/${siteId}`)).body;
    await db.put("sites", { ...(await db.get("sites", siteId)), ...site });
  } catch (e) {
    if (!site && task) site = { id: siteId, name: task.site.name, address: task.site.address, geometry: null };
    if (!site) return show(h("p", { class: "error" }, problemText(e)));
  }
  const banner = task ? taskBanner(task, await itemPrompts()) : null;
  const body = h("section", {}, h("p", { class: "muted" }, "正在载入检查表… / Loading checklists…"));
  const p = pointOf(site.geometry);
  const far = fix && p ? fmtDistance(distanceM([fix.lon, fix.lat], p)) : null;
  show(
    h("p", {}, h("a", { href: "#/", class: "back" }, "‹ 场所列表")),
    h("h2", { "data-test": "site-name" }, site.name),
    h("p", { class: "meta" }, [site.address, site.operator && site.operator.name, site.operator && site.operator.credit_code].filter(Boolean).join(" · ")),
    far ? h("p", { class: "meta" }, `距我 ${far}`) : null,
    banner,
    siteMap(site),
    body,
  );
  let row;
  try {
    row = await loadChecklists(siteId);
  } catch (e) {
    body.replaceChildren(h("p", { class: "error" }, problemText(e)));
    return;
  }
  const cards = row.resolved.checklists.map((c) => h("div", { class: "card" },
    h("h3", {}, c.title ? c.title.zh : c.key), h("p", { class: "en" }, c.title ? c.title.en : ""),
    h("p", { class: "meta" }, `${c.items.length} 项适用 · 版本 ${c.version}`),
    task
      ? h("button", { class: "primary big", "data-test": `start-${c.key}`, onclick: () => startInspection(site, row, c, task) }, "开始复查 / Start re-inspection")
      : h("button", { class: "primary big", "data-test": `start-${c.key}`, onclick: () => startInspection(site, row, c) }, "开始检查 / Start")));
  const skipped = (row.resolved.not_applicable || []).map((c) => h("li", { class: "muted" }, `${c.title ? c.title.zh : c.key}：${(c.reasons || []).map((r) => r.zh).join("；")}`));
  if (banner) banner.replaceWith(taskBanner(task, await itemPrompts())); // prompts known now the checklists are in
  body.replaceChildren(h("h3", {}, "适用的检查表 ", h("span", { class: "en" }, "Checklists that apply")), ...cards,
    skipped.length ? h("details", {}, h("summary", {}, "不适用的检查表"), h("ul", {}, skipped)) : null);
}

async function startInspection(site, row, resolved, task = null) {
  const id = crypto.randomUUID();
  const insp = {
    id,
    site: { id: site.id, name: site.name, kind: site.kind, code: site.code, point: pointOf(site.geometry) },
    checklist: { key: resolved.key, version: resolved.version, hash: resolved.content_hash },
    context: row.resolved.context,
    parameters: resolved.parameters || {},
    resolved_items: resolved.items,
    doc: row.docs ? row.docs[resolved.key] : null,
    officers: [{ user_id: me.id, name: me.display_name || me.username, self: true }],
    started_at: nowIso(),
    ended_at: null,
    location: null,
    alert_level: (row.resolved.context && row.resolved.context.alert_level) || "none",  // the server's level in force
    answers: {},
    status: "draft",
    phase: "photos",
    server: null,
    created_at: nowIso(),
    // 复查: the earlier inspection whose order to correct this checks (capture API field reinspection_of)
    reinspection_of: task ? task.reinspection_of : null,
    task: task ? { order_id: task.order_id, deadline: task.deadline, item_keys: task.item_keys } : null,
  };
  await db.put("inspections", insp);
  location.hash = `#/i/${id}`;
}

// ------------------------------------------------------------------------------------------- inspection

/** The checklist as this inspection has it: each repeatable group's items once per object (answered or added). */
function expandedDoc(insp) {
  return expandChecklist(insp.doc, Object.keys(insp.answers || {}), insp.groups || {});
}

/** Display order, as the server serves it: by section (in the checklist's order), then as written. */
function bySection(doc, items) {
  const order = Object.fromEntries(((doc && doc.sections) || []).map((s, i) => [s.key, i]));
  const rank = (i) => (i.section in order ? order[i.section] : Object.keys(order).length);
  return items.map((item, n) => [rank(item), n, item]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}

/** The items that apply now: the checklist's items re-evaluated on the phone for the chosen alert level. */
function applicableItems(insp) {
  const reasons = Object.fromEntries((insp.resolved_items || []).map((i) => [i.key, i.applies_because]));
  if (!insp.doc || !insp.context) return insp.resolved_items || [];
  const data = conditionData(insp.context, insp.parameters, insp.alert_level, insp.answers || {});
  const inScope = (i) => itemInScope(i, insp.doc.sources, insp.context);
  // The site's heavy-pollution measure items (alert.m<id>) come with the server's resolved checklist only.
  const measures = (insp.resolved_items || []).filter((i) => /^alert\.m[0-9]+$/.test(i.key));
  const own = bySection(insp.doc, expandedDoc(insp).items.filter((i) => inScope(i) && itemApplies(i, data)));
  return [...own, ...measures].map((i) => ({
    ...i,
    applies_because: reasons[i.key] && insp.alert_level === (insp.context.alert_level || "none") ? reasons[i.key]
      : { zh: `本机按${ALERT_NAMES[insp.alert_level]}判定适用`, en: `applies under ${insp.alert_level} alert (evaluated on the phone)` },
  }));
}

async function savePatch(id, fn) {
  return db.update("inspections", id, (cur) => ({ ...fn(cur), updated_at: nowIso() }));
}

function verdictBadge(ev) {
  const span = h("span", { class: `badge ${ev.verdict}`, "data-test": "verdict", "data-verdict": ev.verdict }, VERDICT_NAMES[ev.verdict] || ev.verdict);
  return h("div", { class: "preview" }, span, " ", h("span", { class: "expl" }, ev.explanation ? ev.explanation.zh : ""));
}

function numberList(text) {
  return text.split(/[\s,，;；]+/).filter(Boolean).map(Number);
}

function answerInput(item, answer, onChange) {
  const set = (fields) => onChange({ ...answer, ...fields });
  switch (item.kind) {
    case "check": {
      const opts = [["pass", "合格"], ["fail", "不合格"]];
      if (item.na_allowed) opts.push(["na", "不适用"]);
      return h("div", { class: "seg", role: "radiogroup" }, opts.map(([v, label]) => h("button", {
        type: "button", class: answer.verdict === v ? `on ${v}` : "", "aria-pressed": answer.verdict === v ? "true" : "false",
        "data-test": `verdict-${v}`, onclick: () => set({ verdict: v }),
      }, label)));
    }
    case "measure": {
      const lim = item.limit;
      const limitText = lim ? `限值 ${({ le: "≤", lt: "<", ge: "≥", gt: ">" })[lim.comparison]} ${typeof lim.value === "object" ? "（辖区设定）" : lim.value} ${item.unit}（${lim.wording_zh}）` : "";
      return h("div", {}, h("p", { class: "meta" }, limitText, ` · 至少 ${item.readings.min_count} 个读数`),
        h("input", { inputmode: "decimal", "data-test": "values", placeholder: `读数（${item.unit}），用空格分隔`, value: (answer.values || []).join(" "),
          onchange: (ev) => set({ values: numberList(ev.target.value), unit: item.unit }) }));
    }
    case "count":
      return h("input", { type: "number", inputmode: "numeric", min: "0", step: "1", "data-test": "count", value: answer.count ?? "",
        onchange: (ev) => set({ count: ev.target.value === "" ? null : Number(ev.target.value) }) });
    case "choice":
      return h("div", { class: "seg col" }, (item.options || []).map((o) => h("button", {
        type: "button", class: answer.choice === o.key ? "on" : "", "data-test": `choice-${o.key}`, onclick: () => set({ choice: o.key }),
      }, o.label.zh)));
    case "code":
      return h("div", {}, item.format ? h("p", { class: "meta" }, `格式：${item.format.description.zh}`) : null,
        h("input", { autocapitalize: "characters", "data-test": "code", value: answer.code || "", onchange: (ev) => set({ code: ev.target.value }) }));
    case "text":
      return h("textarea", { rows: "3", "data-test": "text", onchange: (ev) => set({ text: ev.target.value }) }, answer.text || "");
    default:
      return h("p", { class: "error" }, `未知类型 ${item.kind}`);
  }
}

async function resizedCopy(blob, maxSide) {
  try {
    const bmp = await createImageBitmap(blob, { imageOrientation: "from-image" });
    const scale = Math.min(1, maxSide / Math.max(bmp.width, bmp.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bmp.width * scale);
    canvas.height = Math.round(bmp.height * scale);
    canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
    bmp.close();
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  } catch (_) {
    return null; // a format this browser cannot decode (e.g. HEIC): the original still goes up untouched
  }
}

async function addPhotos(inspId, itemKey, files) {
  for (const file of files) {
    const buffer = await file.arrayBuffer();
    const sha256 = hex(await crypto.subtle.digest("SHA-256", buffer));
    const original = new Blob([buffer], { type: file.type || "application/octet-stream" });
    const photo = {
      id: crypto.randomUUID(), inspection_id: inspId, item_key: itemKey, original, size: original.size, mime: file.type,
      sha256, display: await resizedCopy(original, 1280), captured_at: nowIso(),
      position: fix ? { ...fix } : null, uploaded: false, offset: 0, state: "pending",
    };
    await db.put("photos", photo);
    await savePatch(inspId, (cur) => {
      const a = { ...(cur.answers[itemKey] || {}) };
      a.photos = [...(a.photos || []), photo.id];
      return { ...cur, answers: { ...cur.answers, [itemKey]: a } };
    });
  }
}

const objectUrls = [];
function photoThumb(photo, onRemove) {
  const url = URL.createObjectURL(photo.display || photo.original);
  objectUrls.push(url);
  return h("figure", { class: "thumb", "data-test": "photo" }, h("img", { src: url, alt: "现场照片" }),
    h("figcaption", {}, fmtTime(photo.captured_at).slice(-8), photo.position ? ` ±${Math.round(photo.position.accuracy_m)}m` : " 无定位"),
    onRemove ? h("button", { type: "button", class: "x", "aria-label": "删除照片", onclick: onRemove }, "×") : null);
}

async function itemCard(insp, item, rerender) {
  const answer = insp.answers[item.key] || {};
  const ev = evaluateAnswer(item, answer, insp.parameters);
  const photos = await db.byIndex("photos", "inspection_id", insp.id);
  const mine = (answer.photos || []).map((id) => photos.find((p) => p.id === id)).filter(Boolean);
  const comment = insp.server && insp.server.review && (insp.server.review.item_comments || []).find((c) => c.item_key === item.key);
  const need = requiredPhotos(item, ev.verdict);
  const fileInput = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, class: "file", "data-test": "photo-input",
    onchange: async (e) => { await addPhotos(insp.id, item.key, Array.from(e.target.files)); rerender(); } });
  const update = async (next) => { await savePatch(insp.id, (cur) => ({ ...cur, answers: { ...cur.answers, [item.key]: next } })); rerender(); };
  const recheck = insp.task && (insp.task.item_keys || []).includes(item.key);
  return h("article", { class: `card item ${ev.verdict}${recheck ? " recheck" : ""}`, "data-test": "item", "data-key": item.key, id: `item-${item.key}` },
    recheck ? h("p", { class: "recheck-tag", "data-test": "recheck-item" }, "复查项：责令改正的事项 / to re-check") : null,
    h("h3", {}, item.prompt.zh), h("p", { class: "en" }, item.prompt.en),
    h("p", { class: "why" }, "适用原因：", item.applies_because ? item.applies_because.zh : "—",
      h("span", { class: "src" }, ` 依据 ${[].concat(item.source || item.sources || []).join("、")}`)),
    comment ? h("p", { class: "comment" }, `审核意见：${comment.comment}`) : null,
    answerInput(item, answer, update),
    verdictBadge(ev),
    h("div", { class: "photos" }, mine.map((p) => photoThumb(p, async () => {
      await savePatch(insp.id, (cur) => ({ ...cur, answers: { ...cur.answers, [item.key]: { ...answer, photos: answer.photos.filter((x) => x !== p.id) } } }));
      if (!p.uploaded) await db.del("photos", p.id);
      rerender();
    })),
    h("label", { class: "camera" }, `拍照${need ? `（至少 ${need} 张）` : ""}`, fileInput)),
    h("input", { class: "note", placeholder: "备注 / note", value: answer.note || "", onchange: (e) => update({ ...answer, note: e.target.value }) }));
}

/** What one object is called with its number and label: 第2台「2号装载机」 / machine #2. */
function objectName(group, index, label) {
  const noun = group.object_name || { zh: "个", en: "object" };
  return {
    zh: `第${index + 1}${noun.zh}${label ? `「${label}」` : ""}`,
    en: `${noun.en} #${index + 1}${label ? ` '${label}'` : ""}`,
  };
}

/** Remove one object of a group: its answers go, later objects move up one (keys `<group>.<index>.<item>`). */
async function removeObject(insp, group, index) {
  const photos = [];
  await savePatch(insp.id, (cur) => {
    const answers = {};
    for (const [key, a] of Object.entries(cur.answers || {})) {
      const ref = splitKey(key);
      if (!ref || ref.group !== group.key || ref.index < index) answers[key] = a;
      else if (ref.index > index) answers[`${ref.group}.${ref.index - 1}.${ref.item}`] = a;
      else photos.push(...(a.photos || []));
    }
    const n = objectCount(group, Object.keys(cur.answers || {}), (cur.groups || {})[group.key]);
    return { ...cur, answers, groups: { ...(cur.groups || {}), [group.key]: Math.max(0, n - 1) } };
  });
  for (const id of photos) {
    const p = await db.get("photos", id);
    if (p && !p.uploaded) await db.del("photos", id);
  }
}

/** One repeatable group: each object under its own heading (remove), its items, and "add". */
async function groupBlock(insp, group, items, rerender) {
  const n = objectCount(group, Object.keys(insp.answers || {}), (insp.groups || {})[group.key]);
  const noun = group.object_name || { zh: "个", en: "object" };
  const out = [h("h3", { class: "group-title", "data-test": `group-${group.key}` }, group.title.zh, h("span", { class: "en" }, ` ${group.title.en}`))];
  for (let i = 0; i < n; i += 1) {
    const name = objectName(group, i, objectLabel(insp.doc, insp.answers, group.key, i));
    const mine = items.filter((it) => it.object && it.object.group === group.key && it.object.index === i);
    out.push(h("div", { class: "object-head", "data-test": "object", "data-group": group.key, "data-index": String(i) },
      h("h4", {}, name.zh, h("span", { class: "en" }, ` ${name.en}`)),
      n > (group.min || 0) ? h("button", { type: "button", class: "x", "data-test": "object-remove", "aria-label": `移除${name.zh}`,
        onclick: async () => { await removeObject(insp, group, i); rerender(); } }, `移除 / Remove`) : null));
    for (const item of mine) out.push(await itemCard(insp, item, rerender));
  }
  if (group.max === undefined || group.max === null || n < group.max) {
    out.push(h("button", { type: "button", class: "add-object", "data-test": `add-${group.key}`, onclick: async () => {
      await savePatch(insp.id, (cur) => ({ ...cur, groups: { ...(cur.groups || {}), [group.key]: n + 1 } }));
      rerender();
    } }, `＋ 添加一${noun.zh} / Add ${noun.en}`));
  }
  return out;
}

/** The item cards under their section headings (the checklist's ``sections``), each group's objects in its section. */
async function checklistCards(insp, items, rerender) {
  const doc = insp.doc || {};
  const sections = doc.sections || [];
  const known = new Set(sections.map((s) => s.key));
  const where = (x) => (known.has(x.section) ? x.section : null);
  const own = items.filter((i) => !i.object);
  const out = [];
  for (const key of [...sections.map((s) => s.key), null]) {
    const mine = own.filter((i) => where(i) === key);
    const groups = (doc.groups || []).filter((g) => where(g) === key);
    if (!mine.length && !groups.length) continue;
    const title = sections.find((s) => s.key === key);
    if (title) out.push(h("h2", { class: "section-title", "data-test": "section-heading", "data-section": key }, title.title.zh, h("span", { class: "en" }, ` ${title.title.en}`)));
    for (const item of mine) out.push(await itemCard(insp, item, rerender));
    for (const group of groups) out.push(...await groupBlock(insp, group, items, rerender));
  }
  return out;
}

function officersSection(insp, rerender) {
  const kind = h("select", { "aria-label": "证件类型", "data-test": "officer-kind" },
    h("option", { value: "badge" }, "执法证号"), h("option", { value: "user" }, "用户编号"));
  const value = h("input", { "aria-label": "同行执法人员", placeholder: "同行执法人员", "data-test": "officer-value" });
  const add = async () => {
    const v = value.value.trim();
    if (!v) return;
    const officer = kind.value === "user" && /^\d+$/.test(v) ? { user_id: Number(v), name: `用户 ${v}` } : { badge_number: v, name: `执法证 ${v}` };
    await savePatch(insp.id, (cur) => ({ ...cur, officers: [...cur.officers, officer] }));
    rerender();
  };
  return h("section", { class: "card" }, h("h3", {}, `执法人员（至少 ${MIN_OFFICERS} 人）`, h("span", { class: "en" }, " Officers")),
    h("ul", { class: "officers" }, insp.officers.map((o, i) => h("li", {}, o.name || o.badge_number || o.user_id,
      o.self ? null : h("button", { type: "button", class: "x", "aria-label": "移除", onclick: async () => {
        await savePatch(insp.id, (cur) => ({ ...cur, officers: cur.officers.filter((_, j) => j !== i) }));
        rerender();
      } }, "×")))),
    h("div", { class: "inline" }, kind, value, h("button", { type: "button", "data-test": "officer-add", onclick: add }, "添加")));
}

function editable(insp) {
  return insp.status === "draft" || insp.status === "returned" || insp.status === "blocked";
}

async function inspectionView(id) {
  const insp = await db.get("inspections", id);
  if (!insp) return show(h("p", { class: "error" }, "检查记录不存在 / Not found"));
  if (!editable(insp)) { location.hash = "#/outbox"; return; }
  const rerender = () => inspectionView(id).then(() => {});
  const y = window.scrollY;
  const items = applicableItems(insp);
  const alert = h("select", { "data-test": "alert-level", "aria-label": "预警级别", onchange: async (e) => {
    await savePatch(id, (cur) => ({ ...cur, alert_level: e.target.value }));
    rerender();
  } }, ALERT_LEVELS.map((l) => h("option", { value: l, selected: l === insp.alert_level }, ALERT_NAMES[l])));
  const review = insp.server && insp.server.review;
  const cards = await checklistCards(insp, items, rerender);
  view.replaceChildren(
    h("p", {}, h("a", { href: `#/site/${insp.site.id}`, class: "back" }, `‹ ${insp.site.name}`)),
    h("h2", {}, insp.doc && insp.doc.title ? insp.doc.title.zh : insp.checklist.key),
    review && insp.status === "returned" ? h("p", { class: "comment" }, `退回意见：${review.comment}`) : null,
    insp.reinspection_of ? h("p", { class: "task-banner card", "data-test": "reinspection" }, "复查 / Re-inspection",
      insp.task ? ` · 整改期限 ${insp.task.deadline}` : "") : null,
    h("p", { class: "meta" }, `开始 ${fmtTime(insp.started_at)} · 共 ${items.length} 项`),
    h("label", { class: "inline" }, "预警级别 ", alert),
    officersSection(insp, rerender),
    ...cards,
    h("label", { class: "card" }, "检查备注 / Note", h("textarea", { rows: "3", onchange: async (e) => { await savePatch(id, (cur) => ({ ...cur, note: e.target.value })); } }, insp.note || "")),
    h("a", { class: "primary big block", href: `#/review/${id}`, "data-test": "to-review" }, "检查完毕，复核提交 / Review"),
  );
  window.scrollTo(0, y);
}

// ------------------------------------------------------------------------------------------- signature

/** Keep the drawn signature as a photo of this inspection (sent with its photos) and remember what it is. */
async function saveSignature(insp, png, fields) {
  const buffer = await png.arrayBuffer();
  const sha256 = hex(await crypto.subtle.digest("SHA-256", buffer));
  const original = new Blob([buffer], { type: "image/png" });
  const old = insp.signature;
  if (old && !old.registered) {
    const prev = await db.get("photos", old.photo_id);
    if (prev && !prev.uploaded) await db.del("photos", old.photo_id); // replaced before it went anywhere
  }
  const photo = {
    id: crypto.randomUUID(), inspection_id: insp.id, item_key: null, kind: "signature", original, size: original.size,
    mime: "image/png", sha256, display: original, captured_at: nowIso(), position: fix ? { ...fix } : null,
    uploaded: false, offset: 0, state: "pending",
  };
  await db.put("photos", photo);
  await savePatch(insp.id, (cur) => ({ ...cur, signature: { photo_id: photo.id, sha256, registered: false, signed_at: nowIso(), ...fields } }));
  return photo;
}

/** 当事人签名：the party signs on glass; or refuses, and the witness signs and is named (documents.md §1 item 8). */
async function signatureSection(insp, rerender) {
  const saved = insp.signature;
  const mode = h("select", { "data-test": "signature-mode", "aria-label": "签名方式 / Signature" },
    h("option", { value: "signed", selected: !saved || saved.status === "signed" }, "当事人签名 / Party signs"),
    h("option", { value: "refused", selected: saved && saved.status === "refused" }, "当事人拒签，见证人签名 / Refused, witness signs"));
  const signer = h("input", { "data-test": "signer-name", "aria-label": "签名人姓名 / Signer", placeholder: "当事人姓名 / party's name", value: (saved && saved.signer_name) || "" });
  const witness = h("input", { "data-test": "witness", "aria-label": "见证人 / Witness", placeholder: "见证人姓名及身份 / witness", value: (saved && saved.witness) || "" });
  const witnessRow = h("label", { hidden: !(saved && saved.status === "refused") }, "见证人 ", h("span", { class: "en" }, "Witness"), witness);
  mode.addEventListener("change", () => { witnessRow.hidden = mode.value !== "refused"; });
  const status = h("p", { class: "meta", role: "status", "data-test": "signature-status" });
  const canvas = h("canvas", { class: "sigpad", "data-test": "signature-pad", "aria-label": "在此签名 / Sign here" });
  const saveBtn = h("button", { type: "button", class: "primary", "data-test": "signature-save", disabled: true }, "保存签名 / Save");
  const pad = signaturePad(canvas, { onChange: (n) => { saveBtn.disabled = n === 0; } });
  saveBtn.addEventListener("click", async () => {
    if (mode.value === "refused" && !witness.value.trim()) { status.textContent = "拒签须记明见证人 / A refusal needs a witness"; return; }
    const fields = { status: mode.value, signer_name: signer.value.trim() || null, witness: mode.value === "refused" ? witness.value.trim() : null };
    await saveSignature(insp, await pad.png(), fields);
    rerender();
  });
  const form = h("div", { class: "sigform", hidden: !!saved },
    mode, h("label", {}, "签名人 ", h("span", { class: "en" }, "Signer"), signer), witnessRow,
    canvas,
    h("div", { class: "inline" }, h("button", { type: "button", "data-test": "signature-clear", onclick: () => pad.clear() }, "清除 / Clear"), saveBtn),
    status);
  let shown = null;
  if (saved) {
    const photo = await db.get("photos", saved.photo_id);
    const url = photo ? URL.createObjectURL(photo.original) : null;
    if (url) objectUrls.push(url);
    shown = h("div", { "data-test": "signature-saved", "data-sha256": saved.sha256, "data-photo-id": saved.photo_id },
      url ? h("img", { class: "sigimg", src: url, alt: "当事人签名 / signature" }) : null,
      h("p", { class: "ok" }, saved.status === "refused" ? `当事人拒签，见证人：${saved.witness}` : `签名人：${saved.signer_name || "（未填姓名）"}`),
      h("p", { class: "meta" }, `SHA-256 ${saved.sha256.slice(0, 16)}… · `, saved.registered ? "已登记 / recorded" : "随检查记录发送 / sent with the inspection"),
      h("button", { type: "button", "data-test": "signature-redo", onclick: () => { form.hidden = false; shown.hidden = true; } }, "重新签名 / Sign again"));
  }
  return h("section", { class: "card", "data-test": "signature" },
    h("h3", {}, "当事人签名 ", h("span", { class: "en" }, "Party's signature (on-site record)")), shown, form);
}

// ------------------------------------------------------------------------------------------- review

async function reviewView(id) {
  const insp = await db.get("inspections", id);
  if (!insp || !editable(insp)) { location.hash = "#/outbox"; return; }
  const items = applicableItems(insp);
  const evals = items.map((item) => ({ item, ev: evaluateAnswer(item, insp.answers[item.key] || {}, insp.parameters) }));
  const failed = evals.filter((x) => x.ev.verdict === "fail");
  const missingEvidence = evals.filter((x) => x.ev.errors.some((e) => e.code === "evidence_required"));
  const incomplete = evals.filter((x) => x.ev.errors.some((e) => e.code !== "evidence_required"));
  const pos = await currentFix(3000);
  const flags = [];
  if (insp.officers.length < MIN_OFFICERS) flags.push(`执法人员不足 ${MIN_OFFICERS} 人（行政处罚法第四十二条）`);
  if (!pos) flags.push("无定位：检查位置将为空");
  else if (pos.accuracy_m > 100) flags.push(`定位精度较差：±${Math.round(pos.accuracy_m)} 米`);
  if (pos && insp.site.point) {
    const d = distanceM([pos.lon, pos.lat], insp.site.point);
    if (d > 500) flags.push(`当前位置距场所 ${fmtDistance(d)}`);
  }
  // Repeatable groups: too few or too many objects, as the server checks at submission.
  const applicableKeys = new Set(items.map((i) => i.key));
  const sent = Object.keys(insp.answers || {}).filter((k) => applicableKeys.has(k));
  for (const e of insp.doc ? groupErrors(insp.doc, sent) : []) flags.push(e.message_zh);
  const groupBlocking = insp.doc ? groupErrors(insp.doc, sent).length : 0;
  const blocking = missingEvidence.length + incomplete.length + groupBlocking + (insp.officers.length < MIN_OFFICERS ? 1 : 0);
  const link = (x) => h("li", {}, h("a", { href: `#/i/${id}`, onclick: () => setTimeout(() => document.getElementById(`item-${x.item.key}`)?.scrollIntoView(), 50) }, x.item.prompt.zh),
    " ", h("span", { class: "expl" }, x.ev.errors.map((e) => e.message_zh).join("；") || x.ev.explanation.zh));
  const submit = async () => {
    const p = fix;
    await savePatch(id, (cur) => ({
      ...cur, ended_at: nowIso(), status: "queued", phase: cur.phase === "done" || !cur.phase ? "photos" : cur.phase,
      applicable: items.map((i) => i.key),
      location: p ? { lon: p.lon, lat: p.lat, accuracy_m: p.accuracy_m, crs: "wgs84" } : cur.location,
    }));
    if (insp.status === "returned" || insp.status === "blocked") await savePatch(id, (cur) => ({ ...cur, phase: "photos" }));
    location.hash = "#/outbox";
    sync.syncNow();
  };
  show(
    h("p", {}, h("a", { href: `#/i/${id}`, class: "back" }, "‹ 返回修改")),
    h("h2", {}, "提交前复核 ", h("span", { class: "en" }, "Review")),
    h("section", { class: "card" }, h("h3", {}, `不合格项 ${failed.length}`), h("ul", { "data-test": "failed" }, failed.map(link))),
    h("section", { class: "card" }, h("h3", {}, `缺少照片证据 ${missingEvidence.length}`), h("ul", { "data-test": "missing-evidence" }, missingEvidence.map(link))),
    h("section", { class: "card" }, h("h3", {}, `未完成 ${incomplete.length}`), h("ul", { "data-test": "incomplete" }, incomplete.map(link))),
    h("section", { class: "card" }, h("h3", {}, `提示 ${flags.length}`), h("ul", { "data-test": "flags" }, flags.map((f) => h("li", {}, f)))),
    await signatureSection(insp, () => reviewView(id)),
    h("p", { class: "meta" }, "结论为本机预览；以服务器提交时的判定为准。/ Preview only: the server decides at submission."),
    h("button", { class: "primary big", "data-test": "submit", disabled: blocking > 0, onclick: submit }, navigator.onLine ? "提交 / Submit" : "提交（联网后自动发送）/ Submit when online"),
  );
}

// ------------------------------------------------------------------------------------------- outbox

function statusText(i) {
  if (i.status === "draft") return "草稿";
  if (i.status === "blocked") return "服务器退回：需修改";
  if (i.status === "returned") return "审核退回：需修改";
  if (i.status === "remote") return `服务器状态：${i.server ? i.server.state : ""}`;
  if (i.status === "sent") return { submitted: "已提交", approved: "已审核通过", rejected: "已驳回", returned: "已退回" }[i.server && i.server.state] || "已发送";
  if (i.waiting) return "等待网络";
  return { photos: "正在上传照片", put: "正在发送检查记录", submit: "正在提交", penalties: "正在获取处罚计算" }[i.phase] || "排队中";
}

function promptOf(insp, key) {
  const found = (insp.resolved_items || []).find((x) => x.key === key)
    || ((insp.doc && expandChecklist(insp.doc, [key]).items) || []).find((x) => x.key === key);
  if (!found) return key;
  if (!found.object) return found.prompt.zh;
  const group = (insp.doc.groups || []).find((g) => g.key === found.object.group) || {};
  return `${objectName(group, found.object.index, objectLabel(insp.doc, insp.answers, group.key, found.object.index)).zh}：${found.prompt.zh}`;
}

async function outboxView() {
  const items = (await db.all("inspections")).filter((i) => i.status !== "draft").sort((a, b) => (b.ended_at || "").localeCompare(a.ended_at || ""));
  const photos = await db.all("photos");
  const cards = items.map((i) => {
    const mine = photos.filter((p) => p.inspection_id === i.id);
    const failedFindings = ((i.server && i.server.findings) || []).filter((f) => f.verdict === "fail");
    return h("article", { class: `card outbox ${i.status}`, "data-test": "outbox-item", "data-id": i.id, "data-status": i.status, "data-state": i.server ? i.server.state : "" },
      h("h3", {}, i.reinspection_of ? "复查 · " : "", i.site.name), h("p", { class: "meta" }, `${i.checklist.key} · ${fmtTime(i.ended_at || i.started_at)}`),
      i.signature ? h("p", { class: "meta", "data-test": "signature-state", "data-state": i.signature.registered ? "recorded" : "pending" },
        i.signature.registered ? "当事人签名已登记 / signature recorded" : "当事人签名待发送 / signature to send") : null,
      h("p", { class: "status", "data-test": "status" }, statusText(i)),
      i.last_error ? h("p", { class: "error" }, i.last_error.message, h("ul", {}, (i.last_error.errors || []).map((e) => h("li", {}, e.message_zh || e.message)))) : null,
      mine.length ? h("ul", { class: "steps" }, mine.map((p) => h("li", { "data-test": "photo-state", "data-state": p.uploaded ? "uploaded" : p.state },
        `${p.kind === "signature" ? "签名" : "照片"} ${p.id.slice(0, 8)}：`, p.uploaded ? "已上传" : p.state === "uploading" ? `上传中 ${Math.round((100 * p.offset) / p.size)}%` : "待上传"))) : null,
      i.server && i.server.state && i.status === "sent" ? h("div", { class: "result", "data-test": "result" },
        h("p", {}, `服务器判定：${(i.server.findings || []).length} 项，其中不合格 `, h("strong", { "data-test": "failed-count" }, String(failedFindings.length))),
        h("ul", {}, failedFindings.map((f) => h("li", { "data-test": "failed-finding", "data-key": f.item_key }, promptOf(i, f.item_key), "：", f.explanation ? f.explanation.zh : "不合格"))),
        i.penalties ? h("p", { "data-test": "money" }, "罚款 ", h("strong", { "data-test": "fine" }, yuan(i.penalties.totals.statutory_fine)),
          " · 财政扣缴 ", h("strong", { "data-test": "deduction" }, yuan(i.penalties.totals.fiscal_deduction))) : null) : null,
      i.server && i.server.review && i.status === "returned" ? h("p", { class: "comment" }, `审核意见：${i.server.review.comment}`) : null,
      i.status === "returned" || i.status === "blocked" ? h("a", { class: "big block", href: `#/i/${i.id}` }, "修改 / Edit") : null,
    );
  });
  show(h("h2", {}, "发件箱 ", h("span", { class: "en" }, "Outbox")),
    h("button", { class: "big", "data-test": "sync", onclick: () => sync.syncNow() }, "立即发送 / Send now"),
    ...(cards.length ? cards : [h("p", { class: "muted" }, "没有记录 / Nothing here")]));
}

// ------------------------------------------------------------------------------------------- router

async function route() {
  while (objectUrls.length) URL.revokeObjectURL(objectUrls.pop());
  updateOutboxCount();
  if (!me) return loginView();
  const hash = location.hash || "#/";
  let m;
  try {
    if ((m = hash.match(/^#\/site\/(\d+)$/))) return await siteView(Number(m[1]));
    if ((m = hash.match(/^#\/task\/(\d+)$/))) return await taskView(Number(m[1]));
    if ((m = hash.match(/^#\/i\/([0-9a-f-]+)$/))) return await inspectionView(m[1]);
    if ((m = hash.match(/^#\/review\/([0-9a-f-]+)$/))) return await reviewView(m[1]);
    if (hash === "#/outbox") return await outboxView();
    return await homeView();
  } catch (e) {
    if (e instanceof api.AuthLost) { me = null; return loginView("登录已失效，请重新登录 / Please sign in again"); }
    show(h("p", { class: "error" }, problemText(e)));
  }
}

async function boot() {
  updateNet();
  window.addEventListener("online", updateNet);
  window.addEventListener("offline", updateNet);
  window.addEventListener("hashchange", route);
  sync.onChange(() => {
    updateOutboxCount();
    if (location.hash === "#/outbox") outboxView();
  });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  watchPosition();
  if (localStorage.getItem(LOGGED_OUT)) {
    if (await api.logout()) localStorage.removeItem(LOGGED_OUT);
    return loginView("已退出 / Logged out");
  }
  try {
    await api.refresh(); // the HttpOnly cookie: still signed in after a restart
    await loadMe();
    sync.start();
  } catch (e) {
    if (e instanceof api.Offline || (e instanceof api.Problem && e.status >= 500)) {
      me = await db.kvGet("me"); // offline start: work on what is stored; the outbox waits for the network
      if (me) sync.start();
    } else {
      me = null;
    }
  }
  route();
}

boot();
