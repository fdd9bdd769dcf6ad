// The review queue: riskiest first, each score explained; filters, counts per state, keyboard navigation
// (j/k or ↓/↑ to move, Enter to open), cursor paging ("more").
import { ApiError, get } from "../api.js";
import { clear, formatTime, h, yuan } from "../dom.js";
import { FLAG_NAMES, flagName, pick, STATE_NAMES, stateName, t } from "../i18n.js";

const QUEUE = "/api/v1/review/queue";
// The filters survive going to an inspection and back (same tab only).
const FILTER_KEY = "lantian.console.queue";

function savedFilters() {
  try {
    return JSON.parse(sessionStorage.getItem(FILTER_KEY)) || { state: ["submitted"] };
  } catch {
    return { state: ["submitted"] };
  }
}

function query(filters, cursor) {
  const q = new URLSearchParams();
  q.set("state", (filters.state.length ? filters.state : ["submitted"]).join(","));
  for (const key of ["jurisdiction", "checklist", "inspector", "submitted_from", "submitted_to", "inspected_from", "inspected_to"]) {
    if (filters[key]) q.set(key, filters[key]);
  }
  if (filters.flag?.length) q.set("flag", filters.flag.join(","));
  if (filters.min_amount_yuan) q.set("min_amount_fen", String(Math.round(Number(filters.min_amount_yuan) * 100)));
  if (filters.has_failed) q.set("has_failed", filters.has_failed);
  if (cursor) q.set("cursor", cursor);
  q.set("limit", "50");
  return q;
}

export async function render(main, { banner }) {
  const filters = savedFilters();
  const [jurisdictions, checklists] = await Promise.all([
    get("/api/v1/jurisdictions").catch(() => []),
    get("/api/v1/checklists").catch(() => []),
  ]);
  const counts = h("div", { class: "state-filter", id: "state-filter" });
  const list = h("ol", { class: "queue", id: "queue-list", tabindex: "0" });
  const more = h("button", { type: "button", id: "queue-more", hidden: true }, t("加载更多", "Load more"));
  let items = [];
  let selected = 0;
  let nextCursor = null;

  const field = (label, input) => h("label", { class: "field" }, h("span", {}, label), input);
  const select = (name, options) => {
    const el = h("select", { name }, h("option", { value: "" }, t("全部", "All")));
    for (const [value, label] of options) el.append(h("option", { value, selected: filters[name] === value }, label));
    return el;
  };
  const input = (name, type = "text", attrs = {}) => h("input", { name, type, value: filters[name] || "", ...attrs });
  const flagSelect = h("select", { name: "flag", multiple: true, size: 3 });
  for (const code of Object.keys(FLAG_NAMES)) {
    flagSelect.append(h("option", { value: code, selected: (filters.flag || []).includes(code) }, flagName(code)));
  }
  const form = h(
    "form",
    { class: "filters", id: "queue-filters" },
    field(t("街道/乡镇", "Sub-district"), select("jurisdiction", jurisdictions.map((j) => [j.code, pick({ zh: j.name_zh, en: j.name_en })]))),
    field(t("检查表", "Checklist"), select("checklist", checklists.map((c) => [c.key, pick(c.title) || c.key]))),
    field(t("检查员编号", "Inspector id"), input("inspector", "number", { min: 1 })),
    field(t("提交自", "Submitted from"), input("submitted_from", "date")),
    field(t("提交至", "Submitted to"), input("submitted_to", "date")),
    field(t("检查自", "Inspected from"), input("inspected_from", "date")),
    field(t("检查至", "Inspected to"), input("inspected_to", "date")),
    field(t("照片标记", "Photo flags"), flagSelect),
    field(t("金额不低于（元）", "Amount at least (¥)"), input("min_amount_yuan", "number", { min: 0, step: "0.01" })),
    field(
      t("不合格项", "Failed items"),
      select("has_failed", [
        ["true", t("有", "Some")],
        ["false", t("无", "None")],
      ]),
    ),
    h("button", { type: "submit", class: "primary" }, t("筛选", "Filter")),
  );

  main.append(
    h("section", { class: "page queue-page" }, h("h1", {}, t("审核队列", "Review queue")), counts, form, list, more),
  );

  // capped: states with more than 10,000 matching inspections (the server stops counting there): "10000+".
  function renderCounts(byState, capped = []) {
    clear(counts);
    for (const state of Object.keys(STATE_NAMES)) {
      const on = filters.state.includes(state);
      counts.append(
        h(
          "button",
          {
            type: "button",
            class: on ? "chip on" : "chip",
            "aria-pressed": on ? "true" : "false",
            dataset: { state },
            onclick: () => {
              filters.state = on ? filters.state.filter((s) => s !== state) : [...filters.state, state];
              if (!filters.state.length) filters.state = [state];
              load();
            },
          },
          `${stateName(state)} ${byState?.[state] ?? 0}${capped.includes(state) ? "+" : ""}`,
        ),
      );
    }
  }

  function row(item, index) {
    const reasons = item.risk.reasons.map((r) =>
      h("li", { class: "reason" }, `${pick(r, "message_zh", "message_en")} (+${r.points})`),
    );
    return h(
      "li",
      {
        class: index === selected ? "queue-item selected" : "queue-item",
        dataset: { id: item.id, index: String(index) },
        onclick: () => {
          location.hash = `#/inspections/${item.id}`;
        },
      },
      h("div", { class: "score", title: t("风险分", "Risk score") }, String(item.risk.score)),
      h(
        "div",
        { class: "summary" },
        h("a", { href: `#/inspections/${item.id}`, class: "site" }, item.site.name),
        h(
          "div",
          { class: "meta" },
          `${item.site.jurisdiction_name} · ${item.checklist_key} · ${stateName(item.state)} · ${t("提交", "submitted")} ${formatTime(item.submitted_at)} · ${yuan(item.total_amount_fen)}`,
        ),
        reasons.length ? h("ul", { class: "reasons" }, reasons) : h("div", { class: "meta" }, t("无风险提示", "No risk signal")),
      ),
    );
  }

  function paint() {
    clear(list);
    if (!items.length) list.append(h("li", { class: "empty" }, t("没有符合条件的检查。", "No inspection matches.")));
    items.forEach((item, i) => list.append(row(item, i)));
    more.hidden = !nextCursor;
  }

  let loading = 0;
  async function load(append = false) {
    sessionStorage.setItem(FILTER_KEY, JSON.stringify(filters));
    const mine = ++loading; // the answer to the latest filters wins
    try {
      const page = await get(QUEUE + "?" + query(filters, append ? nextCursor : null).toString());
      if (mine !== loading) return;
      items = append ? items.concat(page.items) : page.items;
      if (!append) selected = 0;
      nextCursor = page.next_cursor;
      renderCounts(page.counts, page.counts_capped || []);
      paint();
    } catch (exc) {
      banner(exc instanceof ApiError ? pick(exc.problem, "message_zh", "message_en") : String(exc), "error");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    for (const key of ["jurisdiction", "checklist", "inspector", "submitted_from", "submitted_to", "inspected_from", "inspected_to", "min_amount_yuan", "has_failed"]) {
      filters[key] = data.get(key) || "";
    }
    filters.flag = data.getAll("flag");
    load();
  });
  more.addEventListener("click", () => load(true));

  function onKey(event) {
    if (event.target.closest("input, select, textarea")) return;
    if (!items.length) return;
    if (event.key === "j" || event.key === "ArrowDown") selected = Math.min(items.length - 1, selected + 1);
    else if (event.key === "k" || event.key === "ArrowUp") selected = Math.max(0, selected - 1);
    else if (event.key === "Enter") {
      location.hash = `#/inspections/${items[selected].id}`;
      return;
    } else return;
    event.preventDefault();
    paint();
    list.querySelector(".selected")?.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", onKey);
  await load();
  list.focus();
  return () => document.removeEventListener("keydown", onKey);
}
