from pathlib import Path

import pytest

from app.checklists.applicability import resolve_checklist
from app.checklists.files import load_checklist_file
from app.checklists.spec import ChecklistSpec
from app.errors import ValidationFailed

CHECKLISTS = Path(__file__).resolve().parents[2] / "checklists"
SHANYANG = ["410811", "410800", "410000"]
ERQI = ["410103", "410100", "410000"]
MENGZHOU = ["410883", "410800", "410000"]


def load(name):
    return ChecklistSpec.from_doc(load_checklist_file(CHECKLISTS / name))


def ctx(kind, attrs=None, zones=(), date="2024-05-02", alert="none", chain=SHANYANG, params=None):
    c = {
        "site": {"kind": kind, "attributes": attrs or {}},
        "zones": list(zones),
        "date": date,
        "alert_level": alert,
        "jurisdictions": chain,
    }
    if params is not None:
        c["params"] = params
    return c


def keys(resolved):
    return {i["key"] for i in resolved["items"]}


HENAN_PARAMS = {"monitoring_min_floor_area_m2": 5000}


def test_large_site_in_built_up_area_gets_video_and_two_prohibitions_henan():
    r = resolve_checklist(
        load("construction_dust_henan.yaml"),
        ctx("construction_site", {"floor_area_m2": 6000}, zones=["built_up_area"], params=HENAN_PARAMS),
    )
    assert {"online_monitoring_platform", "no_onsite_concrete_mixing", "no_onsite_mortar_mixing"} <= keys(r)


def test_small_site_outside_built_up_area_gets_neither_henan():
    r = resolve_checklist(
        load("construction_dust_henan.yaml"), ctx("construction_site", {"floor_area_m2": 3000}, params=HENAN_PARAMS)
    )
    assert not {"online_monitoring_platform", "no_onsite_concrete_mixing", "no_onsite_mortar_mixing"} & keys(r)
    assert {"online_monitoring_platform", "no_onsite_concrete_mixing"} <= {i["key"] for i in r["not_applicable"]}


def test_erqi_video_item_applies_from_5000_m2():
    cl = load("construction_dust_erqi_2018.yaml")
    at = resolve_checklist(cl, ctx("construction_site", {"floor_area_m2": 5000}, date="2018-11-01", chain=ERQI))
    below = resolve_checklist(cl, ctx("construction_site", {"floor_area_m2": 4999}, date="2018-11-01", chain=ERQI))
    assert "video_monitoring" in keys(at) and "video_monitoring" not in keys(below)


def test_erqi_earthwork_site_gets_video_whatever_its_area():
    r = resolve_checklist(
        load("construction_dust_erqi_2018.yaml"),
        ctx("construction_site", {"floor_area_m2": 100, "involves_earthwork": True}, date="2018-11-01", chain=ERQI),
    )
    assert "video_monitoring" in keys(r)


def test_reason_names_the_matched_condition_and_value():
    r = resolve_checklist(
        load("construction_dust_erqi_2018.yaml"),
        ctx("construction_site", {"floor_area_m2": 6000}, date="2018-11-01", chain=ERQI),
    )
    item = next(i for i in r["items"] if i["key"] == "video_monitoring")
    assert "6000" in item["applies_because"]["zh"] and "5000" in item["applies_because"]["en"]
    assert item["applies_when"]["or"]


def test_variants_are_kept_apart_by_jurisdiction_and_period():
    erqi, henan = load("construction_dust_erqi_2018.yaml"), load("construction_dust_henan.yaml")
    shanyang_today = ctx("construction_site", {"floor_area_m2": 6000}, chain=SHANYANG)
    assert resolve_checklist(erqi, shanyang_today)["applies"] is False
    assert resolve_checklist(henan, shanyang_today)["applies"] is True
    erqi_2018 = ctx("construction_site", {"floor_area_m2": 6000}, date="2018-11-01", chain=ERQI)
    assert resolve_checklist(erqi, erqi_2018)["applies"] is True
    assert resolve_checklist(henan, erqi_2018)["applies"] is False
    after = resolve_checklist(erqi, ctx("construction_site", {}, date="2019-04-01", chain=ERQI))
    assert after["applies"] is False and after["items"] == [] and after["reasons_not_applicable"]


def test_fireworks_shop_outside_ban_area_gets_no_ban_items():
    r = resolve_checklist(load("fireworks_ban.yaml"), ctx("fireworks_point", {"point_type": "shop"}, chain=MENGZHOU))
    assert keys(r) == {"licensed_sales_point", "legal_products_only"}


def test_fireworks_shop_inside_ban_area_gets_sale_and_discharge_items():
    r = resolve_checklist(
        load("fireworks_ban.yaml"),
        ctx("fireworks_point", {"point_type": "shop"}, zones=["fireworks_ban"], chain=MENGZHOU),
    )
    assert {"no_sale_in_ban_area", "no_discharge_in_ban_area", "seized_fireworks_count"} <= keys(r)
    assert "licensed_sales_point" not in keys(r)


def test_alert_item_appears_when_alert_level_rises_and_condition_is_shipped_for_offline_use():
    cl = load("construction_dust_erqi_2018.yaml")
    calm = resolve_checklist(cl, ctx("construction_site", {}, date="2018-11-01", chain=ERQI, alert="blue"))
    na = {i["key"]: i["applies_when"] for i in calm["not_applicable"]}
    assert na["alert_controls_applied"] == {">=": [{"var": "alert_rank"}, 2]}
    yellow = resolve_checklist(cl, ctx("construction_site", {}, date="2018-11-01", chain=ERQI, alert="yellow"))
    assert "alert_controls_applied" in keys(yellow)


def test_ldar_applies_from_1000_seal_points_where_its_plans_have_force():
    # 001#26 (博爱县 2023) and 004#25 (孟州市 2023): "密封点大于等于1000个的企业开展泄漏检测与修复".
    cl = load("voc_sealing_henan.yaml")
    at = {"seal_points": 1000}
    assert "ldar_done" in keys(resolve_checklist(cl, ctx("voc_enterprise", at, chain=MENGZHOU)))
    assert "ldar_done" not in keys(resolve_checklist(cl, ctx("voc_enterprise", {"seal_points": 999}, chain=MENGZHOU)))
    # 山阳区 (000) has no LDAR clause, and 2022 is before either 2023 plan.
    assert "ldar_done" not in keys(resolve_checklist(cl, ctx("voc_enterprise", at, chain=SHANYANG)))
    assert "ldar_done" not in keys(resolve_checklist(cl, ctx("voc_enterprise", at, chain=MENGZHOU, date="2022-06-01")))


def test_tank_rule_follows_each_tanks_true_vapour_pressure_band_003_15_4():
    cl = load("voc_sealing_erqi_2018.yaml")

    def tank_items(p):
        answers = {"tanks.0.true_vapour_pressure": {"values": [p], "unit": "kPa"}}
        r = resolve_checklist(cl, {**ctx("voc_enterprise", {}, date="2018-12-01", chain=ERQI), "answers": answers})
        return keys(r) & {"tanks.0.tank_type_high_pressure", "tanks.0.tank_type_mid_pressure"}

    assert tank_items(76.6) == {"tanks.0.tank_type_high_pressure"}
    assert tank_items(76.5) == {"tanks.0.tank_type_mid_pressure"}
    assert tank_items(5.2) == {"tanks.0.tank_type_mid_pressure"}
    assert tank_items(5.1) == set()


def test_coating_limit_items_follow_coating_types_and_start_date():
    cl = load("voc_sealing_erqi_2018.yaml")
    attrs = {"coating_types": ["wood"]}
    before = resolve_checklist(cl, ctx("voc_enterprise", attrs, date="2018-11-14", chain=ERQI))
    after = resolve_checklist(cl, ctx("voc_enterprise", attrs, date="2018-11-15", chain=ERQI))
    assert "coating_voc_wood" not in keys(before) and "coating_voc_wood" in keys(after)
    assert "coating_voc_auto_oem" not in keys(after)


def test_unset_jurisdiction_parameter_lists_item_as_applicable_and_says_so():
    r = resolve_checklist(load("construction_dust_henan.yaml"), ctx("construction_site", {"floor_area_m2": 3000}))
    item = next(i for i in r["items"] if i["key"] == "online_monitoring_platform")
    assert item["unset_parameters"] == ["monitoring_min_floor_area_m2"]


def test_nrmm_control_area_item_only_inside_the_zone():
    cl = load("nrmm_labels.yaml")
    inside = resolve_checklist(cl, ctx("nrmm_yard", {}, zones=["nrmm_control"]))
    outside = resolve_checklist(cl, ctx("nrmm_yard", {}))
    item = "machines.0.control_area_class_iii"  # per machine (repeatable group), the first one served
    assert item in keys(inside) and item not in keys(outside)


def test_wrong_site_kind_gets_nothing():
    r = resolve_checklist(load("fireworks_ban.yaml"), ctx("restaurant", {}, zones=["fireworks_ban"]))
    assert r["applies"] is False and r["items"] == []


def test_invalid_context_is_rejected_with_field_errors():
    with pytest.raises(ValidationFailed) as exc:
        resolve_checklist(
            load("fireworks_ban.yaml"),
            {"site": {"kind": "fireworks_point"}, "date": "2024/1/1", "alert_level": "purple"},
        )
    assert {e.path for e in exc.value.errors} == {"context.date", "context.alert_level"}
