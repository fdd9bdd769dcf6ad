"""The phone's preview equals the server's decision: the same cases through app/checklists (Python) and through
the inspector app's evaluator.js, geo.js and json-logic-js in Chromium (``page.evaluate``), compared.

Covered: every non-check item of the shipped checklists (measure, count, code, choice, text) with passing,
failing, boundary and broken answers, check items with and without evidence, jurisdiction parameters set and
unset; the applicability of every shipped checklist's items over sites, zones, alert levels and parameters;
WGS-84 → GCJ-02 for points in and outside China.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, Page

from app.checklists.applicability import normalise_context, resolve_checklist
from app.checklists.evaluation import evaluate_answer
from app.checklists.groups import group_errors
from app.checklists.spec import ChecklistSpec, ItemSpec
from app.geo.crs import from_wgs84
from tests.e2e.lossy_proxy import Gunicorn

CHECKLISTS = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "checklists").glob("*.yaml") if p.stem != "site_kinds"
)
PHOTO = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def shipped() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in CHECKLISTS]


def answers_for(item: dict[str, Any]) -> list[dict[str, Any] | None]:
    """Answers that pass, fail, sit on the limit, or are broken in each way the server reports."""
    kind = item["kind"]
    if kind == "check":
        return [
            {"verdict": "pass"},
            {"verdict": "fail"},
            {"verdict": "fail", "photos": [PHOTO]},
            {"verdict": "fail", "photos": [PHOTO, "not-a-uuid"]},
            {"verdict": "na"},
            {},
            None,
        ]
    if kind == "measure":
        lim = (item.get("limit") or {}).get("value")  # absent: a recorded reading (no limit)
        lim = lim if isinstance(lim, (int, float)) else 1.5
        top = item["range"]["max"]
        n = item["readings"]["min_count"]
        return [
            {"values": [lim] * n},
            {"values": [lim * 0.5] * n, "unit": item["unit"]},
            {"values": [lim + 0.1] * n},
            {"values": [lim * 0.5] * (n - 1) + [lim * 1.5]},
            {"values": [0.1 + 0.2] * n},
            {"values": [lim] * max(0, n - 1)},
            {"values": [top + 1] * n},
            {"values": ["x"]},
            {"values": [lim] * n, "unit": "furlongs"},
            {"values": [123456789.0, 0.00001234] + [lim] * n},
            {},
        ]
    if kind == "count":
        return [{"count": 0}, {"count": 3}, {"count": -1}, {}, {"count": None}]
    if kind == "code":
        return [
            {"code": "ABC-123456"},
            {"code": " abc 1234 56 "},
            {"code": "ab"},
            {"code": "   "},
            {},
            {"code": "京A-12345"},
        ]
    if kind == "choice":
        return [{"choice": o["key"]} for o in item["options"]] + [{"choice": "bogus"}, {}]
    if kind == "text":
        return [{"text": "样品 A-1"}, {"text": "   "}, {}]
    raise AssertionError(kind)


def evaluation_cases() -> list[dict[str, Any]]:
    cases = []
    for doc in shipped():
        for item in [*doc["items"], *(i for g in doc.get("groups") or [] for i in g["items"])]:
            variants = [item]
            if item["kind"] == "measure" and item["readings"]["combine"] != "mean":
                variants.append({**copy.deepcopy(item), "readings": {**item["readings"], "combine": "mean"}})
            if item["kind"] == "check":
                variants.append({**copy.deepcopy(item), "na_allowed": not item.get("na_allowed", False)})
                variants.append({**copy.deepcopy(item), "evidence": {"always": True, "min_photos": 2}})
            if item["kind"] == "text":
                variants.append({**copy.deepcopy(item), "required": True})
            param_sets: list[dict[str, Any] | None] = [None]
            if item["kind"] == "measure" and isinstance((item.get("limit") or {}).get("value"), dict):
                param_sets = [None, {item["limit"]["value"]["param"]: 1.5}]
            if item["kind"] == "code" and item["format"].get("param"):
                param_sets = [None, {item["format"]["param"]: "^[A-Z]{2}[0-9]{4,6}$"}]
            for variant, params, answer in itertools.product(variants, param_sets, answers_for(item)):
                cases.append({"item": variant, "answer": answer, "params": params})
    return cases


def python_evaluation(case: dict[str, Any]) -> dict[str, Any]:
    ev = evaluate_answer(ItemSpec.from_doc(case["item"]), case["answer"], params=case["params"])
    return {
        "verdict": ev.verdict,
        "errors": [e.to_dict() for e in ev.errors],
        "explanation": ev.explanation,
        "not_applicable": ev.not_applicable,
        "value": ev.value,
    }


@pytest.fixture()
def page(chromium: Browser, server: Gunicorn) -> Page:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{server.port}/app/")
    page.wait_for_function("typeof globalThis.jsonLogic === 'object'")
    yield page
    context.close()


def test_answers_are_judged_on_the_phone_as_on_the_server(page: Page) -> None:
    cases = evaluation_cases()
    assert len(cases) > 300
    in_browser = page.evaluate(
        """async (cases) => {
            const m = await import('/app/static/evaluator.js');
            return cases.map((c) => m.evaluateAnswer(c.item, c.answer, c.params));
        }""",
        cases,
    )
    kinds = set()
    for case, js in zip(cases, in_browser, strict=True):
        kinds.add(case["item"]["kind"])
        assert js == python_evaluation(case), case
    assert kinds == {"check", "measure", "count", "code", "choice", "text"}
    verdicts = {python_evaluation(c)["verdict"] for c in cases}
    assert verdicts == {"pass", "fail", "incomplete"}


def contexts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    attribute_sets = [
        {},
        {"earthwork_in_progress": True, "hauls_muck": True, "floor_area_m2": 8000, "has_nrmm_on_site": True},
        {"demolition_in_progress": True, "idle_bare_land": True, "floor_area_m2": 100, "hauls_muck": False},
    ]
    out = []
    for kind, attrs, zones, level, day, params in itertools.product(
        doc["site_kinds"][:2],
        attribute_sets,
        ([], ["built_up_area"], ["built_up_area", "fireworks_ban_area", "nrmm_low_emission_area"]),
        ("none", "blue", "orange", "red"),
        ("2026-01-15", "2026-07-01", "2026-11-30"),
        ({}, dict.fromkeys(doc.get("parameters") or {}, 1000)),
    ):
        out.append(
            {
                "site": {"kind": kind, "attributes": attrs},
                "zones": zones,
                "jurisdictions": ["410000", "410800", "410811"],
                "date": day,
                "alert_level": level,
                "params": params,
            }
        )
    return out


def test_items_apply_on_the_phone_as_on_the_server(page: Page) -> None:
    cases = []
    for doc in shipped():
        spec = ChecklistSpec.from_doc(doc)
        for ctx in contexts(doc):
            resolved = resolve_checklist(spec, ctx)
            if not resolved["applies"]:
                continue
            public = {k: v for k, v in normalise_context(ctx).items() if k not in ("params", "alert_rank")}
            cases.append(
                {
                    "doc": {"items": doc["items"], "groups": doc.get("groups") or []},
                    "items": doc["items"],
                    "sources": doc.get("sources") or [],
                    "context": public,
                    "params": resolved["parameters"],
                    "level": ctx["alert_level"],
                    "expected": [i["key"] for i in resolved["items"]],
                }
            )
    assert len(cases) > 500
    got = page.evaluate(
        """async (cases) => {
            const m = await import('/app/static/evaluator.js');
            return cases.map((c) => {
                const data = m.conditionData(c.context, c.params, c.level);
                return m.expandChecklist(c.doc).items
                    .filter((i) => m.itemInScope(i, c.sources, c.context) && m.itemApplies(i, data))
                    .map((i) => i.key);
            });
        }""",
        cases,
    )
    differing = [(c["context"], c["expected"], g) for c, g in zip(cases, got, strict=True) if g != c["expected"]]
    assert differing == []
    # the cases exercise conditions both ways
    assert any(len(c["expected"]) < len(c["items"]) for c in cases)


def group_answer_sets() -> list[tuple[str, dict[str, Any], str]]:
    """(checklist file, answers, date): machines and tanks answered in several ways."""
    tanks = [
        {"tanks.0.true_vapour_pressure": {"values": [90]}, "tanks.1.true_vapour_pressure": {"values": [30]}},
        {"tanks.0.true_vapour_pressure": {"values": [76.6]}, "tanks.1.true_vapour_pressure": {"values": [5.1]}},
        {"tanks.0.label": {"text": "1号罐"}, "tanks.2.true_vapour_pressure": {"values": [5.2]}},
        {"tanks.0.true_vapour_pressure": {}, "tanks.0.tank_type_high_pressure": {"choice": "other"}},
        {},
    ]
    machines = [
        {"machines.0.label": {"text": "1号挖掘机"}, "machines.1.emission_stage": {"choice": "china_2"}},
        {"machines.0.emission_stage": {"choice": "china_4"}, "machines.3.info_card_posted": {"verdict": "fail"}},
        {"machines.0.years_in_use": {"values": [20], "unit": "a"}, "usage_ledger": {"verdict": "pass"}},
        {"usage_ledger": {"verdict": "fail"}},
        {"machines.0.label": {"text": "1号"}, "machines.0.no_such_item": {"verdict": "fail"}},  # unknown_item
    ]
    # construction_dust.henan v3: muck trucks per vehicle (大气污染防治法第一百一十六条), on a site hauling muck or not
    vehicles = [
        {"vehicles.0.plate": {"text": "豫H12345"}, "vehicles.1.muck_sealed_transport": {"verdict": "fail"}},
        {"vehicles.0.muck_truck_licensed": {"verdict": "fail", "photos": [PHOTO]}, "vehicles.2.plate": {"text": "x"}},
        {"vehicles.200.plate": {"text": "第201辆"}},
        {"hoarding": {"verdict": "pass"}},
    ]
    return (
        [("voc_sealing_erqi_2018", a, "2018-12-01") for a in tanks]
        + [("nrmm_labels", a, "2026-11-20") for a in machines]
        + [("construction_dust.henan", a, "2026-11-20") for a in vehicles]
        # Erqi (003#23) checks only sealed transport per truck: a licence answer is an unknown item there
        + [("construction_dust.erqi_2018", a, "2018-12-01") for a in vehicles]
    )


#: Site attributes per checklist of ``group_answer_sets`` (a muck-hauling site and one that hauls none).
GROUP_SITES: dict[str, list[dict[str, Any]]] = {
    "construction_dust.henan": [{"hauls_muck": True}, {}],
    "construction_dust.erqi_2018": [{"hauls_muck": True}, {}],
}


def test_repeatable_groups_expand_apply_and_judge_on_the_phone_as_on_the_server(page: Page) -> None:
    docs = {
        yaml.safe_load(p.read_text(encoding="utf-8"))["key"]: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in CHECKLISTS
    }
    cases = []
    for file_key, answers, day in group_answer_sets():
        doc = docs["voc_sealing.erqi_2018" if file_key.startswith("voc") else file_key]
        erqi = "erqi" in file_key
        for zones, attributes in itertools.product(([], ["nrmm_control"]), GROUP_SITES.get(file_key, [{}])):
            ctx = {
                "site": {"kind": doc["site_kinds"][0], "attributes": attributes},
                "zones": zones,
                "jurisdictions": ["410000", "410100", "410103"] if erqi else ["410000", "410800", "410811"],
                "date": day,
                "alert_level": "none",
            }
            resolved = resolve_checklist(ChecklistSpec.from_doc(doc), {**ctx, "answers": answers})
            expected_eval = {
                i["key"]: python_evaluation(
                    {"item": i, "answer": answers.get(i["key"]), "params": resolved["parameters"]}
                )
                for i in resolved["items"]
            }
            public = {k: v for k, v in normalise_context(ctx).items() if k not in ("params", "alert_rank")}
            cases.append(
                {
                    "doc": doc,
                    "answers": answers,
                    "context": public,
                    "params": resolved["parameters"],
                    "expected": [i["key"] for i in resolved["items"]],
                    "evaluations": expected_eval,
                    "group_errors": [e.to_dict() for e in group_errors(doc, answers.keys())],
                }
            )
    got = page.evaluate(
        """async (cases) => {
            const m = await import('/app/static/evaluator.js');
            return cases.map((c) => {
                const data = m.conditionData(c.context, c.params, 'none', c.answers);
                const items = m.expandChecklist(c.doc, Object.keys(c.answers)).items
                    .filter((i) => m.itemInScope(i, c.doc.sources, c.context) && m.itemApplies(i, data));
                const evaluations = Object.fromEntries(items.map((i) => [i.key, m.evaluateAnswer(i, c.answers[i.key], c.params)]));
                return { keys: items.map((i) => i.key), evaluations, group_errors: m.groupErrors(c.doc, Object.keys(c.answers)) };
            });
        }""",
        cases,
    )
    for case, js in zip(cases, got, strict=True):
        assert js["keys"] == case["expected"], case["answers"]
        assert js["evaluations"] == case["evaluations"], case["answers"]
        assert js["group_errors"] == case["group_errors"], case["answers"]
    # the cases exercise per-object bands, per-object failures and group bounds
    keys = {k for c in cases for k in c["expected"]}
    assert {"tanks.0.tank_type_high_pressure", "tanks.1.tank_type_mid_pressure", "machines.3.info_card_posted"} <= keys
    assert {"vehicles.1.muck_sealed_transport", "vehicles.2.muck_truck_licensed", "vehicles.0.plate"} <= keys
    assert not [
        k for c in cases if not c["context"]["site"]["attributes"] for k in c["expected"] if k[:9] == "vehicles."
    ]
    assert {"tanks.1.tank_type_high_pressure"}.isdisjoint(cases[0]["expected"])
    assert any(c["group_errors"] for c in cases)
    assert any(e["code"] == "unknown_item" for c in cases for e in c["group_errors"])
    assert any(e["verdict"] == "fail" for c in cases for e in c["evaluations"].values())


def test_positions_convert_to_gcj02_on_the_phone_as_on_the_server(page: Page) -> None:
    points = [(113.2418, 35.2157), (113.65, 34.76), (116.397, 39.909), (121.47, 31.23), (2.35, 48.85), (72.1, 10.0)]
    got = page.evaluate(
        """async (points) => {
            const g = await import('/app/static/geo.js');
            return points.map(([lon, lat]) => g.wgs84ToGcj02(lon, lat));
        }""",
        points,
    )
    for (lon, lat), (jlon, jlat) in zip(points, got, strict=True):
        plon, plat = from_wgs84(lon, lat, "gcj02")
        assert abs(plon - jlon) < 1e-9 and abs(plat - jlat) < 1e-9, (lon, lat)
