// One inspection as a supervisor reviews it: answers item by item (wording and source clause), photos with
// their evidence flags, the positions on a map, findings and money with each line's explanation, the history,
// and the decisions (approve, return, reject; override a line within its legal range; amend, waive or add a
// missed finding while it is under review). Every decision sends the ETag it was made on: when someone else
// acted first the API answers 412 and the page says so and reloads.
/* global L */
import { api, ApiError, blobUrl, get } from "../api.js";
import { clear, formatTime, h, yuan } from "../dom.js";
import { flagName, pick, stateName, t } from "../i18n.js";
import { addBoundaries, fitTo, gpsLatLng, layerCrs, makeMap } from "../mapview.js";
import { uuid4 } from "../ids.js";

const SUPERVISING = ["supervisor", "admin"];

export function problemText(exc) {
  if (exc instanceof ApiError) {
    const details = (exc.problem.errors || []).map((e) => pick(e, "message_zh", "message_en")).filter(Boolean);
    return [pick(exc.problem, "message_zh", "message_en") || exc.message, ...details].join(" ");
  }
  return String(exc);
}

const AMENDMENT_KINDS = { change: ["审核修改", "Changed by the reviewer"], add_finding: ["补充问题", "Finding added"], waive: ["豁免", "Waived"] };

function amendmentKind(kind) {
  const names = AMENDMENT_KINDS[kind];
  return names ? t(names[0], names[1]) : kind;
}

function answerText(answer) {
  if (!answer) return t("未作答", "Not answered");
  const parts = [];
  if (answer.verdict) parts.push(answer.verdict === "fail" ? t("不合格", "Fail") : answer.verdict === "pass" ? t("合格", "Pass") : answer.verdict);
  if (answer.values) parts.push(`${answer.values.join(", ")} ${answer.unit || ""}`.trim());
  if (answer.choice) parts.push(answer.choice);
  if (answer.code) parts.push(answer.code);
  if (answer.count !== undefined) parts.push(String(answer.count));
  if (answer.text) parts.push(answer.text);
  if (answer.note) parts.push(`“${answer.note}”`);
  return parts.join(" · ") || "—";
}

// The case an approved inspection belongs to (an inspection joins at most one), through the public cases API.
async function caseOf(inspection) {
  if (inspection.state !== "approved") return null;
  try {
    const { items } = await get("/api/v1/cases", { inspection_id: inspection.id });
    if (items.length) return await get(`/api/v1/cases/${items[0].id}`);
  } catch {
    /* an inspector or a caller without cases: no link */
  }
  return null;
}

export async function render(main, { params, user, banner }) {
  const [id] = params;
  const urls = [];
  let map = null;

  async function load() {
    const { body: inspection, etag } = await api(`/api/v1/inspections/${id}`);
    const [penalties, checklist, site] = await Promise.all([
      get(`/api/v1/inspections/${id}/penalties`).catch(() => null),
      get(`/api/v1/checklists/${encodeURIComponent(inspection.checklist.key)}/versions/${encodeURIComponent(inspection.checklist.version)}`).catch(() => ({ items: [] })),
      get(`/api/v1/sites/${inspection.site.id}`, { crs: layerCrs() }).catch(() => null),
    ]);
    const photoMeta = {};
    await Promise.all(
      inspection.photos
        .filter((p) => p.uploaded)
        .map(async (p) => {
          photoMeta[p.photo_id] = await get(`/api/v1/photos/${p.photo_id}`).catch(() => null);
        }),
    );
    return { inspection, etag, penalties, checklist, site, photoMeta, caseOf: await caseOf(inspection) };
  }

  let data;
  try {
    data = await load();
  } catch (exc) {
    main.append(
      h("section", { class: "page" }, h("h1", {}, t("检查记录", "Inspection")), h("p", { class: "empty", id: "not-found" }, problemText(exc))),
    );
    return null;
  }

  async function decide(action, payload) {
    try {
      await api(`/api/v1/inspections/${id}/${action}`, { method: "POST", body: payload, ifMatch: data.etag });
      const done = { approve: ["已通过", "Approved"], return: ["已退回", "Returned"], reject: ["已驳回", "Rejected"] }[action];
      banner(t(...done) + " ✓", "ok");
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 412) {
        const current = exc.problem.current;
        banner(
          t("他人已先处理此检查，页面已刷新", "Someone else acted on this inspection first; the page was reloaded") +
            (current ? ` (${stateName(current.state)})` : ""),
          "warn",
        );
      } else {
        banner(problemText(exc), "error");
        return;
      }
    }
    await repaint();
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

  function photoTile(link) {
    const meta = data.photoMeta[link.photo_id];
    const img = h("img", { alt: t("照片", "Photo"), class: "thumb", loading: "lazy" });
    const flags = (link.flags || []).map((f) => h("span", { class: `flag flag-${f.code}`, title: pick(f, "message_zh", "message_en") }, flagName(f.code)));
    const tile = h(
      "figure",
      { class: "photo", dataset: { photo: link.photo_id } },
      h("button", { type: "button", class: "thumb-button", onclick: () => openPhoto(link) }, img),
      h("figcaption", {}, meta?.taken_at ? formatTime(meta.taken_at) : t("无拍摄时间", "No capture time"), h("div", { class: "flags" }, flags)),
    );
    if (!link.uploaded) {
      img.replaceWith(h("div", { class: "thumb pending" }, t("照片未上传", "Not uploaded yet")));
    } else if (link.derivatives_state === "ready") {
      blobUrl(`/api/v1/photos/${link.photo_id}/thumbnail`)
        .then((u) => {
          urls.push(u);
          img.src = u;
        })
        .catch(() => img.replaceWith(h("div", { class: "thumb pending" }, t("无法加载", "Cannot load"))));
    } else {
      img.replaceWith(h("div", { class: "thumb pending" }, t("缩略图处理中", "Thumbnail pending")));
    }
    return tile;
  }

  async function openPhoto(link) {
    const dialog = h("dialog", { class: "lightbox", id: "lightbox" });
    const close = () => dialog.remove();
    const img = h("img", { alt: t("照片", "Photo") });
    const original = h("button", { type: "button" }, t("查看原图", "Original"));
    original.addEventListener("click", async () => {
      const u = await blobUrl(`/api/v1/photos/${link.photo_id}/original`);
      urls.push(u);
      img.src = u;
      original.disabled = true;
    });
    dialog.append(
      h("div", { class: "lightbox-bar" }, original, h("button", { type: "button", onclick: close }, t("关闭", "Close"))),
      img,
      h("div", { class: "flags" }, (link.flags || []).map((f) => h("span", { class: "flag" }, pick(f, "message_zh", "message_en")))),
    );
    dialog.addEventListener("close", close);
    document.body.append(dialog);
    dialog.showModal();
    const u = await blobUrl(`/api/v1/photos/${link.photo_id}/${link.derivatives_state === "ready" ? "display" : "original"}`);
    urls.push(u);
    img.src = u;
  }

  // A reviewer's amendment of one item (POST /inspections/{id}/amendments, with the inspection's ETag): change
  // the answer, or waive a failed item; a reason always. The id is made here so a retry never amends twice.
  async function amend(amendmentId, payload) {
    try {
      await api(`/api/v1/inspections/${id}/amendments`, { method: "POST", body: { id: amendmentId, ...payload }, ifMatch: data.etag });
      banner((payload.kind === "waive" ? t("已豁免", "Waived") : t("已修改", "Amended")) + " ✓", "ok");
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 412) {
        banner(t("他人已先处理此检查，页面已刷新", "Someone else acted on this inspection first; the page was reloaded"), "warn");
      } else {
        banner(problemText(exc), "error");
        return;
      }
    }
    await repaint();
  }

  function amendControls(item, answer, finding) {
    // Chosen once per form: a retry of the same amendment finds it instead of amending twice.
    const amendmentId = uuid4();
    const reason = h("input", { name: "reason", class: "amend-reason", placeholder: t("理由（必填）", "Reason (required)"), required: true });
    const verdict = h(
      "select",
      { name: "verdict", class: "amend-verdict" },
      h("option", { value: "" }, t("结论不变", "Verdict unchanged")),
      h("option", { value: "pass" }, t("合格", "Pass")),
      h("option", { value: "fail" }, t("不合格", "Fail")),
      h("option", { value: "na" }, t("不适用", "Not applicable")),
    );
    const values = answer?.values ? h("input", { name: "values", class: "amend-values", value: answer.values.join(", "), placeholder: t("读数（逗号分隔）", "Readings (comma separated)") }) : null;
    const note = h("input", { name: "note", class: "amend-note", value: answer?.note || "", placeholder: t("说明", "Note") });
    const changeForm = h(
      "form",
      { class: "inline-form amend-form", hidden: true },
      verdict,
      values,
      note,
      reason,
      h("button", { type: "submit", class: "primary amend-submit" }, t("提交修改", "Save the change")),
    );
    changeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const changed = {};
      if (verdict.value) changed.verdict = verdict.value;
      if (values) changed.values = values.value.split(/[,，\s]+/).filter(Boolean).map(Number);
      if (note.value !== (answer?.note || "")) changed.note = note.value || null;
      amend(amendmentId, { item_key: item.key, kind: "change", answer: changed, reason: reason.value.trim() });
    });
    const waiveReason = h("input", { name: "reason", class: "waive-reason", placeholder: t("豁免理由（必填）", "Why waive (required)"), required: true });
    const waiveForm = h("form", { class: "inline-form waive-form", hidden: true }, waiveReason, h("button", { type: "submit", class: "danger waive-submit" }, t("确认豁免", "Waive")));
    waiveForm.addEventListener("submit", (event) => {
      event.preventDefault();
      amend(amendmentId, { item_key: item.key, kind: "waive", reason: waiveReason.value.trim() });
    });
    const canWaive = finding?.verdict === "fail" && !finding.waiver;
    return h(
      "div",
      { class: "amend" },
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "amend-open", onclick: () => { changeForm.hidden = !changeForm.hidden; } }, t("修改", "Amend")),
        canWaive ? h("button", { type: "button", class: "waive-open", onclick: () => { waiveForm.hidden = !waiveForm.hidden; } }, t("豁免", "Waive")) : null),
      changeForm,
      canWaive ? waiveForm : null,
    );
  }

  // 补充问题: record a failure the inspector missed (kind add_finding), on an item that has no penalised finding,
  // with evidence chosen among the inspection's photos (the API requires at least one) and a reason. The answer
  // fields follow the item's kind; the server evaluates it and must find it failing, then recomputes the money.
  function addFindingSection(inspection, checklist) {
    const findings = Object.fromEntries(inspection.findings.map((f) => [f.item_key, f]));
    // A repeatable group's items count per object (第2台's emission stage is its own item), as the items list shows them.
    const candidates = shownItems(inspection, checklist, findings).filter((i) => !(findings[i.key]?.verdict === "fail" && !findings[i.key]?.waiver));
    if (!candidates.length) return null;
    const amendmentId = uuid4();
    const itemSelect = h("select", { name: "item_key", id: "finding-item", required: true }, candidates.map((i) => h("option", { value: i.key, dataset: { kind: i.kind } }, `${pick(i.prompt) || i.key} (${i.key})`)));
    const verdict = h("select", { name: "verdict", id: "finding-verdict" }, h("option", { value: "fail" }, t("不合格", "Fail")));
    const count = h("input", { name: "count", id: "finding-count", type: "number", min: 0, step: 1, placeholder: t("数量", "Count") });
    const values = h("input", { name: "values", id: "finding-values", placeholder: t("读数（逗号分隔）", "Readings (comma separated)") });
    const note = h("input", { name: "note", id: "finding-note", placeholder: t("问题描述", "What was found") });
    const reason = h("input", { name: "reason", id: "finding-reason", placeholder: t("理由（必填）", "Reason (required)"), required: true });
    const field = (label, el) => h("label", { class: "field", dataset: { for: el.name } }, h("span", {}, label), el);
    const verdictField = field(t("结论", "Verdict"), verdict);
    const countField = field(t("数量", "Count"), count);
    const valuesField = field(t("读数", "Readings"), values);
    const showFields = () => {
      const kind = itemSelect.selectedOptions[0]?.dataset.kind;
      verdictField.hidden = kind === "count" || kind === "measure";
      countField.hidden = kind !== "count";
      valuesField.hidden = kind !== "measure";
    };
    itemSelect.addEventListener("change", showFields);
    showFields();
    const seen = new Set();
    const photos = inspection.photos.filter((p) => p.uploaded && !seen.has(p.photo_id) && seen.add(p.photo_id));
    const photoChoices = h(
      "div",
      { class: "photo-choices", id: "finding-photos" },
      photos.length
        ? photos.map((link) => {
            const box = h("input", { type: "checkbox", name: "photo", value: link.photo_id });
            const img = h("img", { alt: t("照片", "Photo"), class: "thumb small" });
            if (link.derivatives_state === "ready") {
              blobUrl(`/api/v1/photos/${link.photo_id}/thumbnail`).then((u) => { urls.push(u); img.src = u; }).catch(() => img.remove());
            }
            return h("label", { class: "photo-choice", dataset: { photo: link.photo_id } }, box, img, h("span", { class: "meta" }, `${link.item_key || ""} · ${link.photo_id.slice(0, 8)}`));
          })
        : h("p", { class: "empty" }, t("本次检查没有已上传的照片。", "This inspection has no uploaded photo.")),
    );
    const errors = h("ul", { class: "errors", id: "finding-errors" });
    const form = h(
      "form",
      { class: "finding-form", id: "finding-form" },
      h("div", { class: "inline-form" }, field(t("检查项", "Item"), itemSelect), verdictField, countField, valuesField, field(t("说明", "Note"), note)),
      h("p", { class: "meta" }, t("证据照片（至少一张，选自本次检查的照片）", "Evidence photos (at least one, from this inspection's photos)")),
      photoChoices,
      h("div", { class: "inline-form" }, field(t("理由", "Reason"), reason), h("button", { type: "submit", class: "primary", id: "finding-submit" }, t("补充问题", "Add the finding"))),
      errors,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clear(errors);
      const kind = itemSelect.selectedOptions[0]?.dataset.kind;
      const answer = {};
      if (kind === "count") answer.count = Number(count.value);
      else if (kind === "measure") answer.values = values.value.split(/[,，\s]+/).filter(Boolean).map(Number);
      else answer.verdict = verdict.value;
      if (note.value.trim()) answer.note = note.value.trim();
      const chosen = [...form.querySelectorAll("input[name=photo]:checked")].map((el) => el.value);
      try {
        await api(`/api/v1/inspections/${id}/amendments`, {
          method: "POST",
          body: { id: amendmentId, item_key: itemSelect.value, kind: "add_finding", answer, photos: chosen, reason: reason.value.trim() },
          ifMatch: data.etag,
        });
        banner(t("已补充问题，金额已重新计算", "Finding added; the money was recomputed") + " ✓", "ok");
      } catch (exc) {
        if (exc instanceof ApiError && exc.status === 412) {
          banner(t("他人已先处理此检查，页面已刷新", "Someone else acted on this inspection first; the page was reloaded"), "warn");
        } else {
          banner(problemText(exc), "error");
          for (const e of (exc instanceof ApiError && exc.problem.errors) || []) errors.append(h("li", { dataset: { code: e.code } }, h("code", {}, e.path || ""), " ", pick(e, "message_zh", "message_en")));
          return;
        }
      }
      await repaint();
    });
    return h("section", { class: "card", id: "add-finding" }, h("h2", {}, t("补充问题", "Add a missed finding")), form);
  }

  /** A repeatable group's item for one object (key `<group>.<index>.<item>`, app/checklists/groups.py), its prompt
   *  led by the object's name and label (第2台「2号装载机」); an unknown key stays a bare key. */
  function groupItem(checklist, inspection, findings, key) {
    const m = /^([a-z][a-z0-9_]*)\.([0-9]+)\.([a-z][a-z0-9_]*)$/.exec(key);
    const group = m && (checklist.groups || []).find((g) => g.key === m[1]);
    const spec = group && (group.items || []).find((i) => i.key === m[3]);
    if (!spec) return { key };
    const index = Number(m[2]);
    const labelAnswer = group.label_item ? inspection.answers[`${m[1]}.${index}.${group.label_item}`] : null;
    const label = findings[key]?.object?.label || (labelAnswer && (labelAnswer.text || labelAnswer.code)) || "";
    const noun = group.object_name || { zh: "个", en: "object" };
    const name = {
      zh: `第${index + 1}${noun.zh}${label ? `「${label}」` : ""}`,
      en: `${noun.en} #${index + 1}${label ? ` '${label}'` : ""}`,
    };
    return { ...spec, key, prompt: { zh: `${name.zh}：${spec.prompt.zh}`, en: `${name.en}: ${spec.prompt.en}` } };
  }

  /** The items an inspection answered or has findings on: the checklist's own, then each group object's. */
  function shownItems(inspection, checklist, findings) {
    const known = new Set((checklist.items || []).map((i) => i.key));
    return [
      ...(checklist.items || []).filter((i) => i.key in inspection.answers || findings[i.key]),
      ...Object.keys(inspection.answers).filter((k) => !known.has(k)).map((key) => groupItem(checklist, inspection, findings, key)),
    ];
  }

  function itemsSection(inspection, checklist, canDecide) {
    const findings = Object.fromEntries(inspection.findings.map((f) => [f.item_key, f]));
    const photosByItem = {};
    for (const link of inspection.photos) (photosByItem[link.item_key] ||= []).push(link);
    const reviewComments = Object.fromEntries(((inspection.decision || inspection.review || {}).item_comments || []).map((c) => [c.item_key, c.comment]));
    const items = shownItems(inspection, checklist, findings);
    return h(
      "section",
      { class: "card", id: "items" },
      h("h2", {}, t("检查项", "Items")),
      items.map((item) => {
        const answer = inspection.answers[item.key];
        const finding = findings[item.key];
        const failed = finding?.verdict === "fail" || answer?.verdict === "fail";
        const amendments = (inspection.amendments || []).filter((a) => a.item_key === item.key && a.submission_no === inspection.submission_count);
        // The inspector's original, as submitted, stays beside the amended answer.
        const amended = amendments.some((a) => a.kind !== "waive");
        const original = (inspection.original_answers || {})[item.key] ?? null;
        return h(
          "article",
          { class: failed ? "item failed" : "item", dataset: { item: item.key } },
          h("h3", {}, item.prompt ? pick(item.prompt) : item.key),
          h("div", { class: "source" }, t("依据", "Source"), ": ", (item.source || finding?.source_refs || []).join("、") || "—"),
          h(
            "div",
            { class: "answer" },
            h("span", { class: "label" }, t("检查员记录", "Inspector's record"), ": "),
            answerText(amended ? original : answer),
          ),
          amended ? h("div", { class: "answer amended" }, h("span", { class: "label" }, t("审核修正后", "As amended"), ": "), answerText(answer)) : null,
          amendments.length
            ? h("ul", { class: "amendments" }, amendments.map((a) => h("li", { dataset: { kind: a.kind } }, `${amendmentKind(a.kind)} · ${formatTime(a.at)} · ${t("理由", "reason")}: ${a.reason}`)))
            : null,
          finding?.waiver ? h("div", { class: "comment-shown waived" }, t("已豁免", "Waived"), finding.waiver.reason ? `: ${finding.waiver.reason}` : "") : null,
          finding && finding.phone_verdict && finding.phone_verdict !== finding.verdict
            ? h("div", { class: "answer amended" }, t("系统复核", "Server re-evaluation"), `: ${finding.verdict} (${t("手机端", "phone")}: ${finding.phone_verdict})`)
            : null,
          finding?.explanation ? h("div", { class: "explanation" }, pick(finding.explanation)) : null,
          reviewComments[item.key] ? h("div", { class: "comment-shown" }, t("审核意见", "Reviewer's comment"), ": ", reviewComments[item.key]) : null,
          h("div", { class: "photos" }, (photosByItem[item.key] || []).map(photoTile)),
          canDecide ? amendControls(item, answer, finding) : null,
          canDecide
            ? h("textarea", { class: "item-comment", name: `comment-${item.key}`, dataset: { item: item.key }, rows: 1, placeholder: t("逐项意见（退回/驳回时发送）", "Comment on this item (sent with return/reject)") })
            : null,
        );
      }),
    );
  }

  function penaltiesSection(penalties, canDecide) {
    if (!penalties) return null;
    const rows = penalties.lines.map((line) => {
      const range = line.legal_total_range_fen || line.range_fen;
      const override = canDecide && range
        ? h(
            "form",
            { class: "override", dataset: { line: String(line.id) } },
            h("input", { name: "amount", type: "number", step: "0.01", min: range[0] / 100, max: range[1] / 100, placeholder: t("调整金额（元）", "Amount (¥)"), required: true }),
            h("input", { name: "reason", placeholder: t("调整理由（必填）", "Reason (required)"), required: true }),
            h("button", { type: "submit" }, t("在幅度内调整", "Override within range")),
          )
        : null;
      override?.addEventListener("submit", async (event) => {
        event.preventDefault();
        const form = new FormData(override);
        try {
          await api(`/api/v1/inspections/${id}/penalties/${line.id}/override`, {
            method: "POST",
            body: { amount_fen: Math.round(Number(form.get("amount")) * 100), reason: form.get("reason") },
          });
          banner(t("金额已调整", "Amount overridden") + " ✓", "ok");
          await repaint();
        } catch (exc) {
          banner(problemText(exc), "error");
        }
      });
      return h(
        "article",
        { class: "penalty-line", dataset: { line: String(line.id) } },
        h("h3", {}, pick(line.title) || line.rule_key, " ", h("span", { class: "amount" }, yuan(line.amount_fen))),
        h("div", { class: "meta" }, `${line.kind} · ${line.status}${range ? ` · ${t("法定幅度", "legal range")} ${yuan(range[0])}–${yuan(range[1])}` : ""}${line.payer?.name ? ` · ${line.payer.name}` : ""}`),
        h("ol", { class: "explanation" }, (pick(line.explanation) || []).map?.((s) => h("li", {}, s)) ?? h("li", {}, String(pick(line.explanation)))),
        line.override ? h("div", { class: "comment-shown" }, t("已调整", "Overridden"), `: ${yuan(line.override.amount_fen)} — ${line.override.reason || ""}`) : null,
        line.blocking_reasons?.length ? h("div", { class: "blocking" }, t("阻止出具", "Blocks issuing"), ": ", line.blocking_reasons.join(", ")) : null,
        override,
      );
    });
    const totals = Object.entries(penalties.totals || {}).map(([kind, money]) => h("li", { dataset: { kind } }, `${kind}: ${yuan(money.fen)}`));
    return h(
      "section",
      { class: "card", id: "penalties" },
      h("h2", {}, t("问题与金额", "Findings and money")),
      rows.length ? rows : h("p", { class: "empty" }, t("无处罚或扣缴项。", "No penalty or deduction lines.")),
      h("ul", { class: "totals" }, totals),
    );
  }

  function historySection(inspection, penalties) {
    const events = [[inspection.created_at, t("创建", "Created")]];
    if (inspection.submitted_at) events.push([inspection.submitted_at, `${t("提交", "Submitted")} (${t("第", "#")}${inspection.submission_count}${t("次", "")})`]);
    if (inspection.review?.at) events.push([inspection.review.at, `${t("退回", "Returned")}: ${inspection.review.comment || ""}`]);
    if (penalties?.computation) events.push([penalties.computation.computed_at, `${t("计算金额", "Penalties computed")} (${penalties.computation.trigger})${penalties.computation.reason ? ": " + penalties.computation.reason : ""}`]);
    for (const line of penalties?.lines || []) if (line.override?.at) events.push([line.override.at, `${t("调整金额", "Override")}: ${pick(line.title)} → ${yuan(line.override.amount_fen)}`]);
    if (inspection.decision) events.push([inspection.decision.at, `${stateName(inspection.decision.action === "approve" ? "approved" : inspection.decision.action === "reject" ? "rejected" : inspection.decision.action)}${inspection.decision.reason ? ": " + inspection.decision.reason : ""}`]);
    events.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    return h("section", { class: "card", id: "history" }, h("h2", {}, t("历史", "History")), h("ol", { class: "history" }, events.map(([at, what]) => h("li", {}, h("time", {}, formatTime(at)), " ", what))));
  }

  function actionsSection() {
    const reason = h("textarea", { id: "decision-text", rows: 2, placeholder: t("意见或理由（退回、驳回必填）", "Comment or reason (required to return or reject)") });
    const itemComments = () =>
      [...main.querySelectorAll("textarea.item-comment")].filter((el) => el.value.trim()).map((el) => ({ item_key: el.dataset.item, comment: el.value.trim() }));
    const need = () => {
      if (reason.value.trim()) return true;
      banner(t("请填写意见或理由。", "Write a comment or reason first."), "error");
      reason.focus();
      return false;
    };
    return h(
      "section",
      { class: "card actions", id: "actions" },
      h("h2", {}, t("审核", "Decision")),
      reason,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", class: "primary", id: "approve", onclick: () => decide("approve", reason.value.trim() ? { reason: reason.value.trim() } : {}) }, t("通过", "Approve")),
        h("button", { type: "button", id: "return", onclick: () => need() && decide("return", { comment: reason.value.trim(), item_comments: itemComments() }) }, t("退回修改", "Return")),
        h("button", { type: "button", class: "danger", id: "reject", onclick: () => need() && decide("reject", { reason: reason.value.trim(), item_comments: itemComments() }) }, t("驳回", "Reject")),
      ),
    );
  }

  function drawMap(el, inspection, site) {
    if (map) map.remove();
    map = makeMap(el);
    const layers = [];
    addBoundaries(map).then(({ zones }) => {
      if (!layers.length && zones) fitTo(map, [zones]);
    }).catch(() => {});
    if (site?.geometry) {
      const s = L.geoJSON(site.geometry, { pointToLayer: (_, ll) => L.circleMarker(ll, { radius: 9, color: "#1d4ed8", fillOpacity: 0.6, className: "site-marker" }),
        style: () => ({ color: "#1d4ed8", className: "site-marker" }) })
        .bindTooltip(site.name)
        .addTo(map);
      layers.push(s);
    }
    if (inspection.location) {
      const m = L.circleMarker(gpsLatLng(inspection.location.lon, inspection.location.lat), { radius: 7, color: "#15803d", fillOpacity: 0.8, className: "inspection-marker" })
        .bindTooltip(t("检查位置", "Inspection position"))
        .addTo(map);
      layers.push(m);
    }
    for (const link of inspection.photos) {
      const gps = data.photoMeta[link.photo_id]?.gps;
      if (!gps) continue;
      const far = (link.flags || []).some((f) => f.code === "far_from_site");
      const m = L.circleMarker(gpsLatLng(gps.lon, gps.lat), { radius: 5, color: far ? "#b91c1c" : "#7c3aed", fillOpacity: 0.8, className: far ? "photo-marker far" : "photo-marker" })
        .bindTooltip(`${t("照片", "Photo")} · ${link.item_key}${far ? " · " + flagName("far_from_site") : ""}`)
        .addTo(map);
      layers.push(m);
    }
    fitTo(map, layers);
  }

  function paint() {
    const { inspection, penalties, checklist, site } = data;
    const canDecide = SUPERVISING.includes(user.role) && inspection.state === "submitted";
    const mapEl = h("div", { class: "map small", id: "inspection-map" });
    clear(main).append(
      h(
        "section",
        { class: "page inspection-page", dataset: { state: inspection.state } },
        h("p", {}, h("a", { href: "#/queue" }, "← ", t("返回队列", "Back to the queue"))),
        h("h1", {}, site?.name || inspection.site.name, " ", h("span", { class: `state state-${inspection.state}`, id: "inspection-state" }, stateName(inspection.state))),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, t("检查表", "Checklist")), h("dd", {}, `${pick(checklist.title) || inspection.checklist.key} (v${inspection.checklist.version})`),
          h("dt", {}, t("检查时间", "Inspected")), h("dd", {}, `${formatTime(inspection.started_at)} – ${formatTime(inspection.ended_at)}`),
          h("dt", {}, t("执法人员", "Officers")), h("dd", {}, inspection.officers.map((o) => o.name || o.badge_number || `#${o.user_id}`).join("、") || "—"),
          h("dt", {}, t("地址", "Address")), h("dd", {}, site?.address || "—"),
          h("dt", {}, t("区域", "Zones")), h("dd", {}, (site?.zones || []).map((z) => pick({ zh: z.name_zh, en: z.name_en })).join("、") || "—"),
          inspection.note ? [h("dt", {}, t("备注", "Note")), h("dd", {}, inspection.note)] : null,
          data.caseOf
            ? [h("dt", {}, t("案件", "Case")), h("dd", {}, h("a", { id: "inspection-case", href: `#/cases/${data.caseOf.id}` }, `#${data.caseOf.id} · ${data.caseOf.stage_zh}`))]
            : null,
        ),
        h(
          "div",
          { class: "columns" },
          h("div", { class: "col-main" }, itemsSection(inspection, checklist, canDecide), canDecide ? addFindingSection(inspection, checklist) : null, penaltiesSection(penalties, SUPERVISING.includes(user.role))),
          h(
            "div",
            { class: "col-side" },
            canDecide ? actionsSection() : null,
            h("section", { class: "card" }, h("h2", {}, t("位置", "Positions")), mapEl,
              h("p", { class: "legend" }, h("span", { class: "dot site" }), t("场所", "Site"), " ", h("span", { class: "dot insp" }), t("检查位置", "Inspection"), " ", h("span", { class: "dot photo" }), t("照片", "Photo"))),
            historySection(inspection, penalties),
          ),
        ),
      ),
    );
    drawMap(mapEl, inspection, site);
  }

  paint();
  return () => {
    if (map) map.remove();
    for (const u of urls) URL.revokeObjectURL(u);
  };
}
