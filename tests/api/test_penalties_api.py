"""Penalty endpoints: breakdown, scope, override, recompute, jurisdiction settings, rules in force."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.penalties.computation import compute_penalties_for_inspection
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import (
    LEAVES_KEYS,
    FailedItem,
    dust_failures,
    make_construction_site,
    make_inspection,
    make_penalty_world,
)


@pytest.fixture()
def setup(session, tree, client):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    owner = make_user(session, "insp.owner", "inspector", ["410811"])
    make_user(session, "insp.other", "inspector", ["410811"])
    make_user(session, "sup.sy", "supervisor", ["410811"])
    make_user(session, "sup.ba", "supervisor", ["410822"])
    make_user(session, "admin.sy", "admin", ["410811"])
    make_user(session, "admin.ba", "admin", ["410822"])
    site = make_construction_site(session)
    inspection = make_inspection(
        session, site, dust_failures("hoarding", "material_cover", "vehicle_wash"), created_by=owner.id
    )
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    return {
        "inspection": str(inspection.id),
        "site": site,
        "h": {
            u: bearer(issue_tokens(session, u))
            for u in ("insp.owner", "insp.other", "sup.sy", "sup.ba", "admin.sy", "admin.ba")
        },
    }


def url(setup, suffix=""):  # noqa: ANN001, ANN201
    return f"/api/v1/inspections/{setup['inspection']}/penalties{suffix}"


def line_of(body, key):  # noqa: ANN001, ANN201
    return next(l for l in body["lines"] if l["rule_key"] == key)


def test_owner_sees_the_full_breakdown_with_totals_per_payer_kind(client, setup):
    response = client.get(url(setup), headers=setup["h"]["insp.owner"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["totals"]["fiscal_deduction"] == {"fen": 30_000_000, "yuan": "300,000.00"}
    assert body["totals"]["statutory_fine"] == {"fen": 7_600_000, "yuan": "76,000.00"}
    fiscal = line_of(body, "fiscal.dust_measure_failed")
    assert fiscal["payer"] == {"type": "responsible_jurisdiction", "code": "410811001", "name": "焦东街道"}
    assert fiscal["basis"][0]["ref"] == "000§五(二)" and fiscal["counted_units"] == 3
    fine = line_of(body, "fine.henan_76_construction_dust")
    assert {f["name"] for f in fine["factors"]} >= {"severity", "failed_items_in_case", "repeat_offence"}
    assert fine["range_fen"] == [2_000_000, 10_000_000] and fine["amount_yuan"] == "76,000.00"
    assert fine["explanation"]["zh"] and fine["explanation"]["en"]
    # 000§五(二) charges only what a national/provincial/city team found: no finder recorded yet, so the fiscal
    # line (and only it) blocks issuing until a supervisor records the finder.
    assert body["issuable"] is False
    assert [(b["rule_key"], b["reasons"]) for b in body["blocking"]] == [
        ("fiscal.dust_measure_failed", ["finder_unknown"])
    ]
    assert {p["type"] for p in body["payers"]} == {"responsible_jurisdiction", "violator"}


@pytest.mark.parametrize("who", ["insp.other", "sup.ba", "admin.ba"])
def test_callers_outside_the_inspection_scope_get_404(client, setup, who):
    response = client.get(url(setup), headers=setup["h"][who])
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_supervisor_of_the_district_sees_the_lines(client, setup):
    assert client.get(url(setup), headers=setup["h"]["sup.sy"]).status_code == 200


def test_override_within_range_is_stored_and_audited(client, setup, session):
    fine = line_of(client.get(url(setup), headers=setup["h"]["sup.sy"]).get_json(), "fine.henan_76_construction_dust")
    response = client.post(
        url(setup, f"/{fine['id']}/override"),
        headers=setup["h"]["sup.sy"],
        json={"amount_fen": 5_000_000, "reason": "当事人积极整改，已全部落实措施"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["amount_fen"] == 5_000_000
    assert response.get_json()["override"]["by"] == "sup.sy"
    body = client.get(url(setup), headers=setup["h"]["insp.owner"]).get_json()
    assert body["totals"]["statutory_fine"]["fen"] == 5_000_000
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "penalty.override")).one()
    assert (entry.before["amount_fen"], entry.after["amount_fen"]) == (7_600_000, 5_000_000)


def test_override_outside_the_legal_range_is_a_422_problem(client, setup):
    fine = line_of(client.get(url(setup), headers=setup["h"]["sup.sy"]).get_json(), "fine.henan_76_construction_dust")
    response = client.post(
        url(setup, f"/{fine['id']}/override"),
        headers=setup["h"]["sup.sy"],
        json={"amount_fen": 20_000_000, "reason": "超出幅度的尝试"},
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "override_out_of_range"
    assert response.get_json()["range_fen"] == [2_000_000, 10_000_000]


def test_override_needs_integer_fen(client, setup):
    fine = line_of(client.get(url(setup), headers=setup["h"]["sup.sy"]).get_json(), "fine.henan_76_construction_dust")
    response = client.post(
        url(setup, f"/{fine['id']}/override"),
        headers=setup["h"]["sup.sy"],
        json={"amount_fen": 5000000.5, "reason": "浮点金额"},
    )
    assert response.status_code == 422


def test_inspectors_cannot_override_or_recompute(client, setup):
    h = setup["h"]["insp.owner"]
    assert client.post(url(setup, "/1/override"), headers=h, json={"amount_fen": 1, "reason": "x"}).status_code == 403
    assert client.post(url(setup, "/recompute"), headers=h, json={"reason": "xxxx"}).status_code == 403


def test_recompute_requires_a_written_reason(client, setup):
    response = client.post(url(setup, "/recompute"), headers=setup["h"]["sup.sy"], json={"reason": " "})
    assert response.status_code == 422


def test_to_be_set_rule_blocks_issuing_until_an_admin_sets_the_amount(client, session, setup):
    site = setup["site"]
    from app.auth.models import User

    owner_id = session.scalar(select(User.id).where(User.username == "insp.owner"))
    inspection = make_inspection(session, site, [FailedItem("no_leaf_burning", LEAVES_KEYS)], created_by=owner_id)
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    purl = f"/api/v1/inspections/{inspection.id}/penalties"
    body = client.get(purl, headers=setup["h"]["sup.sy"]).get_json()
    line = line_of(body, "fiscal.open_burning_waste_leaves")
    assert (line["status"], line["amount_fen"]) == ("blocked_amount_to_be_set", None)
    assert body["issuable"] is False and "amount_to_be_set" in body["blocking"][0]["reasons"]

    settings = {
        "amounts": {
            "fiscal.open_burning_waste_leaves": {
                "amount_fen": 2_000_000,
                "document_ref": "焦办〔2016〕37号 第三条（测试）",
            }
        }
    }
    put = client.put("/api/v1/penalties/settings/410811", headers=setup["h"]["admin.sy"], json=settings)
    assert put.status_code == 200, put.get_json()
    stored = put.get_json()["amounts"]["fiscal.open_burning_waste_leaves"]
    assert stored["set_by"] == "admin.sy" and stored["rule_version"] == "000-2022" and stored["set_at"]

    # the stored lines are the record: still blocked until a deliberate recompute
    assert client.get(purl, headers=setup["h"]["sup.sy"]).get_json()["issuable"] is False
    again = client.post(
        purl + "/recompute",
        headers=setup["h"]["sup.sy"],
        json={"reason": "辖区已设定金额", "factors": {"finder_level": "city"}},
    )
    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    line = line_of(body, "fiscal.open_burning_waste_leaves")
    assert (line["status"], line["amount_fen"]) == ("computed", 2_000_000)
    assert line["amount_setting"]["document_ref"].startswith("焦办〔2016〕37号")
    assert any("焦办〔2016〕37号" in e for e in line["explanation"]["zh"])
    assert body["issuable"] is True


def test_admin_cannot_set_an_amount_the_law_already_gives(client, setup):
    response = client.put(
        "/api/v1/penalties/settings/410811",
        headers=setup["h"]["admin.sy"],
        json={"amounts": {"fiscal.dust_measure_failed": {"amount_fen": 1, "document_ref": "x"}}},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == "amount_not_to_be_set"


def test_policy_setting_selects_the_national_rule_for_the_district(client, setup):
    response = client.put(
        "/api/v1/penalties/settings/410811",
        headers=setup["h"]["admin.sy"],
        json={"policy": {"construction_dust_basis": "air_law_115"}},
    )
    assert response.status_code == 200
    assert response.get_json()["effective"]["policy"]["construction_dust_basis"] == "air_law_115"
    body = client.post(
        url(setup, "/recompute"), headers=setup["h"]["admin.sy"], json={"reason": "区政策改为适用大气法第115条"}
    ).get_json()
    fine = line_of(body, "fine.air_law_115_construction_dust")
    assert fine["amount_fen"] == 7_300_000  # 10,000 + 90,000 x 0.7


def test_nearest_jurisdiction_setting_wins(client, session, setup):
    make_user(session, "admin.city", "admin", ["410800"])
    session.commit()
    city = bearer(issue_tokens(session, "admin.city"))
    assert (
        client.put(
            "/api/v1/penalties/settings/410800",
            headers=city,
            json={"policy": {"construction_dust_basis": "air_law_115"}},
        ).status_code
        == 200
    )
    assert (
        client.put(
            "/api/v1/penalties/settings/410811",
            headers=setup["h"]["admin.sy"],
            json={"policy": {"construction_dust_basis": "henan_76"}},
        ).status_code
        == 200
    )
    got = client.get("/api/v1/penalties/settings/410811001", headers=city).get_json()
    assert got["effective"]["policy"]["construction_dust_basis"] == "henan_76"
    assert got["effective"]["sources"]["policy.construction_dust_basis"] == "410811"


def test_settings_reject_unknown_options_and_other_districts(client, setup):
    bad = client.put(
        "/api/v1/penalties/settings/410811",
        headers=setup["h"]["admin.sy"],
        json={"policy": {"construction_dust_basis": "whatever"}},
    )
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["code"] == "unknown_option"
    assert client.get("/api/v1/penalties/settings/410811", headers=setup["h"]["admin.ba"]).status_code == 404
    assert client.get("/api/v1/penalties/settings/410811", headers=setup["h"]["sup.sy"]).status_code == 403


def test_settings_changes_are_audited(client, session, setup):
    client.put(
        "/api/v1/penalties/settings/410811",
        headers=setup["h"]["admin.sy"],
        json={"discretion": {"repeat_window_days": 365}},
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "penalty_settings.update")).one()
    assert entry.before is None and entry.after["discretion"] == {"repeat_window_days": 365}


def test_rules_in_force_on_a_date_show_versions_verified_flags_and_amount_status(client, setup):
    old = client.get("/api/v1/penalties/rules?on=2017-06-01", headers=setup["h"]["insp.owner"])
    assert old.status_code == 200
    rules = {r["key"]: r for r in old.get_json()}
    assert rules["fine.air_law_115_construction_dust"]["version"] == "air-law-2015"
    assert rules["fine.air_law_115_construction_dust"]["amount_status"] == "to_be_set"
    assert rules["fine.air_law_115_construction_dust"]["verified"]["status"] is False
    assert "fiscal.dust_measure_failed" not in rules  # the 2022 plan was not in force yet
    now = {
        r["key"]: r
        for r in client.get("/api/v1/penalties/rules?on=2026-11-20", headers=setup["h"]["insp.owner"]).get_json()
    }
    assert now["fiscal.dust_measure_failed"]["amount_fen"] == 10_000_000
    assert now["fine.henan_76_construction_dust"]["range_fen"] == [2_000_000, 10_000_000]


def test_penalties_of_an_unknown_inspection_are_404(client, setup):
    assert client.get("/api/v1/inspections/not-a-uuid/penalties", headers=setup["h"]["sup.sy"]).status_code == 404
    assert (
        client.get(
            "/api/v1/inspections/00000000-0000-0000-0000-000000000000/penalties", headers=setup["h"]["sup.sy"]
        ).status_code
        == 404
    )
