// The supervisors' cases: newest first, filtered by stage (GET /api/v1/cases?stage=), each opening its page;
// further pages on demand (next_cursor).
import { get } from "../api.js";
import { clear, formatTime, h } from "../dom.js";
import { t } from "../i18n.js";
import { problemText } from "./inspection.js";

export const STAGE_NAMES = {
  filing: ["立案", "Filing"],
  investigation: ["调查取证", "Investigation"],
  notice: ["告知", "Advance notice"],
  decision: ["决定", "Decision"],
  execution: ["执行", "Execution"],
  closed: ["结案", "Closed"],
};

export function stageName(stage) {
  const names = STAGE_NAMES[stage];
  return names ? t(names[0], names[1]) : stage;
}

const FILTER_KEY = "lantian.console.cases.stage";

export async function render(main, { banner }) {
  const list = h("ol", { class: "queue", id: "case-list" });
  const chips = h("div", { class: "state-filter", id: "stage-filter" });
  let stage = sessionStorage.getItem(FILTER_KEY) || "";

  function paintChips() {
    clear(chips);
    for (const [value, label] of [["", t("全部", "All")], ...Object.keys(STAGE_NAMES).map((s) => [s, stageName(s)])]) {
      chips.append(
        h(
          "button",
          {
            type: "button",
            class: value === stage ? "chip on" : "chip",
            dataset: { stage: value || "all" },
            onclick: () => {
              stage = value;
              sessionStorage.setItem(FILTER_KEY, stage);
              load();
            },
          },
          label,
        ),
      );
    }
  }

  const more = h("button", { type: "button", id: "case-more", hidden: true }, t("加载更多", "Load more"));
  let nextCursor = null;

  function paint(items) {
    for (const c of items) {
      list.append(
        h(
          "li",
          { class: "queue-item case-item", dataset: { id: String(c.id), stage: c.stage }, onclick: () => (location.hash = `#/cases/${c.id}`) },
          h("div", { class: `stage-badge stage-${c.stage}` }, stageName(c.stage)),
          h(
            "div",
            {},
            h("a", { class: "site", href: `#/cases/${c.id}` }, `#${c.id} · ${c.party?.name || "—"}`),
            h("div", { class: "meta" }, `${c.site.name} · ${c.site.address || ""} · ${t("立案于", "opened")} ${formatTime(c.opened_at)}`),
          ),
        ),
      );
    }
  }

  async function fetchPage(cursor) {
    const query = {};
    if (stage) query.stage = stage;
    if (cursor) query.cursor = cursor;
    try {
      return await get("/api/v1/cases", Object.keys(query).length ? query : undefined);
    } catch (exc) {
      banner(problemText(exc), "error");
      return null;
    }
  }

  async function load() {
    paintChips();
    const body = await fetchPage(null);
    if (!body) return;
    clear(list);
    nextCursor = body.next_cursor;
    more.hidden = !nextCursor;
    if (!body.items.length) {
      list.append(h("li", { class: "empty" }, t("没有案件。", "No cases.")));
      return;
    }
    paint(body.items);
  }

  more.onclick = async () => {
    more.disabled = true;
    const body = await fetchPage(nextCursor);
    more.disabled = false;
    if (!body) return;
    nextCursor = body.next_cursor;
    more.hidden = !nextCursor;
    paint(body.items);
  };

  main.append(h("section", { class: "page" }, h("h1", {}, t("案件", "Cases")), chips, list, more));
  await load();
  return null;
}
