// Sites, inspections and findings over jurisdiction boundaries and zones. Inspections are drawn at their site
// (the queue answers site ids, the sites answer geometry), coloured by the highest risk score; a click opens
// the list and each row opens the inspection.
/* global L */
import { ApiError, get } from "../api.js";
import { h, formatTime, yuan } from "../dom.js";
import { pick, STATE_NAMES, stateName, t } from "../i18n.js";
import { addBoundaries, fitTo, layerCrs, makeMap } from "../mapview.js";

async function allPages(path, query, maxPages = 10) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i += 1) {
    const page = await get(path, { ...query, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

function colour(score, hasFailed) {
  if (score >= 30) return "#b91c1c";
  if (score > 0 || hasFailed) return "#d97706";
  return "#15803d";
}

export async function render(main, { banner }) {
  const filters = { state: ["submitted", "returned", "approved", "rejected"], has_failed: "" };
  const mapEl = h("div", { class: "map large", id: "overview-map" });
  const chips = h("div", { class: "state-filter" });
  const failedOnly = h("input", { type: "checkbox", id: "failed-only" });
  const summary = h("p", { class: "meta", id: "map-summary" });
  main.append(
    h(
      "section",
      { class: "page map-page" },
      h("h1", {}, t("地图", "Map")),
      h("div", { class: "filters inline" }, chips, h("label", {}, failedOnly, " ", t("只看有问题的检查", "Only inspections with findings"))),
      mapEl,
      summary,
    ),
  );
  const map = makeMap(mapEl);
  let siteLayer = null;
  let sites = [];
  try {
    const [{ boundaries }, siteList] = await Promise.all([
      addBoundaries(map),
      allPages("/api/v1/sites", { limit: 200, crs: layerCrs() }),
    ]);
    sites = siteList;
    fitTo(map, [boundaries]);
  } catch (exc) {
    banner(exc instanceof ApiError ? pick(exc.problem, "message_zh", "message_en") : String(exc), "error");
  }

  function paintChips() {
    chips.replaceChildren(
      ...Object.keys(STATE_NAMES).map((state) => {
        const on = filters.state.includes(state);
        return h(
          "button",
          {
            type: "button",
            class: on ? "chip on" : "chip",
            "aria-pressed": on ? "true" : "false",
            onclick: () => {
              filters.state = on ? filters.state.filter((s) => s !== state) : [...filters.state, state];
              if (!filters.state.length) filters.state = [state];
              paintChips();
              draw();
            },
          },
          stateName(state),
        );
      }),
    );
  }

  async function draw() {
    const query = { state: filters.state.join(","), limit: 200 };
    if (failedOnly.checked) query.has_failed = "true";
    let inspections = [];
    try {
      inspections = await allPages("/api/v1/review/queue", query, 5);
    } catch (exc) {
      banner(exc instanceof ApiError ? pick(exc.problem, "message_zh", "message_en") : String(exc), "error");
    }
    const bySite = new Map();
    for (const item of inspections) {
      if (!bySite.has(item.site.id)) bySite.set(item.site.id, []);
      bySite.get(item.site.id).push(item);
    }
    if (siteLayer) siteLayer.remove();
    siteLayer = L.featureGroup().addTo(map);
    for (const site of sites) {
      const list = bySite.get(site.id) || [];
      if (failedOnly.checked && !list.length) continue;
      const score = Math.max(0, ...list.map((i) => i.risk.score));
      const style = { radius: list.length ? 8 : 5, color: list.length ? colour(score, false) : "#64748b", fillOpacity: 0.7, className: list.length ? "site-marker has-inspections" : "site-marker" };
      const popup = h(
        "div",
        { class: "popup" },
        h("strong", {}, site.name),
        h("div", { class: "meta" }, `${site.jurisdiction?.name_zh || ""} · ${site.kind}`),
        list.length
          ? h(
              "ul",
              {},
              list.map((i) =>
                h("li", {}, h("a", { href: `#/inspections/${i.id}`, class: "popup-inspection" }, `${stateName(i.state)} · ${formatTime(i.submitted_at)} · ${t("风险", "risk")} ${i.risk.score} · ${yuan(i.total_amount_fen)}`)),
              ),
            )
          : h("div", { class: "meta" }, t("暂无检查", "No inspection")),
      );
      L.geoJSON(site.geometry, { pointToLayer: (_, ll) => L.circleMarker(ll, style), style: () => style })
        .bindPopup(popup)
        .bindTooltip(site.name)
        .addTo(siteLayer);
    }
    summary.textContent = t(
      `场所 ${sites.length} 个，检查 ${inspections.length} 条`,
      `${sites.length} sites, ${inspections.length} inspections`,
    );
  }

  failedOnly.addEventListener("change", draw);
  paintChips();
  await draw();
  return () => map.remove();
}
