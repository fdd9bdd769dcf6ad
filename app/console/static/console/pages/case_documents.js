// A case's documents: preview a draft (POST /documents/preview → a PDF blob in a new tab), issue one (POST
// /documents with an id made here, so a retry never takes a second number; 422 document_blocked lists every
// reason), list them per inspection, download the issued PDF, void one with a reason. While a document is
// still rendering (the job worker makes its PDF) the list is polled.
import { api, ApiError, get, request } from "../api.js";
import { append, clear, h } from "../dom.js";
import { pick, t } from "../i18n.js";
import { uuid4 } from "../ids.js";
import { problemText } from "./inspection.js";

const KINDS = [
  ["order_to_correct", "责令改正违法行为决定书", "Order to correct"],
  ["inspection_record", "现场检查(勘察)笔录", "On-site inspection record"],
  ["advance_notice", "行政处罚事先(听证)告知书", "Advance notice of penalty"],
  ["penalty_decision", "行政处罚决定书", "Penalty decision"],
  ["daily_penalty_decision", "按日连续处罚决定书", "Daily penalty decision"],
  ["fiscal_deduction_notice", "财政扣缴通知", "Fiscal deduction notice"],
];

const STATES = {
  rendering: ["生成中", "Rendering"],
  issued: ["已签发", "Issued"],
  failed: ["生成失败", "Rendering failed"],
  voided: ["已作废", "Voided"],
};

// Earlier documents a later one cites (行政处罚法第六十二条: no decision without the advance notice).
const REFERENCES = {
  advance_notice: { order: "order_to_correct" },
  penalty_decision: { order: "order_to_correct", notice: "advance_notice" },
  daily_penalty_decision: { order: "order_to_correct", decision: "penalty_decision" },
};

function saveBlob(blob, name, newTab) {
  const url = URL.createObjectURL(blob);
  const a = h("a", newTab ? { href: url, target: "_blank", rel: "noopener" } : { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export function renderDocuments(section, { c, banner }) {
  const inspections = c.inspections.map((i) => i.inspection_id);
  let documents = [];
  let timer = null;
  let stopped = false;
  // Kept until an issue succeeds: a retry after a lost answer returns the same document, never a second number.
  let issueId = uuid4();

  const kind = h("select", { name: "kind", id: "doc-kind" }, KINDS.map(([k, zh, en]) => h("option", { value: k }, t(zh, en))));
  const inspection = h(
    "select",
    { name: "inspection_id", id: "doc-inspection" },
    inspections.map((i, n) => h("option", { value: i, selected: n === inspections.length - 1 }, i.slice(0, 8))),
  );
  const orderText = h("textarea", { name: "order_text", id: "doc-order-text", rows: 2, placeholder: t("责令改正的内容", "What to correct") });
  const orderDeadline = h("input", { type: "date", name: "order_deadline", id: "doc-order-deadline" });
  const present = h("input", { name: "present_name", id: "doc-present-name", placeholder: t("在场人", "Person present") });
  const presentRole = h("input", { name: "present_role", placeholder: t("职务", "Role") });
  const statement = h("input", { name: "statement", placeholder: t("当事人陈述", "Statement") });
  const signature = h("select", { name: "signature" }, h("option", { value: "signed" }, t("已签名", "Signed")), h("option", { value: "refused" }, t("拒签", "Refused")));
  const witness = h("input", { name: "witness", placeholder: t("见证人（拒签时）", "Witness (on refusal)") });
  const decided = h("input", { type: "number", step: "0.01", min: 0, name: "decided_yuan", placeholder: t("决定金额（元）", "Amount decided (¥)") });
  const orderFields = h("div", { class: "inline-form", dataset: { for: "order_to_correct" } }, orderText, h("label", { class: "field" }, h("span", {}, t("改正期限", "Deadline")), orderDeadline));
  const onsiteFields = h("div", { class: "inline-form", dataset: { for: "inspection_record" }, hidden: true }, present, presentRole, statement, signature, witness);
  const decisionFields = h("div", { class: "inline-form", dataset: { for: "penalty_decision" }, hidden: true }, decided);
  const blockers = h("ul", { class: "blocking", id: "doc-blockers" });
  const list = h("ul", { class: "documents", id: "document-list" });

  kind.addEventListener("change", () => {
    orderFields.hidden = kind.value !== "order_to_correct";
    onsiteFields.hidden = kind.value !== "inspection_record";
    decisionFields.hidden = kind.value !== "penalty_decision";
  });

  function body() {
    const fields = {};
    if (kind.value === "order_to_correct") {
      fields.order = {};
      if (orderText.value.trim()) fields.order.text = orderText.value.trim();
      if (orderDeadline.value) fields.order.deadline = orderDeadline.value;
    } else if (kind.value === "inspection_record") {
      fields.onsite = { signature: signature.value };
      for (const [key, el] of [["present_name", present], ["present_role", presentRole], ["statement", statement], ["witness", witness]]) {
        if (el.value.trim()) fields.onsite[key] = el.value.trim();
      }
    } else if (kind.value === "penalty_decision" && decided.value !== "") {
      fields.decided_amount_fen = Math.round(Number(decided.value) * 100);
    }
    const references = {};
    for (const [ref, refKind] of Object.entries(REFERENCES[kind.value] || {})) {
      const earlier = documents.find((d) => d.kind === refKind && d.state === "issued" && d.inspection_id === inspection.value);
      if (earlier) references[ref] = earlier.id;
    }
    // Issued from the case: its party, order dates and decided amounts come from the case file.
    return { kind: kind.value, case_id: c.id, inspection_id: inspection.value, references, fields };
  }

  function showBlockers(problem) {
    clear(blockers);
    for (const e of problem?.errors || []) blockers.append(h("li", { dataset: { code: e.code } }, pick(e, "message_zh", "message_en") || e.code));
  }

  async function preview() {
    clear(blockers);
    const response = await request("/api/v1/documents/preview", {
      method: "POST",
      body: JSON.stringify(body()),
      headers: { "Content-Type": "application/json" },
    });
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch {
        /* not JSON */
      }
      banner(problemText(new ApiError(response.status, problem)), "error");
      return;
    }
    const pending = (response.headers.get("X-Document-Blockers") || "").split(",").filter(Boolean);
    for (const code of pending) blockers.append(h("li", { dataset: { code } }, code));
    banner(
      pending.length ? t("样稿已生成；签发前仍须处理上列事项", "Draft made; the items listed still block issuing") : t("样稿已生成", "Draft made"),
      pending.length ? "warn" : "ok",
    );
    saveBlob(await response.blob(), `draft-${kind.value}.pdf`, true);
  }

  async function issue() {
    clear(blockers);
    try {
      const { body: doc } = await api("/api/v1/documents", { method: "POST", body: { id: issueId, ...body() } });
      issueId = uuid4();
      banner(`${t("已签发", "Issued")} ${doc.number || doc.kind_title} ✓`, "ok");
    } catch (exc) {
      if (exc instanceof ApiError && exc.problem.code === "document_blocked") showBlockers(exc.problem);
      banner(problemText(exc), "error");
      return;
    }
    await load();
  }

  async function download(doc) {
    const response = await request(`/api/v1/documents/${doc.id}/pdf`);
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch {
        /* not JSON */
      }
      banner(problemText(new ApiError(response.status, problem)), "error");
      return;
    }
    saveBlob(await response.blob(), `${doc.number || doc.id}.pdf`, false);
  }

  async function voidDocument(doc, reason) {
    try {
      await api(`/api/v1/documents/${doc.id}/void`, { method: "POST", body: { reason } });
      banner(t("文书已作废", "Document voided") + " ✓", "ok");
    } catch (exc) {
      banner(problemText(exc), "error");
    }
    await load();
  }

  function row(doc) {
    const names = STATES[doc.state];
    const reason = h("input", { name: "void_reason", placeholder: t("作废理由", "Reason to void"), minlength: 2, required: true });
    const voidForm = h("form", { class: "inline-form void-form", hidden: true }, reason, h("button", { type: "submit", class: "danger" }, t("确认作废", "Void")));
    voidForm.addEventListener("submit", (event) => {
      event.preventDefault();
      voidDocument(doc, reason.value.trim());
    });
    const hasPdf = doc.state === "issued" || (doc.state === "voided" && doc.pdf_sha256);
    return h(
      "li",
      { class: `document state-${doc.state}`, dataset: { id: doc.id, kind: doc.kind, state: doc.state } },
      h("strong", {}, doc.kind_title), " ",
      h("span", { class: "doc-number" }, doc.number || t("（无文号）", "(no number)")), " ",
      h("span", { class: `state doc-state` }, names ? t(...names) : doc.state),
      h("div", { class: "meta" }, `${t("签发", "Issued")} ${doc.issued_on} · ${doc.inspection_id.slice(0, 8)}${doc.void_reason ? ` · ${t("作废理由", "voided")}: ${doc.void_reason}` : ""}${doc.render_error ? ` · ${doc.render_error}` : ""}`),
      h(
        "div",
        { class: "buttons" },
        hasPdf ? h("button", { type: "button", class: "doc-download", onclick: () => download(doc) }, t("下载 PDF", "Download PDF")) : null,
        doc.state === "issued" || doc.state === "failed"
          ? h("button", { type: "button", class: "doc-void", onclick: () => { voidForm.hidden = !voidForm.hidden; reason.focus(); } }, t("作废", "Void"))
          : null,
      ),
      voidForm,
    );
  }

  async function load() {
    if (timer) clearTimeout(timer);
    timer = null;
    try {
      const lists = await Promise.all(inspections.map((i) => get("/api/v1/documents", { inspection_id: i })));
      documents = lists.flat().sort((a, b) => String(b.issued_at).localeCompare(String(a.issued_at)));
    } catch (exc) {
      banner(problemText(exc), "error");
      return;
    }
    if (stopped) return;
    append(clear(list), [documents.length ? documents.map(row) : h("li", { class: "empty" }, t("尚无文书。", "No documents yet."))]);
    if (documents.some((d) => d.state === "rendering")) timer = setTimeout(load, 2000);
  }

  section.append(
    h("h2", {}, t("文书", "Documents")),
    h(
      "form",
      { class: "document-form", id: "document-form" },
      h("div", { class: "filters inline" }, h("label", { class: "field" }, h("span", {}, t("文书", "Kind")), kind), h("label", { class: "field" }, h("span", {}, t("检查", "Inspection")), inspection)),
      orderFields,
      onsiteFields,
      decisionFields,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", id: "doc-preview", onclick: preview }, t("预览样稿", "Preview draft")),
        h("button", { type: "button", class: "primary", id: "doc-issue", onclick: issue }, t("签发", "Issue")),
      ),
    ),
    blockers,
    list,
  );
  load();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
