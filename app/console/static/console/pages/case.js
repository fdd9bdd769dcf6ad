// One enforcement case as a supervisor runs it: the party (and its correction, with a reason), the stage, the
// deadlines counting down, the timeline, the next steps (each dated, sent with the case's ETag: a 412 means a
// colleague acted first, and the page says so and reloads), the re-inspection tasks of its orders, and its
// documents (preview, issue, download, void). Everything goes through the public API (/api/v1/cases, /tasks, /documents).
import { api, ApiError, get } from "../api.js";
import { clear, formatTime, h, yuan } from "../dom.js";
import { pick, t } from "../i18n.js";
import { renderDocuments } from "./case_documents.js";
import { stageName } from "./cases.js";
import { problemText } from "./inspection.js";

const ACTIONS = {
  approve_filing: ["批准立案", "Approve filing"],
  serve_notice: ["送达事先告知书", "Serve notice"],
  request_hearing: ["登记听证申请", "Record a hearing request"],
  decide: ["作出处罚决定", "Decide"],
  serve_decision: ["送达处罚决定书", "Serve decision"],
  record_payment: ["登记缴款", "Record payment"],
  close: ["结案", "Close the case"],
};

const RULES = {
  working_days: ["工作日", "working days"],
  calendar_days: ["自然日", "calendar days"],
  as_ordered: ["按决定书所定", "as ordered"],
};

const TIMELINE_KINDS = {
  opened: ["立案登记", "Case opened"],
  inspection: ["检查", "Inspection"],
  inspection_joined: ["检查并入案件", "Inspection joined"],
  inspection_approve: ["检查通过", "Inspection approved"],
  order_issued: ["责令改正", "Order to correct"],
  order_corrected: ["已改正", "Corrected"],
  order_refused: ["拒不改正", "Not corrected"],
  reopened_for_daily_penalty: ["重新调查（按日连续处罚）", "Reopened for the daily penalty"],
  party_edited: ["更正当事人信息", "Party corrected"],
  ...ACTIONS,
};

const STAGE_DATES = [
  ["filed_on", "立案", "Filed"],
  ["notice_served_on", "告知送达", "Notice served"],
  ["hearing_requested_on", "申请听证", "Hearing requested"],
  ["decided_on", "决定", "Decided"],
  ["decision_served_on", "决定送达", "Decision served"],
  ["paid_on", "缴款", "Paid"],
  ["closed_on", "结案", "Closed"],
];

const LINE_KINDS = { statutory_fine: ["罚款", "Fines"], fiscal_deduction: ["财政扣缴", "Fiscal deductions"] };

function lineKind(kind) {
  const names = LINE_KINDS[kind];
  return names ? t(names[0], names[1]) : kind;
}

const ORDER_STATUS = { open: ["待改正", "Open"], complied: ["已改正", "Complied"], refused: ["拒不改正", "Refused"] };

const PARTY_KINDS = { unit: ["单位", "Unit"], individual: ["个人", "Individual"] };

// Today as Asia/Shanghai sees it (the API's dates are local dates there), YYYY-MM-DD.
export function todayLocal() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

// Calendar days from today to a YYYY-MM-DD date (negative: past). The API gives no working-day calendar, so
// the page never guesses working days: it shows calendar days with the due date and the rule the API computed.
export function calendarDaysUntil(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const [ty, tm, td] = todayLocal().split("-").map(Number);
  return Math.round((Date.UTC(y, m - 1, d) - Date.UTC(ty, tm - 1, td)) / 86400000);
}

function ruleName(rule) {
  const names = RULES[rule];
  return names ? t(names[0], names[1]) : rule;
}

function fen(yuanText) {
  return yuanText === "" || yuanText === null ? undefined : Math.round(Number(yuanText) * 100);
}

function deadlinesSection(c) {
  return h(
    "section",
    { class: "card", id: "deadlines" },
    h("h2", {}, t("期限", "Deadlines")),
    c.deadlines.length
      ? h(
          "ul",
          { class: "deadlines" },
          c.deadlines.map((d) => {
            const label = pick({ zh: d.label_zh, en: d.label_en });
            if (!d.due_on) {
              return h("li", { class: "deadline unknown", dataset: { key: d.key } }, h("strong", {}, label), " · ", t("无法计算", "Not computable"), ` (${d.note_en || ""}) · ${d.basis}`);
            }
            const left = calendarDaysUntil(d.due_on);
            const countdown = d.passed
              ? t(`已逾期 ${-left} 天`, `${-left} days overdue`)
              : left === 0
                ? t("今天到期", "Due today")
                : t(`剩 ${left} 天（自然日）`, `${left} calendar days left`);
            return h(
              "li",
              { class: d.passed ? "deadline passed" : "deadline", dataset: { key: d.key } },
              h("strong", {}, label),
              " ",
              h("span", { class: "countdown" }, countdown),
              h("div", { class: "meta" }, `${t("截止", "Due")} ${d.due_on} · ${d.days ?? ""} ${ruleName(d.rule)} · ${t("自", "from")} ${d.counted_from} · ${d.basis}`),
            );
          }),
        )
      : h("p", { class: "empty" }, t("当前阶段没有期限。", "No deadline at this stage.")),
  );
}

function timelineSection(timeline) {
  const entries = timeline?.entries || [];
  const summary = (data) =>
    Object.entries(data || {})
      .filter(([, v]) => v !== null && v !== undefined && typeof v !== "object")
      .map(([k, v]) => `${k}: ${v}`)
      .join(" · ");
  return h(
    "section",
    { class: "card", id: "timeline" },
    h("h2", {}, t("时间线", "Timeline")),
    entries.length
      ? h(
          "ol",
          { class: "history" },
          entries.map((e) => {
            const names = TIMELINE_KINDS[e.kind];
            return h(
              "li",
              { dataset: { kind: e.kind } },
              h("time", {}, e.on_date || formatTime(e.at)),
              " ",
              h("strong", {}, names ? t(names[0], names[1]) : e.kind),
              summary(e.data) ? h("div", { class: "meta" }, summary(e.data)) : null,
            );
          }),
        )
      : h("p", { class: "empty" }, t("暂无记录。", "Nothing yet.")),
  );
}

export async function render(main, { params, banner }) {
  const [id] = params;
  let data;
  let stopDocuments = () => {};

  async function load() {
    const { body: c, etag } = await api(`/api/v1/cases/${id}`);
    const [timeline, tasks] = await Promise.all([
      get(`/api/v1/cases/${id}/timeline`).catch(() => null),
      get("/api/v1/tasks").catch(() => ({ items: [] })),
    ]);
    const orderIds = new Set(c.orders.map((o) => o.id));
    return { c, etag, timeline, tasks: tasks.items.filter((task) => orderIds.has(task.order_id)) };
  }

  async function repaint() {
    try {
      data = await load();
    } catch (exc) {
      banner(problemText(exc), "error");
      return;
    }
    paint();
  }

  // Every change to the case is sent with the ETag the page shows (If-Match). False when refused (the
  // problem is in the banner; onProblem gets it too).
  async function change(path, body, done, { method = "POST", onProblem = null } = {}) {
    try {
      await api(`/api/v1/cases/${id}/${path}`, { method, body, ifMatch: data.etag });
      banner(done + " ✓", "ok");
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 412) {
        banner(t("他人已先处理此案件，页面已刷新", "Someone else acted on this case first; the page was reloaded"), "warn");
      } else {
        banner(problemText(exc), "error");
        if (onProblem) onProblem(exc);
        return false;
      }
    }
    await repaint();
    return true;
  }

  // Correct the party (PATCH /cases/{id}/party, If-Match): a unit (name, 统一社会信用代码 checked by the API
  // against GB 32100, legal representative, address) or an individual (name, 公民身份号码 checked against
  // GB 11643, address); a reason, recorded in the timeline and the audit log.
  function partyForm(party) {
    const input = (name, label, attrs = {}) => h("label", { class: "field", dataset: { field: name } }, h("span", {}, label), h("input", { name, id: `party-${name.replace(/_/g, "-")}`, value: party[name] || "", ...attrs }));
    const kind = h("select", { name: "kind", id: "party-kind" }, Object.entries(PARTY_KINDS).map(([k, names]) => h("option", { value: k, selected: party.kind === k }, t(...names))));
    const unitOnly = [
      input("credit_code", t("统一社会信用代码", "Credit code"), { maxlength: 18, pattern: "[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{18}", autocomplete: "off" }),
      input("legal_representative", t("法定代表人", "Legal representative"), { maxlength: 100 }),
    ];
    const individualOnly = [input("id_number", t("公民身份号码", "ID number"), { maxlength: 18, pattern: "[0-9]{17}[0-9Xx]", autocomplete: "off" })];
    const errors = h("ul", { class: "errors", id: "party-errors" });
    const form = h(
      "form",
      { class: "party-form", id: "party-form", hidden: true },
      h(
        "div",
        { class: "inline-form" },
        h("label", { class: "field" }, h("span", {}, t("类型", "Kind")), kind),
        input("name", t("名称/姓名", "Name"), { required: true, maxlength: 200 }),
        unitOnly,
        individualOnly,
        input("address", t("住所/地址", "Address"), { maxlength: 400 }),
      ),
      h(
        "div",
        { class: "inline-form" },
        h("label", { class: "field" }, h("span", {}, t("更正理由", "Reason")), h("input", { name: "reason", id: "party-reason", required: true, maxlength: 2000, placeholder: t("理由（必填）", "Reason (required)") })),
        h("button", { type: "submit", class: "primary", id: "party-save" }, t("保存当事人信息", "Save the party")),
      ),
      errors,
    );
    const showKind = () => {
      for (const el of unitOnly) el.hidden = kind.value !== "unit";
      for (const el of individualOnly) el.hidden = kind.value !== "individual";
    };
    kind.addEventListener("change", showKind);
    showKind();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clear(errors);
      const f = new FormData(form);
      const text = (name) => (f.get(name) || "").trim() || null;
      const body = { kind: kind.value, name: text("name"), address: text("address"), reason: text("reason") };
      if (kind.value === "unit") {
        body.credit_code = text("credit_code")?.toUpperCase() || null;
        body.legal_representative = text("legal_representative");
        body.id_number = null;
      } else {
        body.id_number = text("id_number")?.toUpperCase() || null;
        body.credit_code = null;
        body.legal_representative = null;
      }
      await change("party", body, t("当事人信息已更正", "Party corrected"), {
        method: "PATCH",
        onProblem: (exc) => {
          for (const e of exc.problem?.errors || []) errors.append(h("li", { dataset: { path: e.path || "", code: e.code || "" } }, h("code", {}, e.path || ""), " ", pick(e, "message_zh", "message_en")));
        },
      });
    });
    return form;
  }

  // One small dated form per allowed step, with the fields that step needs.
  function actionForm(action) {
    const onDate = h("input", { type: "date", name: "on_date", value: todayLocal(), max: todayLocal(), required: true });
    const extra = [];
    const input = (name, label, attrs = {}) => {
      const el = h("input", { name, placeholder: label, title: label, ...attrs });
      extra.push(h("label", { class: "field" }, h("span", {}, label), el));
      return el;
    };
    const check = (name, label) => {
      const el = h("input", { type: "checkbox", name });
      extra.push(h("label", { class: "check" }, el, " ", label));
      return el;
    };
    const fields = {};
    if (action === "serve_notice") {
      fields.proposed = input("proposed_fine_yuan", t("拟罚款（元）", "Proposed fine (¥)"), { type: "number", step: "0.01", min: 0 });
      fields.hearing = check("hearing_right", t("告知听证权利", "Grant the hearing right"));
    } else if (action === "decide") {
      fields.fine = input("fine_yuan", t("罚款（元）", "Fine (¥)"), { type: "number", step: "0.01", min: 0, required: true });
      fields.waived = check("rights_waived", t("当事人书面放弃陈述申辩/听证", "The party waived its rights in writing"));
    } else if (action === "record_payment") {
      fields.amount = input("amount_yuan", t("缴款金额（元）", "Amount paid (¥)"), { type: "number", step: "0.01", min: 0, required: true });
    } else if (action === "close") {
      fields.reason = input("reason", t("结案理由", "Reason"), { required: action === "close" && data.c.stage !== "execution" });
    }
    const form = h(
      "form",
      { class: "inline-form action-form", dataset: { action } },
      h("label", { class: "field" }, h("span", {}, t("日期", "Date")), onDate),
      extra,
      h("button", { type: "submit", class: "primary", id: `action-${action}` }, t(...ACTIONS[action])),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const payload = { on_date: onDate.value };
      if (fields.proposed?.value) payload.proposed_fine_fen = fen(fields.proposed.value);
      if (fields.hearing?.checked) payload.hearing_right = true;
      if (fields.fine) payload.fine_fen = fen(fields.fine.value);
      if (fields.waived?.checked) payload.rights_waived = true;
      if (fields.amount) payload.amount_fen = fen(fields.amount.value);
      if (fields.reason?.value.trim()) payload.reason = fields.reason.value.trim();
      change("transitions", { action, ...payload }, t(...ACTIONS[action]));
    });
    return form;
  }

  function tasksSection(tasks) {
    return h(
      "section",
      { class: "card", id: "case-tasks" },
      h("h2", {}, t("复查任务", "Re-inspection tasks")),
      tasks.length
        ? h(
            "ul",
            {},
            tasks.map((task) =>
              h(
                "li",
                { dataset: { order: String(task.order_id) } },
                `${task.site?.name || ""} · ${t("改正期限", "deadline")} ${task.deadline} · ${t("逾期", "overdue")} ${task.days_overdue} ${t("天", "days")}`,
                task.started?.length ? h("div", { class: "meta" }, t("已开始复查", "Re-inspection begun"), ": ", task.started.map((s) => h("a", { href: `#/inspections/${s}` }, s.slice(0, 8))) ) : null,
              ),
            ),
          )
        : h("p", { class: "empty" }, t("没有到期的复查任务。", "No re-inspection due.")),
    );
  }

  // The order to correct as the bureau decided it (its real dates and deadline): the re-inspection task and the
  // correction deadline follow from it.
  function orderForm(c) {
    if (c.stage === "closed") return null;
    const decided = h("input", { type: "date", name: "decided_on", id: "order-decided-on", value: todayLocal(), max: todayLocal(), required: true });
    const served = h("input", { type: "date", name: "served_on", id: "order-served-on", value: todayLocal(), max: todayLocal() });
    const deadline = h("input", { type: "date", name: "deadline", id: "order-deadline", required: true });
    const field = (label, el) => h("label", { class: "field" }, h("span", {}, label), el);
    const form = h(
      "form",
      { class: "inline-form", id: "order-form" },
      field(t("决定日期", "Decided on"), decided),
      field(t("送达日期", "Served on"), served),
      field(t("改正期限", "Deadline"), deadline),
      h("button", { type: "submit", id: "order-record" }, t("登记责令改正", "Record the order")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { decided_on: decided.value, deadline: deadline.value };
      if (served.value) body.served_on = served.value;
      change("orders", body, t("已登记责令改正", "Order recorded"));
    });
    return form;
  }

  function ordersSection(c) {
    return h(
      "section",
      { class: "card", id: "orders" },
      h("h2", {}, t("责令改正", "Orders to correct")),
      orderForm(c),
      h(
        "ul",
        {},
        c.orders.map((o) =>
          h("li", { class: "order", dataset: { order: String(o.id), status: o.status } }, `${t("决定", "decided")} ${o.decided_on} · ${t("期限", "deadline")} ${o.deadline} · ${ORDER_STATUS[o.status] ? t(...ORDER_STATUS[o.status]) : o.status}`, h("div", { class: "meta" }, o.item_keys.join("、"))),
        ),
      ),
    );
  }

  function paint() {
    stopDocuments();
    const { c, timeline, tasks } = data;
    const party = c.party || {};
    const kindNames = PARTY_KINDS[party.kind];
    const docsEl = h("section", { class: "card", id: "documents" });
    clear(main).append(
      h(
        "section",
        { class: "page case-page", dataset: { stage: c.stage } },
        h("p", {}, h("a", { href: "#/cases" }, "← ", t("返回案件列表", "Back to the cases"))),
        h("h1", {}, `#${c.id} ${party.name || ""} `, h("span", { class: `state stage-${c.stage}`, id: "case-stage" }, stageName(c.stage))),
        h(
          "dl",
          { class: "facts", id: "case-facts" },
          h("dt", {}, t("当事人", "Party")),
          h(
            "dd",
            {},
            h("span", { id: "case-party" }, `${party.name || "—"}${kindNames ? ` (${t(...kindNames)})` : ""}`),
            c.stage !== "closed" ? [" ", h("button", { type: "button", id: "party-edit", onclick: () => { const f = document.getElementById("party-form"); f.hidden = !f.hidden; } }, t("更正", "Correct"))] : null,
          ),
          party.credit_code ? [h("dt", {}, t("统一社会信用代码", "Credit code")), h("dd", { id: "case-credit-code" }, party.credit_code)] : null,
          party.id_number ? [h("dt", {}, t("公民身份号码", "ID number")), h("dd", { id: "case-id-number" }, party.id_number)] : null,
          party.legal_representative ? [h("dt", {}, t("法定代表人", "Legal representative")), h("dd", { id: "case-legal-representative" }, party.legal_representative)] : null,
          party.address ? [h("dt", {}, t("住所", "Address")), h("dd", {}, party.address)] : null,
          h("dt", {}, t("场所", "Site")), h("dd", {}, `${c.site.name} · ${c.site.address || ""}`),
          h("dt", {}, t("阶段", "Stage")), h("dd", {}, `${c.stage_zh} / ${STAGE_EN[c.stage] || c.stage}${c.round > 1 ? ` · ${t("第", "round ")}${c.round}${t("轮", "")}` : ""}`),
          h("dt", {}, t("金额", "Amounts")),
          h("dd", {}, Object.entries(c.penalty_totals_fen || {}).map(([kind, amount]) => `${lineKind(kind)}: ${yuan(amount)}`).join(" · ") || "—"),
          c.decided_fine_fen !== null && c.decided_fine_fen !== undefined ? [h("dt", {}, t("决定罚款", "Fine decided")), h("dd", {}, yuan(c.decided_fine_fen))] : null,
          STAGE_DATES.filter(([key]) => c.stages?.[key]).map(([key, zh, en]) => [h("dt", {}, t(zh, en)), h("dd", {}, c.stages[key])]),
          h("dt", {}, t("检查", "Inspections")),
          h("dd", { id: "case-inspections" }, c.inspections.map((i) => h("a", { href: `#/inspections/${i.inspection_id}`, class: "case-inspection" }, `${i.inspection_id.slice(0, 8)} (${i.role})`)).flatMap((a, n) => (n ? ["、", a] : [a]))),
        ),
        c.stage !== "closed" ? partyForm(party) : null,
        h(
          "div",
          { class: "columns" },
          h("div", { class: "col-main" }, deadlinesSection(c), docsEl, ordersSection(c), tasksSection(tasks)),
          h(
            "div",
            { class: "col-side" },
            h(
              "section",
              { class: "card actions", id: "transitions" },
              h("h2", {}, t("下一步", "Next steps")),
              c.allowed_actions.length ? c.allowed_actions.map(actionForm) : h("p", { class: "empty" }, t("没有可办理的步骤。", "No step to take.")),
            ),
            timelineSection(timeline),
          ),
        ),
      ),
    );
    stopDocuments = renderDocuments(docsEl, { c, banner });
  }

  try {
    data = await load();
  } catch (exc) {
    main.append(h("section", { class: "page" }, h("h1", {}, t("案件", "Case")), h("p", { class: "empty", id: "not-found" }, problemText(exc))));
    return null;
  }
  paint();
  return () => stopDocuments();
}

const STAGE_EN = { filing: "Filing", investigation: "Investigation", notice: "Advance notice", decision: "Decision", execution: "Execution", closed: "Closed" };
