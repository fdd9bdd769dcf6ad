"""Supervisors' overrides through POST …/penalties/recompute: carried when they fit, refused (409) or dropped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.penalties.computation import compute_penalties_for_inspection
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import dust_failures, make_construction_site, make_inspection, make_penalty_world

FINE = "fine.henan_76_construction_dust"
FISCAL = "fiscal.dust_measure_failed"
REASON = "当事人积极整改，已全部落实措施"


@pytest.fixture()
def setup(session, tree, client):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    owner = make_user(session, "insp.owner", "inspector", ["410811"])
    make_user(session, "sup.sy", "supervisor", ["410811"])
    make_user(session, "admin.sy", "admin", ["410811"])
    site = make_construction_site(session)
    # an earlier failed hoarding within two years: a repeat offence (+25%)
    earlier = make_inspection(session, site, dust_failures("hoarding"), created_by=owner.id)
    earlier.started_at = datetime(2025, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    session.flush()
    inspection = make_inspection(
        session, site, dust_failures("hoarding", "material_cover", "vehicle_wash"), created_by=owner.id
    )
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    return {
        "url": f"/api/v1/inspections/{inspection.id}/penalties",
        "h": {u: bearer(issue_tokens(session, u)) for u in ("insp.owner", "sup.sy", "admin.sy")},
    }


def line_of(body, key):  # noqa: ANN001, ANN201
    return next(l for l in body["lines"] if l["rule_key"] == key)


def current(client, setup):  # noqa: ANN001, ANN201
    return client.get(setup["url"], headers=setup["h"]["sup.sy"]).get_json()


def override(client, setup, key, amount_fen):  # noqa: ANN001, ANN201
    line = line_of(current(client, setup), key)
    response = client.post(
        setup["url"] + f"/{line['id']}/override",
        headers=setup["h"]["sup.sy"],
        json={"amount_fen": amount_fen, "reason": REASON},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def recompute(client, setup, **body):  # noqa: ANN001, ANN201
    return client.post(setup["url"] + "/recompute", headers=setup["h"]["sup.sy"], json={"reason": "重新计算", **body})


def switch_to_air_law_115(client, setup):  # noqa: ANN001, ANN201
    # the district now applies 大气污染防治法第一百一十五条: the Henan-76 fine line is gone after a recompute
    response = client.put(
        "/api/v1/penalties/settings/410811",
        headers=setup["h"]["admin.sy"],
        json={"policy": {"construction_dust_basis": "air_law_115"}},
    )
    assert response.status_code == 200, response.get_json()


def test_an_override_in_range_is_carried_through_a_recompute_that_changes_the_computed_amount(client, setup):
    # medium 50% + 2 extra failed items 20% + repeat 25% = 95%: 20,000 + 80,000 x 0.95 = 96,000 yuan
    assert line_of(current(client, setup), FINE)["amount_fen"] == 9_600_000
    overridden = override(client, setup, FINE, 5_000_000)
    assert overridden["override"]["by"] == "sup.sy"

    response = recompute(client, setup, factors={"cooperation": True})  # -10%: the engine now says 88,000
    assert response.status_code == 200, response.get_json()
    fine = line_of(response.get_json(), FINE)
    assert fine["id"] != overridden["id"] and fine["amount_fen"] == 5_000_000 and fine["status"] == "computed"
    carried = fine["override"]
    assert (carried["amount_before_fen"], carried["amount_after_fen"]) == (8_800_000, 5_000_000)
    assert (carried["reason"], carried["by"], carried["at"]) == (
        REASON,
        "sup.sy",
        overridden["override"]["at"],
    )
    assert carried["carried_from"]["line_id"] == overridden["id"]
    assert "沿用" in fine["explanation"]["zh"][-1] and "carried over" in fine["explanation"]["en"][-1]
    again = current(client, setup)
    assert line_of(again, FINE)["amount_fen"] == 5_000_000
    assert again["totals"]["statutory_fine"]["fen"] == 5_000_000


def test_the_recompute_answer_shows_each_line_and_the_totals_before_and_after(client, setup):
    overridden = override(client, setup, FINE, 5_000_000)
    body = recompute(client, setup, factors={"cooperation": True}).get_json()
    diff = body["diff"]
    fine = next(l for l in diff["lines"] if l["rule_key"] == FINE)
    assert (fine["line_id_before"], fine["amount_before_fen"], fine["amount_after_fen"]) == (
        overridden["id"],
        5_000_000,
        5_000_000,
    )
    assert fine["override_carried"] is True and fine["override_dropped"] is False
    fiscal = next(l for l in diff["lines"] if l["rule_key"] == FISCAL)
    assert (fiscal["amount_before_fen"], fiscal["amount_after_fen"], fiscal["override_carried"]) == (
        30_000_000,
        30_000_000,
        False,
    )
    assert diff["totals_before"]["statutory_fine"] == {"fen": 5_000_000, "yuan": "50,000.00"}
    assert diff["totals_after"]["fiscal_deduction"]["fen"] == 30_000_000
    assert diff["previous_computation_id"] != diff["computation_id"] == body["computation"]["id"]
    assert [o["line_id"] for o in diff["overrides_carried"]] == [overridden["id"]]
    assert diff["overrides_dropped"] == []


def test_an_override_whose_line_is_gone_refuses_the_recompute_and_changes_nothing(client, session, setup):
    overridden = override(client, setup, FINE, 5_000_000)
    before = current(client, setup)
    switch_to_air_law_115(client, setup)
    response = recompute(client, setup)
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "overrides_no_longer_fit"
    assert [(o["line_id"], o["problem"]) for o in problem["overrides"]] == [(overridden["id"], "line_gone")]
    assert problem["overrides"][0]["message"]["zh"] and FINE in problem["message_en"]
    after = current(client, setup)
    assert after["computation"]["id"] == before["computation"]["id"]
    assert line_of(after, FINE)["amount_fen"] == 5_000_000
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "penalty.recompute")).all() == []


def test_drop_overrides_recomputes_without_them_under_the_reason_and_audits_it(client, session, setup):
    overridden = override(client, setup, FINE, 5_000_000)
    switch_to_air_law_115(client, setup)
    response = recompute(client, setup, reason="区政策改为适用大气法第115条，原调整不再适用", drop_overrides=True)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert all(l["override"] is None for l in body["lines"])
    assert FINE not in {l["rule_key"] for l in body["lines"]}
    gone = next(l for l in body["diff"]["lines"] if l["rule_key"] == FINE)
    assert (gone["line_id_after"], gone["amount_before_fen"], gone["override_dropped"]) == (None, 5_000_000, True)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "penalty.recompute")).one()
    assert entry.after["drop_overrides"] is True
    assert entry.after["reason"] == "区政策改为适用大气法第115条，原调整不再适用"
    assert [(o["line_id"], o["problem"]) for o in entry.after["overrides"]["dropped"]] == [
        (overridden["id"], "line_gone")
    ]
    assert entry.after["overrides"]["carried"] == []


def test_one_override_that_no_longer_fits_refuses_the_whole_recompute(client, session, setup):
    # the fiscal deduction is a fixed 100,000 yuan per failed measure: its only lawful total is 300,000
    fiscal = override(client, setup, FISCAL, 30_000_000)
    fine = override(client, setup, FINE, 5_000_000)
    before = current(client, setup)
    switch_to_air_law_115(client, setup)
    response = recompute(client, setup)
    assert response.status_code == 409
    assert [o["line_id"] for o in response.get_json()["overrides"]] == [fine["id"]]
    after = current(client, setup)
    assert after["computation"]["id"] == before["computation"]["id"]
    assert {l["id"]: l["amount_fen"] for l in after["lines"]} == {l["id"]: l["amount_fen"] for l in before["lines"]}
    assert line_of(after, FISCAL)["override"]["amount_after_fen"] == 30_000_000 == fiscal["amount_fen"]


def test_the_carried_override_is_recorded_in_the_recompute_audit_row(client, session, setup):
    overridden = override(client, setup, FINE, 5_000_000)
    body = recompute(client, setup, factors={"cooperation": True}).get_json()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "penalty.recompute")).one()
    carried = entry.after["overrides"]["carried"]
    assert [(c["line_id"], c["to_line_id"], c["amount_fen"], c["by"]) for c in carried] == [
        (overridden["id"], line_of(body, FINE)["id"], 5_000_000, "sup.sy")
    ]
    assert entry.after["drop_overrides"] is False


def test_parallel_recomputes_and_an_override_take_turns_and_lose_nothing(app, client, setup):
    """Recomputes and overrides of one inspection lock it first: no 500 from two current computations, and an
    override made meanwhile is never dropped (it lands on the current lines, and the next recompute carries it)."""
    import threading

    line_id = line_of(current(client, setup), FINE)["id"]
    barrier = threading.Barrier(3)
    statuses: list[int] = []

    def send(path: str, body: dict) -> None:  # noqa: ANN001
        own = app.test_client()
        barrier.wait()
        statuses.append(own.post(setup["url"] + path, headers=setup["h"]["sup.sy"], json=body).status_code)

    threads = [
        threading.Thread(target=send, args=("/recompute", {"reason": "重新计算一"})),
        threading.Thread(target=send, args=("/recompute", {"reason": "重新计算二"})),
        threading.Thread(target=send, args=(f"/{line_id}/override", {"amount_fen": 5_000_000, "reason": REASON})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(status in (200, 404) for status in statuses), statuses  # 404: the override's line was replaced first
    assert sorted(statuses).count(200) >= 2, statuses
    fine = line_of(current(client, setup), FINE)
    if 404 not in statuses:  # the override committed on a current line: every later recompute carried it
        assert fine["amount_fen"] == 5_000_000 and fine["override"] is not None
