// 后台任务 (admins): the job queue (GET /api/v1/jobs): state, task, attempts, the last error, when created and
// finished, newest first, filtered by state and task, "load more" by the id cursor; retry a failed job or
// cancel a queued one, each with a reason (audited). Jobs outside the admin's jurisdictions are not listed.
import { api, get } from "../api.js";
import { clear, formatTime, h } from "../dom.js";
import { t } from "../i18n.js";
import { problemText } from "./inspection.js";

const STATES = {
  "": ["全部", "All"],
  todo: ["排队中", "Queued"],
  doing: ["执行中", "Running"],
  failed: ["失败", "Failed"],
  succeeded: ["成功", "Succeeded"],
  cancelled: ["已取消", "Cancelled"],
  aborted: ["已中止", "Aborted"],
};
const TASKS = {
  make_derivatives: ["照片缩略图", "Photo derivatives"],
  render_document: ["文书生成", "Document rendering"],
  expire_stale_partials: ["清理过期上传", "Expire stale uploads"],
  retry_stalled_jobs: ["恢复中断任务", "Retry stalled jobs"],
  refresh_statistics: ["刷新统计", "Refresh statistics"],
  refresh_map_layers: ["刷新地图汇总", "Refresh map rollup"],
};

function stateName(status) {
  return STATES[status] ? t(...STATES[status]) : status;
}

export async function render(main, { banner }) {
  const status = h("select", { id: "jobs-status", name: "status" }, Object.entries(STATES).map(([v, names]) => h("option", { value: v }, t(...names))));
  const task = h("select", { id: "jobs-task", name: "task" }, h("option", { value: "" }, t("全部任务", "All tasks")), Object.entries(TASKS).map(([v, names]) => h("option", { value: v }, `${t(...names)} (${v})`)));
  const body = h("tbody", {});
  const more = h("button", { type: "button", id: "jobs-more", hidden: true }, t("加载更多", "Load more"));
  let next = null;
  let loading = 0;

  function actionForm(job, action, label) {
    const reason = h("input", { name: "reason", required: true, maxlength: 2000, placeholder: t("理由（必填）", "Reason (required)") });
    const form = h("form", { class: "inline-form job-action", dataset: { action } }, reason, h("button", { type: "submit", class: action === "cancel" ? "danger" : "primary" }, label));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const { body: updated } = await api(`/api/v1/jobs/${job.id}/${action}`, { method: "POST", body: { reason: reason.value.trim() } });
        banner(`${t("任务", "Job")} ${job.id}: ${stateName(updated.status)} ✓`, "ok");
        await reload();
      } catch (exc) {
        banner(problemText(exc), "error");
        if (exc.status === 409 || exc.status === 404) await reload(); // its state moved on: show the current one
      }
    });
    return form;
  }

  function row(job) {
    return h(
      "tr",
      { dataset: { job: String(job.id), status: job.status, task: job.task_name } },
      h("td", {}, String(job.id)),
      h("td", {}, TASKS[job.task_name] ? t(...TASKS[job.task_name]) : job.task_name, h("div", { class: "job-args" }, JSON.stringify(job.args))),
      h("td", {}, h("span", { class: `job-status status-${job.status}` }, stateName(job.status)), job.progress !== null && job.progress !== undefined ? h("div", { class: "meta" }, `${Math.round(job.progress * 100)}%`) : null),
      h("td", { class: "job-attempts" }, String(job.attempts)),
      h("td", {}, job.last_error ? h("div", { class: "job-error" }, job.last_error) : "—", job.error_count > 1 ? h("div", { class: "meta" }, t(`共 ${job.error_count} 次失败`, `${job.error_count} failed attempts`)) : null),
      h("td", {}, formatTime(job.created_at), h("div", { class: "meta" }, job.finished_at ? `${t("结束", "ended")} ${formatTime(job.finished_at)}` : job.scheduled_at ? `${t("计划", "due")} ${formatTime(job.scheduled_at)}` : "")),
      h("td", {}, job.status === "failed" ? actionForm(job, "retry", t("重试", "Retry")) : job.status === "todo" ? actionForm(job, "cancel", t("取消", "Cancel")) : null),
    );
  }

  async function fetchPage(before) {
    const query = { limit: 50 };
    if (status.value) query.status = status.value;
    if (task.value) query.task = task.value;
    if (before) query.before_id = before;
    return get("/api/v1/jobs", query);
  }

  async function reload() {
    const mine = ++loading;
    let page;
    try {
      page = await fetchPage(null);
    } catch (exc) {
      banner(problemText(exc), "error");
      return;
    }
    if (mine !== loading) return;
    clear(body).append(...(page.items.length ? page.items.map(row) : [h("tr", {}, h("td", { colspan: 7, class: "empty" }, t("没有任务。", "No job.")))]));
    next = page.next_before_id;
    more.hidden = !next;
  }

  more.addEventListener("click", async () => {
    try {
      const page = await fetchPage(next);
      body.append(...page.items.map(row));
      next = page.next_before_id;
      more.hidden = !next;
    } catch (exc) {
      banner(problemText(exc), "error");
    }
  });
  status.addEventListener("change", reload);
  task.addEventListener("change", reload);

  main.append(
    h(
      "section",
      { class: "page admin-page", id: "admin-jobs" },
      h("p", {}, h("a", { href: "#/admin" }, "← ", t("管理", "Admin")), " · ", h("a", { href: "#/admin/parameters" }, t("检查表参数", "Checklist parameters"))),
      h("h1", {}, t("后台任务", "Background jobs")),
      h(
        "section",
        { class: "card" },
        h(
          "div",
          { class: "filters" },
          h("label", { class: "field" }, h("span", {}, t("状态", "State")), status),
          h("label", { class: "field" }, h("span", {}, t("任务", "Task")), task),
          h("button", { type: "button", id: "jobs-refresh", onclick: reload }, t("刷新", "Refresh")),
        ),
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table", id: "jobs-table" },
            h("thead", {}, h("tr", {}, ["#", t("任务", "Task"), t("状态", "State"), t("尝试", "Attempts"), t("错误", "Error"), t("创建", "Created"), ""].map((c) => h("th", {}, c)))),
            body,
          ),
        ),
        more,
      ),
    ),
  );
  await reload();
  return null;
}
