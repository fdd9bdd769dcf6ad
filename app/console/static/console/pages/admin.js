// Administration over the endpoints that exist: users (create, disable/enable, reset password), a
// jurisdiction's penalty settings (policy; amounts "to be set by the jurisdiction", each with the document
// that sets it), the two-person rule, and the GeoJSON import with its per-feature errors. Checklist parameters
// and jobs have pages of their own (pages/admin_parameters.js, pages/admin_jobs.js), linked from here.
import { api, ApiError, get } from "../api.js";
import { clear, h, yuan } from "../dom.js";
import { pick, t } from "../i18n.js";

const ROLES = ["inspector", "supervisor", "admin"];
const ROLE_NAMES = { inspector: ["检查员", "Inspector"], supervisor: ["审核员", "Supervisor"], admin: ["管理员", "Admin"] };

function problemText(exc) {
  if (!(exc instanceof ApiError)) return String(exc);
  return pick(exc.problem, "message_zh", "message_en") || exc.message;
}

function problemList(exc) {
  const errors = exc instanceof ApiError ? exc.problem.errors || [] : [];
  return h("ul", { class: "errors" }, errors.map((e) => h("li", {}, h("code", {}, e.path || e.field || ""), " ", pick(e, "message_zh", "message_en"))));
}

export async function render(main, { banner }) {
  const jurisdictions = await get("/api/v1/jurisdictions");
  const jurisdictionOptions = (selected) =>
    jurisdictions.map((j) => h("option", { value: j.code, selected: j.code === selected }, `${j.name_zh} (${j.code})`));

  // ---------------------------------------------------------------- users
  const usersBody = h("tbody", {});
  async function loadUsers() {
    const users = await get("/api/v1/users");
    clear(usersBody);
    for (const u of users) {
      const reset = h("form", { class: "inline-form", hidden: true }, h("input", { name: "password", type: "password", minlength: 10, required: true, placeholder: t("新密码（至少10位）", "New password (10+)"), autocomplete: "new-password" }), h("button", { type: "submit" }, t("保存", "Save")));
      reset.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await api(`/api/v1/users/${u.id}`, { method: "PATCH", body: { password: new FormData(reset).get("password") } });
          banner(t("密码已重置", "Password reset") + ` (${u.username}) ✓`, "ok");
          reset.hidden = true;
        } catch (exc) {
          banner(problemText(exc), "error");
        }
      });
      usersBody.append(
        h(
          "tr",
          { dataset: { user: u.username } },
          h("td", {}, u.username),
          h("td", {}, u.display_name || ""),
          h("td", {}, t(...ROLE_NAMES[u.role])),
          h("td", {}, u.jurisdictions.map((j) => j.name_zh).join("、")),
          h("td", { class: "status" }, u.is_active ? t("启用", "Active") : t("停用", "Disabled")),
          h(
            "td",
            {},
            h("button", {
              type: "button",
              class: "toggle-active",
              onclick: async () => {
                try {
                  await api(`/api/v1/users/${u.id}`, { method: "PATCH", body: { is_active: !u.is_active } });
                  await loadUsers();
                } catch (exc) {
                  banner(problemText(exc), "error");
                }
              },
            }, u.is_active ? t("停用", "Disable") : t("启用", "Enable")),
            h("button", { type: "button", onclick: () => { reset.hidden = !reset.hidden; } }, t("重置密码", "Reset password")),
            reset,
          ),
        ),
      );
    }
  }
  const createForm = h(
    "form",
    { class: "filters", id: "create-user" },
    h("label", { class: "field" }, h("span", {}, t("用户名", "Username")), h("input", { name: "username", required: true, minlength: 3 })),
    h("label", { class: "field" }, h("span", {}, t("姓名", "Name")), h("input", { name: "display_name" })),
    h("label", { class: "field" }, h("span", {}, t("初始密码", "Initial password")), h("input", { name: "password", type: "password", required: true, minlength: 10, autocomplete: "new-password" })),
    h("label", { class: "field" }, h("span", {}, t("角色", "Role")), h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r }, t(...ROLE_NAMES[r]))))),
    h("label", { class: "field" }, h("span", {}, t("辖区", "Jurisdiction")), h("select", { name: "jurisdiction" }, jurisdictionOptions())),
    h("button", { type: "submit", class: "primary" }, t("创建用户", "Create user")),
  );
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(createForm);
    const body = { username: f.get("username"), password: f.get("password"), role: f.get("role"), jurisdictions: [f.get("jurisdiction")] };
    if (f.get("display_name")) body.display_name = f.get("display_name");
    try {
      await api("/api/v1/users", { method: "POST", body });
      createForm.reset();
      banner(t("用户已创建", "User created") + " ✓", "ok");
      await loadUsers();
    } catch (exc) {
      banner(problemText(exc), "error");
    }
  });

  // ---------------------------------------------------------------- penalty settings
  const settingsCode = h("select", { id: "settings-jurisdiction" }, jurisdictionOptions(jurisdictions[0]?.code));
  const settingsBox = h("div", { id: "penalty-settings" });
  let loading = 0;
  async function loadSettings() {
    const code = settingsCode.value;
    const mine = ++loading; // a later choice of jurisdiction wins over an earlier answer still on its way
    let settings;
    let rules;
    let review = null;
    try {
      [settings, rules, review] = await Promise.all([
        get(`/api/v1/penalties/settings/${code}`),
        get("/api/v1/penalties/rules", { jurisdiction: code }),
        get(`/api/v1/inspections/review-settings/${code}`).catch(() => null),
      ]);
    } catch (exc) {
      if (mine === loading) clear(settingsBox).append(h("p", { class: "error" }, problemText(exc)));
      return;
    }
    if (mine !== loading) return;
    clear(settingsBox);
    settingsBox.dataset.code = code; // which jurisdiction the forms below belong to
    const own = () => ({
      policy: { ...settings.policy },
      discretion: { ...settings.discretion },
      amounts: Object.fromEntries(
        Object.entries(settings.amounts).map(([k, a]) => [k, Object.fromEntries(["rule_version", "amount_fen", "min_fen", "max_fen", "document_ref"].filter((f) => a[f] !== null && a[f] !== undefined).map((f) => [f, a[f]]))]),
      ),
    });
    async function put(body) {
      try {
        await api(`/api/v1/penalties/settings/${code}`, { method: "PUT", body });
        banner(t("设置已保存", "Settings saved") + " ✓", "ok");
        await loadSettings();
      } catch (exc) {
        banner(problemText(exc), "error");
        settingsBox.append(problemList(exc));
      }
    }
    // Policy: each setting and its options (the rules in force define them).
    const policyRows = Object.entries(settings.options.policy || {}).map(([setting, options]) => {
      const sel = h("select", { name: setting }, options.map((o) => h("option", { value: o, selected: settings.effective.policy[setting] === o }, o)));
      sel.addEventListener("change", () => put({ ...own(), policy: { ...own().policy, [setting]: sel.value } }));
      return h("li", {}, h("code", {}, setting), " ", sel, settings.policy[setting] ? "" : ` (${t("继承/默认", "inherited/default")})`);
    });
    // Amounts to be set: each with its document reference.
    const toBeSet = rules.filter((r) => r.amount_status === "to_be_set" || r.amount_status === "set_by_jurisdiction");
    const amountRows = toBeSet.map((rule) => {
      const current = rule.amount_setting;
      const form = h(
        "form",
        { class: "amount-form", dataset: { rule: rule.key } },
        h("input", { name: "amount", type: "number", min: "0.01", step: "0.01", placeholder: t("金额（元）", "Amount (¥)"), value: current?.amount_fen ? current.amount_fen / 100 : "" }),
        h("span", {}, t("或幅度", "or range")),
        h("input", { name: "min", type: "number", min: "0.01", step: "0.01", placeholder: t("最低（元）", "Min (¥)"), value: current?.min_fen ? current.min_fen / 100 : "" }),
        h("input", { name: "max", type: "number", min: "0.01", step: "0.01", placeholder: t("最高（元）", "Max (¥)"), value: current?.max_fen ? current.max_fen / 100 : "" }),
        h("input", { name: "document_ref", required: true, placeholder: t("依据文件（文号）", "Document reference"), value: current?.document_ref || "" }),
        h("button", { type: "submit" }, t("设定", "Set")),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const f = new FormData(form);
        const fen = (name) => (f.get(name) ? Math.round(Number(f.get(name)) * 100) : null);
        const entry = { rule_version: rule.version, document_ref: f.get("document_ref") };
        if (fen("amount")) entry.amount_fen = fen("amount");
        else {
          entry.min_fen = fen("min");
          entry.max_fen = fen("max");
        }
        const body = own();
        body.amounts[rule.key] = entry;
        put(body);
      });
      return h(
        "li",
        { class: rule.amount_status === "to_be_set" ? "to-be-set" : "set" },
        h("strong", {}, pick(rule.title) || rule.key),
        " ",
        h("code", {}, `${rule.key}@${rule.version}`),
        h("div", { class: "meta" }, rule.amount_status === "to_be_set" ? t("待本辖区设定：未设定前不能出具文书", "To be set by the jurisdiction: blocks issuing until set") : `${t("已设定", "Set")}: ${current?.amount_fen ? yuan(current.amount_fen) : `${yuan(current?.min_fen)}–${yuan(current?.max_fen)}`} · ${current?.document_ref || ""}`),
        form,
      );
    });
    settingsBox.append(
      h("h3", {}, t("处罚政策", "Penalty policy")),
      policyRows.length ? h("ul", { class: "plain" }, policyRows) : h("p", { class: "meta" }, t("无可选政策。", "No policy to choose.")),
      h("h3", {}, t("待设定金额", "Amounts to be set")),
      amountRows.length ? h("ul", { class: "plain amounts" }, amountRows) : h("p", { class: "meta" }, t("无待设定金额。", "No amount to set.")),
    );
    // The two-person rule (查审分离) and its waiver.
    if (review) {
      const reason = h("input", { name: "reason", placeholder: t("理由（必填）", "Reason (required)"), required: true });
      const on = review.effective.two_person_rule;
      const form = h("form", { class: "inline-form" }, reason, h("button", { type: "submit" }, on ? t("豁免查审分离", "Waive the two-person rule") : t("恢复查审分离", "Restore the two-person rule")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await api(`/api/v1/inspections/review-settings/${code}`, { method: "PUT", body: { two_person_rule: !on, reason: reason.value } });
          await loadSettings();
        } catch (exc) {
          banner(problemText(exc), "error");
        }
      });
      settingsBox.append(h("h3", {}, t("查审分离", "Two-person rule")), h("p", {}, on ? t("适用", "Applies") : t("已豁免", "Waived"), ` (${review.effective.source || ""})`), form);
    }
  }
  settingsCode.addEventListener("change", loadSettings);

  // ---------------------------------------------------------------- geo import
  const geoResult = h("div", { id: "geo-result" });
  const geoForm = h(
    "form",
    { class: "filters", id: "geo-import" },
    h("label", { class: "field" }, h("span", {}, t("导入为", "Import as")), h("select", { name: "as" }, h("option", { value: "jurisdictions" }, t("行政区划边界", "Jurisdiction boundaries")), h("option", { value: "zones" }, t("管控区域", "Zones")))),
    h("label", { class: "field" }, h("span", {}, t("坐标系", "CRS")), h("select", { name: "crs" }, ["wgs84", "gcj02", "bd09"].map((c) => h("option", { value: c }, c)))),
    h("label", { class: "field" }, h("span", {}, "GeoJSON"), h("input", { name: "file", type: "file", accept: ".geojson,.json,application/geo+json,application/json", required: true })),
    h("button", { type: "submit", class: "primary" }, t("导入", "Import")),
  );
  geoForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(geoForm);
    clear(geoResult);
    try {
      const { body } = await api(`/api/v1/geo/import?as=${encodeURIComponent(f.get("as"))}&crs=${encodeURIComponent(f.get("crs"))}`, {
        method: "POST",
        body: new Blob([await f.get("file").arrayBuffer()], { type: "application/geo+json" }),
        headers: { "Content-Type": "application/geo+json" },
      });
      geoResult.append(h("pre", { class: "result" }, JSON.stringify(body, null, 2)));
    } catch (exc) {
      geoResult.append(h("p", { class: "error" }, problemText(exc)), problemList(exc));
    }
  });

  main.append(
    h(
      "section",
      { class: "page admin-page" },
      h("h1", {}, t("管理", "Admin")),
      h("section", { class: "card", id: "users" }, h("h2", {}, t("用户", "Users")), h("table", { class: "table" }, h("thead", {}, h("tr", {}, [t("用户名", "Username"), t("姓名", "Name"), t("角色", "Role"), t("辖区", "Jurisdictions"), t("状态", "Status"), ""].map((c) => h("th", {}, c)))), usersBody), h("h3", {}, t("新建用户", "New user")), createForm),
      h("section", { class: "card", id: "settings" }, h("h2", {}, t("辖区设置", "Jurisdiction settings")), h("label", {}, t("辖区", "Jurisdiction"), " ", settingsCode), settingsBox),
      h("section", { class: "card" }, h("h2", {}, t("边界与区域导入", "Boundary and zone import")), geoForm, geoResult),
      h(
        "section",
        { class: "card" },
        h("h2", {}, t("检查表参数与后台任务", "Checklist parameters and jobs")),
        h("p", {}, h("a", { href: "#/admin/parameters", id: "link-parameters" }, t("检查表参数", "Checklist parameters")), " · ", h("a", { href: "#/admin/jobs", id: "link-jobs" }, t("后台任务", "Background jobs"))),
      ),
    ),
  );
  await Promise.all([loadUsers().catch((exc) => banner(problemText(exc), "error")), loadSettings()]);
  return null;
}
