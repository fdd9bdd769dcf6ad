// The server's verdict, previewed on the phone: a port of app/checklists/evaluation.py (answers) and of the
// applicability rule of app/checklists/applicability.py (JSON Logic `applies_when`, via json-logic-js).
// tests/e2e/test_inspector_app_evaluator.py runs the same cases through both and compares them.
// The server re-evaluates every answer at submission; this preview never decides anything.

const CMP_SYMBOL = { lt: "<", le: "≤", gt: ">", ge: "≥" };
export const ALERT_LEVELS = ["none", "blue", "yellow", "orange", "red"];

// Python's `f"{x:g}"`: 6 significant digits, trailing zeros dropped, exponent below 1e-4 or from 1e6.
export function fmtG(x) {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  const [mant, expText] = x.toExponential(5).split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const m = mant.replace(/\.?0+$/, "");
    const sign = exp < 0 ? "-" : "+";
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

function isNumber(x) {
  return typeof x === "number" && Number.isFinite(x);
}

export function passes(value, comparison, limit) {
  // Distinct doubles have distinct shortest representations, so comparing the doubles orders them exactly as
  // the server's Decimal(repr(...)) comparison does.
  return { lt: value < limit, le: value <= limit, gt: value > limit, ge: value >= limit }[comparison];
}

function err(key, field, code, zh, en) {
  return { path: field ? `answers.${key}.${field}` : `answers.${key}`, code, message_zh: zh, message_en: en };
}

export function resolveLimit(limit, params) {
  if (limit.value !== null && typeof limit.value === "object") {
    const got = (params || {})[limit.value.param];
    return isNumber(got) ? got : null;
  }
  return limit.value;
}

function readingErrors(item, answer, errors) {
  const { key, unit } = item;
  const rng = item.range;
  const values = answer.values;
  if (!(answer.unit === undefined || answer.unit === null || answer.unit === unit)) {
    errors.push(err(key, "unit", "unit_mismatch", `单位应为 ${unit}，收到 ${answer.unit}`, `unit must be ${unit}, got ${answer.unit}`));
  }
  if (!Array.isArray(values) || values.length === 0) {
    errors.push(err(key, "values", "readings_missing", "缺少测量读数", "measured readings are missing"));
    return { zh: "缺少测量读数", en: "no readings" };
  }
  if (values.some((v) => !isNumber(v))) {
    errors.push(err(key, "values", "not_a_number", "读数必须是数字", "readings must be numbers"));
    return { zh: "读数无效", en: "invalid readings" };
  }
  const minCount = item.readings.min_count;
  if (values.length < minCount) {
    errors.push(err(key, "values", "too_few_readings", `至少需要 ${minCount} 个读数，收到 ${values.length} 个`, `at least ${minCount} readings required, got ${values.length}`));
  }
  const implausible = values.filter((v) => !(rng.min <= v && v <= rng.max));
  if (implausible.length) {
    const list = implausible.map(fmtG).join(", ");
    errors.push(err(key, "values", "implausible_value",
      `读数 ${list} 超出合理范围 ${fmtG(rng.min)}–${fmtG(rng.max)} ${unit}`,
      `reading(s) ${list} outside plausible range ${fmtG(rng.min)}–${fmtG(rng.max)} ${unit}`));
  }
  return null;
}

function evaluateMeasure(item, answer, params, errors) {
  const { key, unit } = item;
  const unusable = readingErrors(item, answer, errors);
  if (unusable) return ["incomplete", unusable, null];
  const values = answer.values;
  if (!item.limit) {
    // A recorded reading (no limit): it decides which group items apply (a tank's vapour-pressure band) and passes.
    if (errors.length) return ["incomplete", { zh: "读数不完整或无效", en: "readings incomplete or invalid" }, null];
    const shown = values.map(fmtG).join(", ");
    return ["pass", { zh: `记录读数 ${shown} ${unit}`, en: `reading(s) recorded: ${shown} ${unit}` }, Math.max(...values)];
  }
  const limit = resolveLimit(item.limit, params);
  if (limit === null || limit === undefined) {
    errors.push(err(key, "", "limit_not_configured", "该项限值须由辖区设定，尚未设定", "this item's limit must be set by the jurisdiction and is not set yet"));
    return ["incomplete", { zh: "限值未设定", en: "limit not configured" }, null];
  }
  if (errors.length) return ["incomplete", { zh: "读数不完整或无效", en: "readings incomplete or invalid" }, null];
  const cmp = item.limit.comparison;
  const sym = CMP_SYMBOL[cmp];
  const limTxt = `${fmtG(limit)} ${unit}`;
  const combine = item.readings.combine;
  if (combine === "all") {
    const failing = values.filter((v) => !passes(v, cmp, limit));
    const worst = cmp === "lt" || cmp === "le" ? Math.max(...values) : Math.min(...values);
    return [failing.length ? "fail" : "pass", {
      zh: `${values.length} 个读数中 ${failing.length} 个不满足 ${sym} ${limTxt}（${item.limit.wording_zh}）`,
      en: `${failing.length} of ${values.length} readings fail ${sym} ${limTxt}`,
    }, worst];
  }
  const combined = combine === "mean" ? values.reduce((a, b) => a + b, 0) / values.length : Math.max(...values);
  const verdict = passes(combined, cmp, limit) ? "pass" : "fail";
  const [whatZh, whatEn] = combine === "mean" ? ["平均值", "mean"] : ["最大值", "maximum"];
  const [okZh, okEn] = verdict === "pass" ? ["满足", "meets"] : ["不满足", "fails"];
  return [verdict, {
    zh: `${whatZh} ${fmtG(combined)} ${unit} ${okZh} ${sym} ${limTxt}（${item.limit.wording_zh}）`,
    en: `${whatEn} ${fmtG(combined)} ${unit} ${okEn} ${sym} ${limTxt}`,
  }, combined];
}

function evaluateCode(item, answer, params, errors) {
  const { key } = item;
  const fmt = item.format;
  let code = answer.code;
  if (typeof code !== "string" || !code.trim()) {
    errors.push(err(key, "code", "code_missing", "缺少编码", "code is missing"));
    return ["incomplete", { zh: "缺少编码", en: "no code" }];
  }
  if ((fmt.normalize || "upper_strip") === "upper_strip") code = code.replace(/\s+/g, "").toUpperCase();
  const override = fmt.param ? (params || {})[fmt.param] : null;
  const pattern = typeof override === "string" && override ? override : fmt.pattern;
  if (!new RegExp(`^(?:${pattern})$`, "u").test(code)) {
    const d = fmt.description;
    errors.push(err(key, "code", "code_format", `编码格式不符：应为${d.zh}`, `code has the wrong format: expected ${d.en}`));
    return ["incomplete", { zh: `编码 ${code} 格式不符`, en: `code ${code} has the wrong format` }];
  }
  return ["pass", { zh: `编码 ${code} 格式正确`, en: `code ${code} is well-formed` }];
}

function evaluateChoice(item, answer, errors) {
  const { key } = item;
  const choice = answer.choice;
  const opt = (item.options || []).find((o) => o.key === choice);
  if (choice === undefined || choice === null) {
    errors.push(err(key, "choice", "choice_missing", "未选择选项", "no option chosen"));
    return ["incomplete", { zh: "未选择", en: "no choice" }];
  }
  if (!opt) {
    errors.push(err(key, "choice", "invalid_choice", `无此选项：${choice}`, `unknown option: ${choice}`));
    return ["incomplete", { zh: "选项无效", en: "invalid option" }];
  }
  if (opt.noncompliant) return ["fail", { zh: `“${opt.label.zh}”不合规`, en: `'${opt.label.en}' is non-compliant` }];
  return ["pass", { zh: `“${opt.label.zh}”合规`, en: `'${opt.label.en}' is compliant` }];
}

function evaluateCount(item, answer, params, errors) {
  const { key } = item;
  const count = answer.count;
  if (!Number.isInteger(count) || count < 0) {
    errors.push(err(key, "count", "count_invalid", "数量须为非负整数", "count must be a non-negative integer"));
    return ["incomplete", { zh: "数量无效", en: "invalid count" }];
  }
  if (!item.limit) return ["pass", { zh: `记录数量 ${count}`, en: `count recorded: ${count}` }];
  const limit = resolveLimit(item.limit, params);
  if (limit === null || limit === undefined) {
    errors.push(err(key, "", "limit_not_configured", "该项限值须由辖区设定，尚未设定", "limit not configured"));
    return ["incomplete", { zh: "限值未设定", en: "limit not configured" }];
  }
  const cmp = item.limit.comparison;
  const ok = passes(count, cmp, limit);
  const sym = CMP_SYMBOL[cmp];
  return [ok ? "pass" : "fail", {
    zh: `数量 ${count} ${ok ? "满足" : "不满足"} ${sym} ${fmtG(limit)}（${item.limit.wording_zh}）`,
    en: `count ${count} ${ok ? "meets" : "fails"} ${sym} ${fmtG(limit)}`,
  }];
}

function evaluateCheck(item, answer, errors) {
  const v = answer.verdict;
  if (v === "na") {
    if (item.na_allowed) return ["pass", { zh: "现场不适用", en: "not applicable on site" }, true];
    errors.push(err(item.key, "verdict", "na_not_allowed", "本项不可选“不适用”", "this item cannot be answered 'not applicable'"));
    return ["incomplete", { zh: "不可选不适用", en: "'na' not allowed" }, false];
  }
  if (v === "pass" || v === "fail") {
    return [v, {
      zh: "检查员现场判定：" + (v === "pass" ? "合格" : "不合格"),
      en: "inspector's observation: " + (v === "pass" ? "compliant" : "non-compliant"),
    }, false];
  }
  errors.push(err(item.key, "verdict", "verdict_missing", "缺少检查结论", "verdict is missing"));
  return ["incomplete", { zh: "未作答", en: "not answered" }, false];
}

function evaluateText(item, answer, errors) {
  const text = answer.text;
  if (typeof text === "string" && text.trim()) return ["pass", { zh: "已记录", en: "recorded" }];
  if (item.required !== false) {
    errors.push(err(item.key, "text", "text_missing", "缺少文字记录", "text is missing"));
    return ["incomplete", { zh: "未填写", en: "empty" }];
  }
  return ["pass", { zh: "未填写（非必填）", en: "empty (optional)" }];
}

function isUuid(p) {
  // Python's uuid.UUID(str): optional urn:/uuid: prefix and braces, hyphens anywhere, 32 hex digits.
  const s = String(p).replace(/^urn:/, "").replace(/^uuid:/, "").replace(/^\{|\}$/g, "").replace(/-/g, "");
  return /^[0-9a-fA-F]{32}$/.test(s);
}

export function requiredPhotos(item, verdict) {
  const ev = item.evidence || {};
  if (ev.always || (verdict === "fail" && ev.photos_when_failed)) return Math.max(1, ev.min_photos ?? 1);
  return 0;
}

function checkPhotos(item, answer, verdict, errors) {
  const photos = answer.photos || [];
  if (!Array.isArray(photos)) {
    errors.push(err(item.key, "photos", "invalid_photos", "照片须为UUID列表", "photos must be a list of UUIDs"));
    return;
  }
  let valid = 0;
  for (const p of photos) {
    if (isUuid(p)) valid += 1;
    else errors.push(err(item.key, "photos", "invalid_uuid", `照片编号不是UUID：${p}`, `photo id is not a UUID: ${p}`));
  }
  const ev = item.evidence || {};
  const need = requiredPhotos(item, verdict);
  if (valid < need) {
    const whyZh = ev.always ? "本项须始终拍照" : "不合格项须附照片证据";
    const whyEn = ev.always ? "this item always needs photos" : "a failed item needs photo evidence";
    errors.push(err(item.key, "photos", "evidence_required", `${whyZh}：至少 ${need} 张，收到 ${valid} 张`, `${whyEn}: at least ${need}, got ${valid}`));
  }
}

/** evaluate_answer: {verdict, errors, explanation, not_applicable, value} for one item document and answer. */
export function evaluateAnswer(item, answer, params) {
  answer = answer || {};
  const errors = [];
  let value = null;
  let na = false;
  let verdict;
  let expl;
  if (typeof answer !== "object" || Array.isArray(answer)) {
    errors.push(err(item.key, "", "invalid_answer", "答案格式无效", "answer must be an object"));
    return { verdict: "incomplete", errors, explanation: { zh: "答案无效", en: "invalid answer" }, not_applicable: false, value: null };
  }
  switch (item.kind) {
    case "check": [verdict, expl, na] = evaluateCheck(item, answer, errors); break;
    case "measure": [verdict, expl, value] = evaluateMeasure(item, answer, params, errors); break;
    case "code": [verdict, expl] = evaluateCode(item, answer, params, errors); break;
    case "choice": [verdict, expl] = evaluateChoice(item, answer, errors); break;
    case "count": [verdict, expl] = evaluateCount(item, answer, params, errors); break;
    case "text": [verdict, expl] = evaluateText(item, answer, errors); break;
    default:
      errors.push(err(item.key, "", "unknown_kind", `未知检查项类型 ${item.kind}`, `unknown item kind ${item.kind}`));
      [verdict, expl] = ["incomplete", { zh: "类型未知", en: "unknown kind" }];
  }
  checkPhotos(item, answer, verdict, errors);
  return { verdict, errors, explanation: expl, not_applicable: na, value };
}

// ------------------------------------------------------------------------------------------ applicability

function pyTruthy(x) {
  // Python's bool(): empty lists, objects and strings, 0 and null are false.
  if (Array.isArray(x)) return x.length > 0;
  if (x && typeof x === "object") return Object.keys(x).length > 0;
  return Boolean(x);
}

function varsOf(cond, out = []) {
  if (Array.isArray(cond)) cond.forEach((c) => varsOf(c, out));
  else if (cond && typeof cond === "object") {
    for (const [op, args] of Object.entries(cond)) {
      if (op === "var") {
        const name = Array.isArray(args) ? args[0] : args;
        if (typeof name === "string") out.push(name);
      } else if (["some", "all", "none"].includes(op) && Array.isArray(args)) {
        varsOf(args[0], out); // the second argument reads the current element, not the context
      } else varsOf(args, out);
    }
  }
  return out;
}

/** The data a condition reads: the site's context (kind, attributes, zones, date, …) at an alert level, plus
 *  the checklist's effective parameters and, once the inspector has answered, the answers so far
 *  (``answers.<item>.<field>``). */
export function conditionData(context, params, alertLevel, answers) {
  const level = alertLevel || context.alert_level || "none";
  const data = { ...context, alert_level: level, alert_rank: Math.max(0, ALERT_LEVELS.indexOf(level)), params: params || {} };
  if (answers !== undefined) data.answers = conditionAnswers(answers);
  return data;
}

const SOURCE_REF = /^([0-9]{3})(?:#[0-9]+(?:\([0-9]+\))?|§\S+)$/;

/** Whether one of the item's sources has force at the site (its jurisdiction chain) on the inspection date: a
 *  plan clause in that plan's jurisdiction and period (the checklist's ``sources``), or a law article the item
 *  names in ``legal_basis``. A port of app/checklists/scope.py (item_scope, covering_parts). */
export function itemInScope(item, sources, context) {
  const seeds = Object.fromEntries((sources || []).map((s) => [s.seed, s]));
  const chain = context.jurisdictions || [];
  const on = context.date;
  const parts = [];
  for (const ref of item.source || []) {
    const m = SOURCE_REF.exec(ref);
    const seed = m ? seeds[m[1]] : undefined;
    if (!seed || !seed.jurisdiction) continue;
    const period = seed.period || {};
    parts.push({ where: [seed.jurisdiction], from: period.from ?? null, to: period.to ?? null });
  }
  for (const basis of item.legal_basis || []) {
    parts.push({ where: basis.jurisdictions === "all" ? null : basis.jurisdictions, from: basis.from, to: basis.to ?? null });
  }
  return parts.some(
    (p) => (p.where === null || p.where.some((j) => chain.includes(j)))
      && (p.from === null || on >= p.from) && (p.to === null || on <= p.to),
  );
}

/** Whether an item applies: no condition; a needed jurisdiction parameter unset (listed as applicable, as the
 *  server does); a condition on answers while no answers are given (listed, as the server serves it); or its
 *  JSON Logic condition is true. */
export function itemApplies(item, data) {
  const cond = item.applies_when;
  if (cond === undefined || cond === null || cond === true) return true;
  const names = varsOf(cond);
  const unset = names.filter((n) => n.startsWith("params.") && (data.params[n.slice(7)] ?? null) === null);
  if (unset.length) return true;
  if (data.answers === undefined && names.some((n) => n.startsWith("answers."))) return true;
  return pyTruthy(globalThis.jsonLogic.apply(cond, data));
}

// ------------------------------------------------------------------------------------------ repeatable groups
// A port of app/checklists/groups.py: a group's items are answered once per object under `<group>.<index>.<item>`;
// a group item's condition reads its own object's answers as `object.<item>.<field>`.

const OBJECT_KEY = /^([a-z][a-z0-9_]*)\.(0|[1-9][0-9]{0,3})\.([a-z][a-z0-9_]*)$/;

/** {group, index, item} for an object's answer key, or null for a checklist's own item. */
export function splitKey(key) {
  const m = OBJECT_KEY.exec(key);
  return m ? { group: m[1], index: Number(m[2]), item: m[3] } : null;
}

export function objectKey(group, index, item) {
  return `${group}.${index}.${item}`;
}

/** The objects of a group: one past the highest index answered (or `known`, the objects added on the phone
 *  before any answer), at least `min`, never more than `max`. */
export function objectCount(group, answerKeys, known = 0) {
  const indices = answerKeys.map(splitKey).filter((k) => k && k.group === group.key).map((k) => k.index);
  const n = Math.max(group.min || 0, indices.length ? Math.max(...indices) + 1 : 0, known || 0);
  return group.max !== undefined && group.max !== null ? Math.min(n, group.max) : n;
}

function rewrite(cond, group, index) {
  if (Array.isArray(cond)) return cond.map((c) => rewrite(c, group, index));
  if (!cond || typeof cond !== "object") return cond;
  const out = {};
  for (const [op, args] of Object.entries(cond)) {
    if (op === "var") {
      const name = Array.isArray(args) ? args[0] : args;
      if (typeof name === "string" && name.startsWith("object.")) {
        const renamed = `answers.${group}.${index}.${name.slice(7)}`;
        out[op] = Array.isArray(args) ? [renamed, ...args.slice(1)] : renamed;
        continue;
      }
      out[op] = args;
    } else if (["some", "all", "none"].includes(op) && Array.isArray(args) && args.length === 2) {
      out[op] = [rewrite(args[0], group, index), args[1]];
    } else out[op] = rewrite(args, group, index);
  }
  return out;
}

/** One group item as it applies to the object at `index` (groups.object_item). */
export function objectItem(group, item, index) {
  const out = JSON.parse(JSON.stringify(item));
  out.key = objectKey(group.key, index, item.key);
  out.object = { group: group.key, index, item: item.key, title: group.title };
  if (group.object_name) out.object.object_name = group.object_name;
  if (group.section && !item.section) out.section = group.section;
  if (item.applies_when !== undefined && item.applies_when !== null) out.applies_when = rewrite(item.applies_when, group.key, index);
  return out;
}

/** The checklist with each group's items repeated per object (groups.expand_checklist); `known`: objects per
 *  group added on the phone ({group key: n}). */
export function expandChecklist(doc, answerKeys = [], known = {}) {
  const groups = doc.groups || [];
  if (!groups.length) return { ...doc };
  const items = [...(doc.items || [])];
  for (const group of groups) {
    const n = objectCount(group, answerKeys, known[group.key]);
    for (let i = 0; i < n; i += 1) for (const item of group.items || []) items.push(objectItem(group, item, i));
  }
  return { ...doc, items };
}

/** Answers as conditions read them: flat, and each object's also nested as answers[group][index][item]. */
export function conditionAnswers(answers) {
  const out = { ...answers };
  for (const [key, answer] of Object.entries(answers || {})) {
    const ref = splitKey(key);
    if (!ref) continue;
    if (!out[ref.group] || typeof out[ref.group] !== "object") out[ref.group] = {};
    out[ref.group][String(ref.index)] = { ...(out[ref.group][String(ref.index)] || {}), [ref.item]: answer };
  }
  return out;
}

/** The label the inspector gave an object (its group's label_item answer), or null (groups.object_label). */
export function objectLabel(doc, answers, groupKey, index) {
  const group = (doc.groups || []).find((g) => g.key === groupKey);
  if (!group || !group.label_item) return null;
  const a = (answers || {})[objectKey(groupKey, index, group.label_item)] || {};
  for (const name of ["text", "code"]) if (typeof a[name] === "string" && a[name].trim()) return a[name].trim().slice(0, 100);
  return null;
}

/** group_min / group_max / group_object_missing, as the server reports them at submission (groups.group_errors). */
export function groupErrors(doc, answerKeys) {
  const errors = [];
  // Answers only to items a group has (the server's unknown_item, app/checklists/groups.py).
  const groups = new Map((doc.groups || []).map((g) => [g.key, g]));
  for (const key of answerKeys) {
    const ref = splitKey(key);
    if (!ref) continue;
    const group = groups.get(ref.group);
    if (!group || !(group.items || []).some((i) => i.key === ref.item)) {
      errors.push({ path: `answers.${key}`, code: "unknown_item", message_zh: `检查表中没有此检查项：${key}`, message_en: `the checklist has no item ${key}` });
    }
  }
  for (const group of doc.groups || []) {
    const indices = [...new Set(answerKeys.map(splitKey).filter((k) => k && k.group === group.key).map((k) => k.index))].sort((a, b) => a - b);
    const n = indices.length ? indices[indices.length - 1] + 1 : 0;
    const low = group.min || 0;
    const t = group.title;
    if (n < low) errors.push({ path: `answers.${group.key}`, code: "group_min", message_zh: `“${t.zh}”至少须检查 ${low} 个对象，收到 ${n} 个`, message_en: `'${t.en}' needs at least ${low} object(s), got ${n}` });
    if (group.max !== undefined && group.max !== null && n > group.max) errors.push({ path: `answers.${group.key}`, code: "group_max", message_zh: `“${t.zh}”至多 ${group.max} 个对象，收到 ${n} 个`, message_en: `'${t.en}' allows at most ${group.max} object(s), got ${n}` });
    for (let i = 0; i < n; i += 1) {
      if (!indices.includes(i)) errors.push({ path: `answers.${group.key}.${i}`, code: "group_object_missing", message_zh: `“${t.zh}”第 ${i + 1} 个对象没有任何回答（对象须从 0 起连续编号）`, message_en: `'${t.en}' object ${i} has no answers (objects are numbered from 0 without gaps)` });
    }
  }
  return errors;
}
