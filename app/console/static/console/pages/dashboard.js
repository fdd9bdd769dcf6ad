// 统计看板 / Dashboard: the statistics API's figures for the caller's scope over whole months (the API answers
// whole months or ISO weeks only: GET /api/v1/stats/* → 422 unaligned_range otherwise), as tables by
// sub-district, checklist, item and month, bar charts drawn as inline SVG (no chart library), and exports
// downloaded with the bearer token as a blob. The table by sub-district is read a page at a time (a province has
// 2,512 of them), in the order chosen, with the case figures of the same sub-districts asked for by key.
import { ApiError, get, request } from "../api.js";
import { h, svg } from "../dom.js";
import { pick, t } from "../i18n.js";

const STAGES = [
  ["filing", "立案", "Filing"],
  ["investigation", "调查取证", "Investigation"],
  ["notice", "告知", "Notice"],
  ["decision", "决定", "Decision"],
  ["execution", "执行", "Execution"],
];
const EXPORTS = [
  ["inspections", "检查记录", "Inspections"],
  ["findings", "检查发现", "Findings"],
  ["penalty-lines", "处罚明细", "Penalty lines"],
];
const DECIDED = ["submitted", "returned", "approved", "rejected"].join(",");
// Orders of the table by jurisdiction: the API's `sort` values (GET /api/v1/stats/inspections).
const PLACE_SORTS = [
  ["-failed_findings", "问题项最多", "Most failed findings"],
  ["pass_rate", "合格率最低", "Lowest pass rate"],
  ["-inspections", "检查最多", "Most inspections"],
  ["-statutory_fine_fen", "拟罚款最多", "Highest fines proposed"],
  ["key", "按辖区代码", "By code"],
];
const PAGE_SIZES = [20, 50, 100];

function shanghaiMonth(offset = 0) {
  // The current Asia/Shanghai month, shifted by ``offset`` months, as YYYY-MM.
  const [y, m] = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .format(new Date())
    .split("-")
    .map(Number);
  const d = new Date(Date.UTC(y, m - 1 + offset, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

// Whole months: the first day of the first month, the last day of the last one.
export function monthRange(fromMonth, toMonth) {
  const [y, m] = toMonth.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { date_from: `${fromMonth}-01`, date_to: `${toMonth}-${String(last).padStart(2, "0")}` };
}

function yuanText(value) {
  return value === null || value === undefined ? "—" : `¥${value}`;
}

function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(Number(rate) * 100).toFixed(1)}%`;
}

function table(id, headers, rows) {
  if (!rows.length) return h("p", { class: "empty", id }, t("此范围内没有数据。", "No data in this range."));
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "stats", id },
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c, i) => h(i ? "td" : "th", { scope: i ? null : "row" }, c))))),
    ),
  );
}

// A bar chart as inline SVG: one group per label, one bar per series, values written above the bars.
export function barChart(id, title, labels, series, format = (v) => String(v)) {
  const width = 640;
  const height = 220;
  const pad = { left: 8, right: 8, top: 18, bottom: 36 };
  const max = Math.max(1, ...series.flatMap((s) => s.values.map((v) => Number(v) || 0)));
  const groupWidth = (width - pad.left - pad.right) / Math.max(1, labels.length);
  const barWidth = Math.max(2, (groupWidth - 6) / series.length);
  const plot = height - pad.top - pad.bottom;
  const bars = [];
  labels.forEach((label, i) => {
    const x0 = pad.left + i * groupWidth + 3;
    series.forEach((s, j) => {
      const value = Number(s.values[i]) || 0;
      const bh = (value / max) * plot;
      const x = x0 + j * barWidth;
      bars.push(
        svg(
          "rect",
          { x: x.toFixed(1), y: (pad.top + plot - bh).toFixed(1), width: (barWidth - 1).toFixed(1), height: bh.toFixed(1), fill: s.colour, class: "bar", "data-label": label, "data-series": s.key, "data-value": value },
          svg("title", {}, `${label} · ${s.name}: ${format(s.values[i])}`),
        ),
      );
    });
    if (labels.length <= 16 || i % Math.ceil(labels.length / 16) === 0) {
      bars.push(svg("text", { x: (x0 + groupWidth / 2 - 3).toFixed(1), y: height - pad.bottom + 14, "text-anchor": "middle", class: "axis" }, label));
    }
  });
  const legend = series.map((s, j) =>
    svg("g", {}, svg("rect", { x: pad.left + j * 150, y: height - 14, width: 10, height: 10, fill: s.colour }), svg("text", { x: pad.left + j * 150 + 14, y: height - 5, class: "axis" }, s.name)),
  );
  return h(
    "figure",
    { class: "chart card" },
    h("figcaption", {}, title),
    svg("svg", { id, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "bars" }, svg("title", {}, title), bars, legend),
  );
}

function card(id, label, value) {
  return h("div", { class: "figure card" }, h("div", { class: "meta" }, label), h("div", { class: "value", id }, value));
}

async function download(kind, format, range, banner) {
  const query = new URLSearchParams({ state: DECIDED, inspected_from: range.date_from, inspected_to: range.date_to });
  const response = await request(`/api/v1/exports/${kind}.${format}?${query}`);
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      /* not JSON */
    }
    banner(pick(problem, "message_zh", "message_en") || `HTTP ${response.status}`, "error");
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const a = h("a", { href: url, download: `${kind}-${range.date_from}-${range.date_to}.${format}`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function render(main, { banner }) {
  const fromInput = h("input", { type: "month", id: "dash-from", value: shanghaiMonth(-11), required: true });
  const toInput = h("input", { type: "month", id: "dash-to", value: shanghaiMonth(0), required: true });
  const level = h(
    "select",
    { id: "dash-level" },
    h("option", { value: "township" }, t("街道/乡镇", "Sub-district")),
    h("option", { value: "county" }, t("区县", "County")),
  );
  const body = h("div", { id: "dashboard-body" }, h("p", { class: "empty" }, t("加载中…", "Loading…")));
  const placeSort = h("select", { id: "places-sort" }, PLACE_SORTS.map(([value, zh, en]) => h("option", { value }, t(zh, en))));
  const pageSize = h("select", { id: "places-size" }, PAGE_SIZES.map((n) => h("option", { value: String(n) }, t(`每页 ${n} 条`, `${n} per page`))));
  pageSize.value = "50";
  const placesTable = h("div", { id: "places-table" });
  const placesRange = h("span", { class: "meta", id: "places-range" });
  const prev = h("button", { type: "button", id: "places-prev", disabled: true }, t("上一页", "Previous"));
  const next = h("button", { type: "button", id: "places-next", disabled: true }, t("下一页", "Next"));
  const places = h(
    "section",
    { id: "places" },
    h("h2", {}, t("按辖区", "By jurisdiction")),
    h(
      "div",
      { class: "filters inline" },
      h("label", { class: "field" }, t("排序", "Order"), placeSort),
      h("label", { class: "field" }, t("每页", "Page size"), pageSize),
    ),
    placesTable,
    h("div", { class: "filters inline pager" }, prev, placesRange, next),
  );
  let offset = 0;
  let placesAsked = 0; // an older page's answer arriving after a newer request is dropped
  const exports = h(
    "div",
    { class: "exports" },
    EXPORTS.flatMap(([kind, zh, en]) =>
      ["csv", "xlsx"].map((format) =>
        h("button", { type: "button", id: `export-${kind}-${format}`, onclick: () => download(kind, format, currentRange(), banner).catch((e) => banner(String(e), "error")) }, `${t(zh, en)} ${format.toUpperCase()}`),
      ),
    ),
  );
  const form = h(
    "form",
    { class: "filters", id: "dash-form" },
    h("label", { class: "field" }, t("起始月份", "From month"), fromInput),
    h("label", { class: "field" }, t("截止月份", "To month"), toInput),
    h("label", { class: "field" }, t("按辖区", "Jurisdiction level"), level),
    h("button", { type: "submit", class: "primary" }, t("查询", "Show")),
  );
  main.append(
    h(
      "section",
      { class: "page dashboard" },
      h("h1", {}, t("统计看板", "Dashboard")),
      form,
      h("p", { class: "meta" }, t("统计按整月汇总（亚洲/上海日期），金额单位：元。", "Figures are kept per whole month (Asia/Shanghai dates); money in yuan.")),
      h("div", { class: "card" }, h("h2", {}, t("导出", "Export")), exports),
      body,
    ),
  );

  function currentRange() {
    return monthRange(fromInput.value, toInput.value);
  }

  async function load() {
    if (!fromInput.value || !toInput.value || fromInput.value > toInput.value) {
      banner(t("请选择有效的起止月份。", "Choose a valid month range."), "error");
      return;
    }
    const range = currentRange();
    body.replaceChildren(h("p", { class: "empty" }, t("加载中…", "Loading…")));
    // The previous query's page must not show beside the new figures while this one's page loads.
    placesTable.replaceChildren(h("p", { class: "empty" }, t("加载中…", "Loading…")));
    placesRange.textContent = "";
    try {
      const [total, byChecklist, byMonth, items, cases, casesByMonth] = await Promise.all([
        get("/api/v1/stats/inspections", { ...range, by: "total" }),
        get("/api/v1/stats/inspections", { ...range, by: "checklist" }),
        get("/api/v1/stats/inspections", { ...range, by: "month" }),
        get("/api/v1/stats/items", { ...range, limit: 20 }),
        get("/api/v1/stats/cases", { ...range, by: "total" }),
        get("/api/v1/stats/cases", { ...range, by: "month" }),
      ]);
      body.replaceChildren(view(total, byChecklist, byMonth, items, cases, casesByMonth, places));
      offset = 0;
      await loadPlaces();
    } catch (exc) {
      body.replaceChildren();
      banner(exc instanceof ApiError ? pick(exc.problem, "message_zh", "message_en") : String(exc), "error");
    }
  }

  // One page of the table by jurisdiction: the inspection figures in the order chosen, then the case figures of
  // exactly those jurisdictions (`keys`; the empty key is the remainder row).
  async function loadPlaces() {
    const asked = ++placesAsked;
    const range = currentRange();
    const lv = level.value;
    const limit = Number(pageSize.value);
    const byPlace = await get("/api/v1/stats/inspections", { ...range, by: "jurisdiction", level: lv, sort: placeSort.value, offset, limit });
    const keys = byPlace.rows.map((r) => r.key);
    const casesByPlace = keys.length
      ? await get("/api/v1/stats/cases", [...Object.entries({ ...range, by: "jurisdiction", level: lv, limit }), ...keys.map((k) => ["keys", k])])
      : { rows: [] };
    if (asked !== placesAsked) return;
    placesTable.replaceChildren(placesView(byPlace, casesByPlace));
    const all = byPlace.page.total_rows;
    const last = offset + byPlace.rows.length;
    placesRange.textContent = all ? t(`第 ${offset + 1}–${last} 条，共 ${all} 条`, `${offset + 1}–${last} of ${all}`) : "";
    prev.disabled = offset === 0;
    next.disabled = last >= all;
  }

  function turn(to) {
    offset = Math.max(0, to);
    loadPlaces().catch((exc) => banner(exc instanceof ApiError ? pick(exc.problem, "message_zh", "message_en") : String(exc), "error"));
  }

  prev.addEventListener("click", () => turn(offset - Number(pageSize.value)));
  next.addEventListener("click", () => turn(offset + Number(pageSize.value)));
  placeSort.addEventListener("change", () => turn(0));
  pageSize.addEventListener("change", () => turn(0));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await load();
}

function placesView(byPlace, casesByPlace) {
  const name = (r) => (r.key ? pick({ zh: r.name_zh, en: r.name_en }) || r.key : t("（未细分到该级）", "(not subdivided)"));
  const caseOf = Object.fromEntries(casesByPlace.rows.map((r) => [r.key, r]));
  return table(
    "table-jurisdiction",
    [t("辖区", "Jurisdiction"), t("检查", "Inspections"), t("合格率", "Pass rate"), t("问题项", "Failed findings"), t("拟罚款", "Fines proposed"), t("拟扣缴", "Deductions proposed"), t("未结案件", "Open cases"), t("决定罚款", "Decided"), t("已缴", "Paid"), t("逾期", "Overdue")],
    byPlace.rows.map((r) => {
      const c = caseOf[r.key] || {};
      return [name(r), String(r.inspections), percent(r.pass_rate), String(r.failed_findings), yuanText(r.statutory_fine_yuan), yuanText(r.fiscal_deduction_yuan), String(c.open_cases ?? 0), yuanText(c.statutory_fine_decided_yuan ?? "0.00"), yuanText(c.statutory_fine_paid_yuan ?? "0.00"), String(c.overdue_orders ?? 0)];
    }),
  );
}

function view(total, byChecklist, byMonth, items, cases, casesByMonth, places) {
  const tot = total.totals || {};
  const ct = cases.totals || {};
  const caseMonth = Object.fromEntries(casesByMonth.rows.map((r) => [r.key, r]));
  const months = [...new Set([...byMonth.rows.map((r) => r.key), ...casesByMonth.rows.map((r) => r.key)])].sort();
  const inspMonth = Object.fromEntries(byMonth.rows.map((r) => [r.key, r]));
  const label = (key) => key.slice(0, 7);
  const proposed = (r) => (r ? (r.statutory_fine_fen || 0) + (r.fiscal_deduction_fen || 0) : 0);
  const asYuan = (fen) => `¥${(fen / 100).toFixed(2)}`;

  return h(
    "div",
    {},
    h(
      "div",
      { class: "figures" },
      card("fig-inspections", t("检查次数", "Inspections"), String(tot.inspections ?? 0)),
      card("fig-pass-rate", t("合格率", "Pass rate"), percent(tot.pass_rate)),
      card("fig-failed-findings", t("问题项", "Failed findings"), String(tot.failed_findings ?? 0)),
      card("fig-proposed-fine", t("拟处罚款（元）", "Fines proposed"), yuanText(tot.statutory_fine_yuan)),
      card("fig-proposed-fiscal", t("拟财政扣缴（元）", "Deductions proposed"), yuanText(tot.fiscal_deduction_yuan)),
      card("fig-decided", t("决定罚款（元）", "Fines decided"), yuanText(ct.statutory_fine_decided_yuan)),
      card("fig-paid", t("已缴罚款（元）", "Fines paid"), yuanText(ct.statutory_fine_paid_yuan)),
      card("fig-open-cases", t("未结案件", "Open cases"), String(ct.open_cases ?? 0)),
      card("fig-overdue", t("逾期未改正", "Overdue orders"), String(ct.overdue_orders ?? 0)),
    ),
    h(
      "p",
      { class: "meta" },
      t("未结案件按阶段：", "Open cases by stage: "),
      STAGES.map(([key, zh, en]) => `${t(zh, en)} ${(ct.open_by_stage || {})[key] ?? 0}`).join(" · "),
      t("（案件按立案月份计，状态截至 ", " (cases counted by the month they opened, as of "),
      cases.as_of,
      t("）", ")"),
    ),
    h(
      "div",
      { class: "charts" },
      barChart(
        "chart-pass-rate",
        t("合格率（按月，%）", "Pass rate by month (%)"),
        months.map(label),
        [{ key: "pass_rate", name: t("合格率", "Pass rate"), colour: "#15803d", values: months.map((m) => (inspMonth[m]?.pass_rate ? Number(inspMonth[m].pass_rate) * 100 : 0)) }],
        (v) => `${Number(v || 0).toFixed(1)}%`,
      ),
      barChart(
        "chart-findings",
        t("问题项（按月）", "Failed findings by month"),
        months.map(label),
        [{ key: "failed_findings", name: t("问题项", "Failed findings"), colour: "#b45309", values: months.map((m) => inspMonth[m]?.failed_findings || 0) }],
      ),
      barChart(
        "chart-money",
        t("金额：拟处、决定、已缴（按月，元）", "Money proposed, decided, paid by month (yuan)"),
        months.map(label),
        [
          { key: "proposed", name: t("拟处（罚款+扣缴）", "Proposed"), colour: "#93c5fd", values: months.map((m) => proposed(inspMonth[m])) },
          { key: "decided", name: t("决定罚款", "Decided"), colour: "#1d4ed8", values: months.map((m) => caseMonth[m]?.statutory_fine_decided_fen || 0) },
          { key: "paid", name: t("已缴罚款", "Paid"), colour: "#15803d", values: months.map((m) => caseMonth[m]?.statutory_fine_paid_fen || 0) },
        ],
        asYuan,
      ),
    ),
    places,
    h("h2", {}, t("按检查表", "By checklist")),
    table(
      "table-checklist",
      [t("检查表", "Checklist"), t("检查", "Inspections"), t("合格率", "Pass rate"), t("问题项", "Failed findings"), t("拟罚款", "Fines proposed"), t("拟扣缴", "Deductions proposed")],
      byChecklist.rows.map((r) => [r.key, String(r.inspections), percent(r.pass_rate), String(r.failed_findings), yuanText(r.statutory_fine_yuan), yuanText(r.fiscal_deduction_yuan)]),
    ),
    h("h2", {}, t("问题最多的检查项", "Items failed most")),
    table(
      "table-items",
      [t("检查项", "Item"), t("检查表", "Checklist"), t("检查次数", "Findings"), t("不合格", "Failed"), t("不合格率", "Fail rate")],
      items.rows.map((r) => [r.item_key, r.checklist_key, String(r.findings), String(r.failed), percent(r.fail_rate)]),
    ),
    h("h2", {}, t("按月", "By month")),
    table(
      "table-month",
      [t("月份", "Month"), t("检查", "Inspections"), t("合格率", "Pass rate"), t("问题项", "Failed findings"), t("拟罚款", "Fines proposed"), t("新立案件", "Cases opened"), t("决定罚款", "Decided"), t("已缴", "Paid")],
      months.map((m) => {
        const r = inspMonth[m] || {};
        const c = caseMonth[m] || {};
        return [label(m), String(r.inspections ?? 0), percent(r.pass_rate), String(r.failed_findings ?? 0), yuanText(r.statutory_fine_yuan ?? "0.00"), String(c.cases ?? 0), yuanText(c.statutory_fine_decided_yuan ?? "0.00"), yuanText(c.statutory_fine_paid_yuan ?? "0.00")];
      }),
    ),
  );
}
