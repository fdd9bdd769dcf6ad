// 检查表参数 (admins): the values no plan fixes, per jurisdiction (GET /api/v1/checklist-parameters/{code}),
// each with its declaration (description, type, unit, source clause), the value set here, the one inherited
// from above and the checklist's default, and which applies. Setting one (PUT …/{code}/{checklist}/{name})
// needs a reason (audited); the API's checks are the CLI's, and its field errors are shown beside the form.
import { api, ApiError, get } from "../api.js";
import { clear, h } from "../dom.js";
import { pick, t } from "../i18n.js";
import { problemText } from "./inspection.js";

const SOURCES = {
  jurisdiction: ["本辖区设定", "Set here"],
  inherited: ["继承上级", "Inherited"],
  default: ["检查表默认", "Checklist default"],
  unset: ["未设定", "Unset"],
};

function show(value) {
  return value === null || value === undefined ? "—" : String(value);
}

export async function render(main, { banner }) {
  const jurisdictions = await get("/api/v1/jurisdictions");
  const select = h(
    "select",
    { id: "params-jurisdiction" },
    jurisdictions.map((j) => h("option", { value: j.code, selected: j.code === "410811" }, `${j.name_zh} (${j.code})`)),
  );
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "table", id: "params-table" },
    h("thead", {}, h("tr", {}, [t("检查表", "Checklist"), t("参数", "Parameter"), t("当前值", "In force"), t("来源", "Source"), t("默认", "Default"), t("设定", "Set")].map((c) => h("th", {}, c)))),
    body,
  );
  let loading = 0;

  function row(p, code) {
    const value = h("input", { name: "value", type: p.type === "number" ? "number" : "text", step: "any", required: true, value: p.own ?? "", placeholder: p.unit || t("值", "Value") });
    const reason = h("input", { name: "reason", required: true, maxlength: 2000, placeholder: t("理由及依据文件（必填）", "Reason and document (required)") });
    const errors = h("ul", { class: "errors param-errors" });
    // Clearing this jurisdiction's own value (null) brings back the one above it, or the checklist's default.
    const clearButton = p.own !== null && p.own !== undefined
      ? h("button", { type: "button", class: "param-clear", onclick: () => (reason.reportValidity() ? send(null) : null) }, t("清除本级设定", "Clear"))
      : null;
    const form = h("form", { class: "param-form" }, value, reason, h("button", { type: "submit" }, t("保存", "Save")), clearButton, errors);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      // A number parameter is sent as a number; a string one as typed (the API refuses the wrong type).
      send(p.type === "number" && value.value.trim() !== "" && !Number.isNaN(Number(value.value)) ? Number(value.value) : value.value);
    });
    async function send(sent) {
      clear(errors);
      try {
        await api(`/api/v1/checklist-parameters/${code}/${encodeURIComponent(p.checklist_key)}/${encodeURIComponent(p.name)}`, { method: "PUT", body: { value: sent, reason: reason.value.trim() } });
        banner((sent === null ? t("本级设定已清除", "Own value cleared") : t("参数已保存", "Parameter saved")) + ` (${p.name}) ✓`, "ok");
        await load();
      } catch (exc) {
        banner(problemText(exc), "error");
        for (const e of (exc instanceof ApiError && exc.problem.errors) || []) errors.append(h("li", { dataset: { path: e.path || "", code: e.code || "" } }, h("code", {}, e.path || ""), " ", pick(e, "message_zh", "message_en")));
      }
    }
    return h(
      "tr",
      { dataset: { key: p.checklist_key, name: p.name, source: p.source } },
      h("td", {}, pick(p.checklist_title) || p.checklist_key, h("div", { class: "meta" }, `${p.checklist_key} v${p.checklist_version}`)),
      h("td", {}, h("code", {}, p.name), h("div", { class: "meta" }, pick(p.description)), h("div", { class: "meta" }, `${t("依据", "Source")}: ${(p.sources || []).join("、") || "—"} · ${p.type || ""}${p.unit ? ` (${p.unit})` : ""}`)),
      h("td", { class: "param-effective" }, show(p.effective), p.unit && p.effective !== null ? ` ${p.unit}` : ""),
      h("td", {}, h("span", { class: `param-source source-${p.source}` }, t(...(SOURCES[p.source] || [p.source, p.source]))), p.inherited_from ? h("div", { class: "meta" }, `${t("上级", "from")} ${p.inherited_from}: ${show(p.inherited)}`) : null, p.updated_at ? h("div", { class: "meta" }, p.updated_at.slice(0, 19).replace("T", " ")) : null),
      h("td", {}, show(p.default)),
      h("td", {}, form),
    );
  }

  async function load() {
    const code = select.value;
    const mine = ++loading; // a later choice of jurisdiction wins over an answer still on its way
    let listed;
    try {
      listed = await get(`/api/v1/checklist-parameters/${code}`);
    } catch (exc) {
      if (mine === loading) clear(body).append(h("tr", {}, h("td", { colspan: 6, class: "error" }, problemText(exc))));
      return;
    }
    if (mine !== loading) return;
    table.dataset.code = code;
    clear(body).append(...(listed.items.length ? listed.items.map((p) => row(p, code)) : [h("tr", {}, h("td", { colspan: 6, class: "empty" }, t("没有可设定的参数。", "No parameter to set.")))]));
  }
  select.addEventListener("change", load);

  main.append(
    h(
      "section",
      { class: "page admin-page", id: "admin-parameters" },
      h("p", {}, h("a", { href: "#/admin" }, "← ", t("管理", "Admin")), " · ", h("a", { href: "#/admin/jobs" }, t("后台任务", "Jobs"))),
      h("h1", {}, t("检查表参数", "Checklist parameters")),
      h("p", { class: "meta" }, t("方案未规定、由辖区设定的数值（如须在线监测的最小建筑面积）。下级辖区的设定优先于上级。", "Values no plan fixes, set by the jurisdiction (e.g. the floor area from which online monitoring is required). A lower jurisdiction's value wins over its parent's.")),
      h("section", { class: "card" }, h("label", {}, t("辖区", "Jurisdiction"), " ", select), h("div", { class: "table-wrap" }, table)),
    ),
  );
  await load();
  return null;
}
