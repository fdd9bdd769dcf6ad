"""Where and when each checklist item has force: its sources' scopes (checklists/sources/INDEX.md), each test
naming the clause it checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.checklists.applicability import resolve_checklist
from app.checklists.files import checklist_files, load_checklist_file
from app.checklists.scope import item_scope
from app.checklists.sources import REF_RE
from app.checklists.spec import ChecklistSpec

CHECKLISTS = Path(__file__).resolve().parents[2] / "checklists"
# The seeds' issuers and periods as INDEX.md gives them (annual plans state no end: open until a successor).
SEED_SCOPES = {
    "000": ("410811", "2022-01-01", None),  # 山阳区 2022
    "001": ("410822", "2023-01-01", None),  # 博爱县 2023
    "002": ("410000", "2021-01-01", None),  # 河南省 2021
    "003": ("410103", "2018-10-01", "2019-03-31"),  # 二七区 2018-10-01 .. 2019-03-31 (003§一(四))
    "004": ("410883", "2023-01-01", None),  # 孟州市 2023
}
SHANYANG = ["410811", "410800", "410000"]
BOAI = ["410822", "410800", "410000"]
MENGZHOU = ["410883", "410800", "410000"]
ERQI = ["410103", "410100", "410000"]
JIEFANG = ["410802", "410800", "410000"]  # 解放区: no seed covers it


def all_checklists():
    return [ChecklistSpec.from_doc(load_checklist_file(p)) for p in checklist_files(CHECKLISTS)]


@pytest.mark.parametrize("checklist", all_checklists(), ids=lambda c: c.key)
def test_every_item_scope_is_the_union_of_its_sources_scopes_unless_a_law_widens_it(checklist):
    for source in checklist.sources:
        assert (source.jurisdiction, source.period_start, source.period_end) == SEED_SCOPES[source.seed]
    for item in checklist.items:
        parts = item_scope(checklist, item)
        plan = {(p.jurisdictions, p.start, p.end) for p in parts if p.kind == "plan"}
        expected = set()
        for ref in item.sources:
            code, start, end = SEED_SCOPES[REF_RE.match(ref).group("seed")]
            expected.add(((code,), start, end))
        assert plan == expected, item.key
        laws = [p for p in parts if p.kind == "law"]
        assert [p.ref for p in laws] == [b.ref for b in item.legal_basis], item.key
        assert all(p.ref.startswith(("大气污染防治法", "河南省大气污染防治条例")) for p in laws), item.key


def ctx(kind, chain, attrs=None, zones=(), date="2024-05-02", alert="none"):
    return {
        "site": {"kind": kind, "attributes": attrs or {}},
        "zones": list(zones),
        "date": date,
        "alert_level": alert,
        "jurisdictions": chain,
    }


def keys(resolved):
    return {i["key"] for i in resolved["items"]}


def load(name):
    return ChecklistSpec.from_doc(load_checklist_file(CHECKLISTS / name))


def test_county_only_voc_items_are_not_asked_in_a_district_no_seed_covers():
    # LDAR ≥ 1000 seal points (001#26, 004#25), flare auto-ignition (004#27), lead-sealed bypass (001#28, 004#27)
    attrs = {"seal_points": 5000, "has_flare": True, "has_bypass": True, "industry": "chemical"}
    voc = load("voc_sealing_henan.yaml")
    jiefang = keys(resolve_checklist(voc, ctx("voc_enterprise", JIEFANG, attrs)))
    assert not {"ldar_done", "flare_auto_ignition", "bypass_sealed"} & jiefang
    assert {"process_emissions_collected", "bypass_list_filed", "storage_sealed"} <= jiefang  # 002#30; Art. 45
    mengzhou = keys(resolve_checklist(voc, ctx("voc_enterprise", MENGZHOU, attrs)))
    assert {"ldar_done", "flare_auto_ignition", "bypass_sealed"} <= mengzhou


def test_shanyang_machinery_rules_apply_only_in_shanyang_000_14():
    # 000#14: 禁止使用国二及以下, 15年以上淘汰, 新购置3吨及以下叉车应采用电动叉车, 未张贴信息采集卡封存停用
    nrmm = load("nrmm_labels.yaml")
    attrs = {"machine_type": "forklift", "rated_load_t": 2}
    shanyang = resolve_checklist(nrmm, ctx("nrmm_yard", SHANYANG, attrs))
    boai = resolve_checklist(nrmm, ctx("nrmm_yard", BOAI, attrs))
    m = "machines.0."  # per machine (repeatable group): the first machine is served
    plan_only = {m + "emission_stage", m + "years_in_use", "forklift_electric", m + "info_card_posted", "usage_ledger"}
    assert plan_only <= keys(shanyang)
    assert not plan_only & keys(boai)
    assert {m + "emission_test_done", m + "positioning_device", m + "emission_test_passed"} <= keys(boai)  # 002#16
    because = next(i for i in shanyang["items"] if i["key"] == "forklift_electric")["scope_because"]
    assert because["zh"] == "适用依据：000#14（山阳区，2022-01-01起）"
    reason = next(i for i in boai["not_applicable"] if i["key"] == "forklift_electric")["reason"]
    assert "000#14" in reason["zh"]


def test_a_2023_county_clause_has_no_force_in_2022_001_7():
    coal = load("coal_boilers.yaml")
    zones = ["fuel_ban"]
    assert "no_loose_coal_in_ban_area" in keys(resolve_checklist(coal, ctx("boiler_operator", BOAI, zones=zones)))
    early = resolve_checklist(coal, ctx("boiler_operator", BOAI, zones=zones, date="2022-06-01"))
    assert "no_loose_coal_in_ban_area" not in keys(early)


def test_discharge_ban_is_everywhere_by_air_law_82_while_cold_light_ban_is_shanyangs_000_20():
    fw = load("fireworks_ban.yaml")
    jiefang = keys(resolve_checklist(fw, ctx("fireworks_point", JIEFANG, zones=["fireworks_ban"])))
    assert "no_discharge_in_ban_area" in jiefang and "no_sale_in_ban_area" in jiefang  # Art. 82; 002#21
    assert "no_cold_light_or_steel_wool" not in jiefang


def test_gas_boiler_nox_limit_applies_only_after_the_low_nox_retrofit_003_14():
    coal = load("coal_boilers.yaml")
    gas = {"boiler_fuel": "gas"}
    plain = resolve_checklist(coal, ctx("boiler_operator", ERQI, gas, date="2018-12-01"))
    done = resolve_checklist(
        coal, ctx("boiler_operator", ERQI, {**gas, "low_nox_retrofitted": True}, date="2018-12-01")
    )
    assert "gas_boiler_nox" not in keys(plain) and "gas_boiler_nox" in keys(done)


def test_each_tank_gets_its_own_pressure_band_003_15_4():
    voc = load("voc_sealing_erqi_2018.yaml")
    answers = {
        "tanks.0.true_vapour_pressure": {"values": [90], "unit": "kPa"},
        "tanks.1.true_vapour_pressure": {"values": [30], "unit": "kPa"},
    }
    r = resolve_checklist(voc, {**ctx("voc_enterprise", ERQI, {}, date="2018-12-01"), "answers": answers})
    # The 90 kPa tank is checked against the ≥ 76.6 band only, the 30 kPa tank against 5.2–76.6 only.
    assert {"tanks.0.tank_type_high_pressure", "tanks.1.tank_type_mid_pressure"} <= keys(r)
    assert not {"tanks.0.tank_type_mid_pressure", "tanks.1.tank_type_high_pressure"} & keys(r)
    low = resolve_checklist(
        voc,
        {
            **ctx("voc_enterprise", ERQI, {}, date="2018-12-01"),
            "answers": {"tanks.0.true_vapour_pressure": {"values": [3]}},
        },
    )
    assert not {k for k in keys(low) if k.startswith("tanks.0.tank_type_")}


# --- item → rule links: the article must punish what the item records
ARTICLE_ACTS = {
    # rule key: words one of which the item's prompt must contain (what the article punishes)
    "fine.air_law_116_bulk_vehicle": ("密闭",),  # Art. 116: loads not sealed against spillage
    "fine.air_law_114_nrmm_noncompliant": ("排放检测结果", "达标"),  # Art. 114(1): machinery whose emissions fail
    "fine.henan_74_nrmm_banned_zone": ("控制区",),  # Henan Art. 74(2): high-emission machinery in the ban area
    "fine.air_law_118_catering_fumes": ("油烟净化",),  # Art. 118(1): purifier not installed / not used
    "fine.air_law_118_open_air_barbecue": ("露天烧烤",),  # Art. 118(3)
    "fine.air_law_121_refuse_alert_works_stop": ("预警",),  # Art. 121(2): alert measures refused
    "fine.air_law_115_bare_land": ("裸地", "裸露"),  # Art. 115(2)
    "measure.nrmm_seal_and_stop_use": ("信息采集卡", "编码"),  # 000#14
}


@pytest.mark.parametrize("checklist", all_checklists(), ids=lambda c: c.key)
def test_every_item_cites_only_rules_whose_article_punishes_what_it_records(checklist):
    for item in checklist.items:
        for key in item.penalties:
            words = ARTICLE_ACTS.get(key)
            if words:
                assert any(w in item.prompt.zh for w in words), (item.key, key)
    licensed = [i for i in checklist.items if "资质" in i.prompt.zh]
    assert all("fine.air_law_116_bulk_vehicle" not in i.penalties for i in licensed)


def test_erqi_exhaust_reports_are_asked_only_when_machinery_is_present_003_19():
    cl = load("construction_dust_erqi_2018.yaml")
    served = resolve_checklist(cl, ctx("construction_site", ERQI, date="2018-12-01"))
    report = next(i for i in served["items"] if i["key"] == "nrmm_exhaust_reports")
    assert report["depends_on_answers"] == ["nrmm_on_site_count"] and report["section"] == "machinery"
    none = {**ctx("construction_site", ERQI, date="2018-12-01"), "answers": {"nrmm_on_site_count": {"count": 0}}}
    assert "nrmm_exhaust_reports" not in keys(resolve_checklist(cl, none))
    two = {**none, "answers": {"nrmm_on_site_count": {"count": 2}}}
    assert "nrmm_exhaust_reports" in keys(resolve_checklist(cl, two))
