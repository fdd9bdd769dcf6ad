"""Enforcement cases: opening on approval, every transition and its refusals, orders → tasks → re-inspection →
daily penalty with real dates, fiscal deductions (000§五(二)), timeline, scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.principal import Principal
from app.cases.case_file import load_case_file
from app.cases.models import Case
from app.cases.queries import case_of_inspection
from app.errors import NotFound
from app.inspections.models import Inspection
from app.penalties.computation import compute_penalties_for_inspection
from app.penalties.records import current_computation
from app.sites.models import Site
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import CST, dust_failures, make_construction_site, make_inspection, make_penalty_world

SEPT_1 = datetime(2026, 9, 1, 9, 0, tzinfo=CST)


@dataclass
class World:
    site_id: int
    headers: dict[str, dict[str, str]]
    users: dict[str, int]


@pytest.fixture()
def world(session, tree) -> World:  # noqa: ANN001
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    site = make_construction_site(session)
    users = {
        "insp": make_user(session, "insp", "inspector", ["410811"]),
        "insp_ba": make_user(session, "insp_ba", "inspector", ["410822"]),
        "sup": make_user(session, "sup", "supervisor", ["410811"]),
        "sup2": make_user(session, "sup2", "supervisor", ["410811"]),
        "sup_ba": make_user(session, "sup_ba", "supervisor", ["410822"]),
        "admin": make_user(session, "admin", "admin", ["410811"]),
    }
    session.commit()
    return World(
        site.id,
        {name: bearer(issue_tokens(session, name)) for name in users},
        {name: u.id for name, u in users.items()},
    )


def _inspection(session, world: World, *, started: datetime = SEPT_1, items=("hoarding",), **kw: Any) -> Inspection:  # noqa: ANN001
    site = session.get(Site, world.site_id)
    inspection = make_inspection(
        session, site, dust_failures(*items), started_at=started, created_by=kw.pop("created_by", world.users["insp"])
    )
    for name, value in kw.items():
        setattr(inspection, name, value)
    session.flush()
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    return inspection


def _approve(client, world: World, inspection: Inspection, who: str = "sup"):  # noqa: ANN001, ANN202
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/approve",
        json={},
        headers={**world.headers[who], "If-Match": f'"{inspection.version}"'},
    )
    assert response.status_code == 200, response.get_json()
    return response


def _case_id(session, inspection: Inspection) -> int:  # noqa: ANN001
    session.rollback()
    case = case_of_inspection(session, inspection.id)
    assert case is not None
    return case.id


def _get(client, world: World, case_id: int, who: str = "sup"):  # noqa: ANN001, ANN202
    return client.get(f"/api/v1/cases/{case_id}", headers=world.headers[who])


def _step(client, world: World, case_id: int, body: dict[str, Any], who: str = "sup", etag: str | None = None):  # noqa: ANN001, ANN202
    if etag is None:
        etag = _get(client, world, case_id).headers["ETag"]
    return client.post(
        f"/api/v1/cases/{case_id}/transitions", json=body, headers={**world.headers[who], "If-Match": etag}
    )


def _ok(response):  # noqa: ANN001, ANN202
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _set_statement_period(client, world: World, days: int = 3, unit: str = "working_days") -> None:  # noqa: ANN001
    response = client.put(
        "/api/v1/cases/settings/410811",
        json={"statement_period_days": days, "statement_period_unit": unit, "reason": "本局陈述申辩期限"},
        headers=world.headers["admin"],
    )
    assert response.status_code == 200, response.get_json()


# --------------------------------------------------------------------------------------------- opening
def test_approving_a_failed_inspection_opens_a_case_and_a_second_joins_it(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    body = _ok(_get(client, world, case_id))
    assert body["stage"] == "filing" and body["stage_zh"] == "立案"
    assert body["party"]["name"] == "测试建设有限公司" and body["party"]["kind"] == "unit"
    assert body["allowed_actions"] == ["approve_filing", "close"]
    second = _inspection(session, world, started=SEPT_1 + timedelta(days=1), items=("material_cover",))
    _approve(client, world, second)
    assert _case_id(session, second) == case_id
    assert len(_ok(_get(client, world, case_id))["inspections"]) == 2
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "case.open")) is not None


def test_an_inspection_without_failures_opens_no_case(client, session, world) -> None:  # noqa: ANN001
    clean = _inspection(session, world, items=())
    _approve(client, world, clean)
    session.rollback()
    assert session.scalars(select(Case)).all() == []


def test_a_retried_approval_does_not_open_a_second_membership(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    again = client.post(
        f"/api/v1/inspections/{first.id}/approve", json={}, headers={**world.headers["sup"], "If-Match": '"2"'}
    )
    assert again.status_code == 200
    assert len(_ok(_get(client, world, _case_id(session, first)))["inspections"]) == 1


# --------------------------------------------------------------------------------------------- scope and roles
def test_cross_district_ids_answer_404_and_inspectors_never_see_a_case(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    assert _get(client, world, case_id, "sup_ba").status_code == 404
    assert client.get(f"/api/v1/cases/{case_id}/timeline", headers=world.headers["sup_ba"]).status_code == 404
    assert _step(client, world, case_id, {"action": "approve_filing"}, "sup_ba", '"1"').status_code == 404
    assert _get(client, world, case_id, "insp").status_code == 403
    assert client.get("/api/v1/cases", headers=world.headers["sup_ba"]).get_json()["items"] == []


# --------------------------------------------------------------------------------------------- transitions
def test_filing_refusals_wrong_role_own_inspection_stale_and_missing_if_match(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world, created_by=world.users["sup2"])
    _approve(client, world, first)
    case_id = _case_id(session, first)
    wrong_role = _step(client, world, case_id, {"action": "approve_filing"}, "admin")
    assert wrong_role.status_code == 403 and wrong_role.get_json()["code"] == "case_wrong_role"
    own = _step(client, world, case_id, {"action": "approve_filing"}, "sup2")
    assert own.status_code == 403 and own.get_json()["code"] == "own_inspection"
    stale = _step(client, world, case_id, {"action": "approve_filing"}, etag='"7"')
    assert stale.status_code == 412 and stale.get_json()["code"] == "case_version_stale"
    missing = client.post(
        f"/api/v1/cases/{case_id}/transitions", json={"action": "approve_filing"}, headers=world.headers["sup"]
    )
    assert missing.status_code == 428
    wrong_state = _step(client, world, case_id, {"action": "decide", "fine_fen": 1})
    assert wrong_state.status_code == 409 and wrong_state.get_json()["code"] == "case_wrong_stage"
    filed = _step(client, world, case_id, {"action": "approve_filing", "on_date": "2026-09-03"})
    body = _ok(filed)
    assert body["stage"] == "investigation" and body["stages"]["filed_on"] == "2026-09-03"
    assert filed.headers["ETag"] == '"2"'
    # a retry of the step whose answer was lost answers the same, once
    retry = _step(client, world, case_id, {"action": "approve_filing", "on_date": "2026-09-03"}, etag='"1"')
    assert retry.status_code == 200 and retry.headers["ETag"] == '"2"'
    session.rollback()
    audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.approve_filing")).all()
    assert len(audits) == 1 and audits[0].after["filed_on"] == "2026-09-03"


def test_the_whole_procedure_with_deadlines_across_the_national_day_week(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    _ok(_step(client, world, case_id, {"action": "approve_filing", "on_date": "2026-09-03"}))
    notice = _ok(_step(client, world, case_id, {"action": "serve_notice", "on_date": "2026-09-29"}))
    assert notice["stage"] == "notice" and notice["hearing_right"] is True  # no threshold set: the right is offered
    assert notice["proposed_fine_fen"] == notice["penalty_totals_fen"]["statutory_fine"] > 0
    deadlines = {d["key"]: d for d in notice["deadlines"]}
    # 5 working days from Tue 09-29 skip the 10-01..10-07 holiday and count Saturday 10-10 (调休): 10-12
    assert deadlines["hearing_request"]["due_on"] == "2026-10-12"
    assert deadlines["hearing_request"]["rule"] == "working_days"
    assert deadlines["statement"]["due_on"] is None  # no jurisdiction setting: not computable, never invented
    # the decision waits for the periods (行政处罚法第六十二条)
    early = _step(client, world, case_id, {"action": "decide", "on_date": "2026-10-13", "fine_fen": 6_000_000})
    assert early.status_code == 409 and early.get_json()["code"] == "rights_period_running"
    assert early.get_json()["waiting_for"] == ["statement"]
    _set_statement_period(client, world)
    late_hearing = _step(client, world, case_id, {"action": "request_hearing", "on_date": "2026-10-13"})
    assert late_hearing.status_code == 409 and late_hearing.get_json()["code"] == "deadline_expired"
    assert late_hearing.get_json()["deadline"] == "2026-10-12"
    decided = _ok(
        _step(
            client, world, case_id,
            {"action": "decide", "on_date": "2026-10-13", "fine_fen": 6_000_000, "measures": ["责令改正"]},
        )
    )  # fmt: skip
    assert decided["stage"] == "decision" and decided["decided_fine_fen"] == 6_000_000
    served = _ok(_step(client, world, case_id, {"action": "serve_decision", "on_date": "2026-10-14"}))
    payment = next(d for d in served["deadlines"] if d["key"] == "payment")
    assert (payment["due_on"], payment["rule"]) == ("2026-10-29", "calendar_days")
    unpaid = _step(client, world, case_id, {"action": "close", "on_date": "2026-10-30"})
    assert unpaid.status_code == 409 and unpaid.get_json()["code"] == "case_not_settled"
    overdue = _ok(client.get("/api/v1/cases/overdue", headers=world.headers["sup"]))["items"]
    assert [(i["case_id"], i["kind"], i["due_on"]) for i in overdue] == [(case_id, "payment", "2026-10-29")]
    backwards = _step(client, world, case_id, {"action": "record_payment", "on_date": "2026-10-01", "amount_fen": 1})
    assert backwards.status_code == 422
    _ok(_step(client, world, case_id, {"action": "record_payment", "on_date": "2026-10-28", "amount_fen": 6_000_000}))
    closed = _ok(_step(client, world, case_id, {"action": "close", "on_date": "2026-10-30"}))
    assert closed["stage"] == "closed" and closed["allowed_actions"] == []
    timeline = _ok(client.get(f"/api/v1/cases/{case_id}/timeline", headers=world.headers["sup"]))
    # in date order; the approval itself was made today (the test back-dates the legal steps)
    kinds = [e["kind"] for e in timeline["entries"] if e["kind"] != "inspection_approve"]
    assert kinds[0] == "inspection" and kinds[-1] == "close"
    for kind in ("opened", "approve_filing", "serve_notice", "decide", "serve_decision", "record_payment"):
        assert kind in kinds
    decide = next(e for e in timeline["entries"] if e["kind"] == "decide")
    assert decide["on_date"] == "2026-10-13" and decide["data"]["decided_fine_fen"] == 6_000_000
    inspection = next(e for e in timeline["entries"] if e["kind"] == "inspection")
    assert inspection["data"]["failed_items"] == ["hoarding"] and inspection["data"]["penalty_lines"]


def test_a_hearing_requested_in_time_is_recorded_and_lets_the_decision_follow(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    _ok(_step(client, world, case_id, {"action": "approve_filing", "on_date": "2026-09-03"}))
    _ok(_step(client, world, case_id, {"action": "serve_notice", "on_date": "2026-09-29"}))
    body = _ok(_step(client, world, case_id, {"action": "request_hearing", "on_date": "2026-10-12"}))
    assert body["stage"] == "notice" and body["stages"]["hearing_requested_on"] == "2026-10-12"
    _ok(_step(client, world, case_id, {"action": "decide", "on_date": "2026-10-20", "fine_fen": 5_000_000}))


def test_closing_without_a_penalty_needs_a_reason(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    assert _step(client, world, case_id, {"action": "close"}).status_code == 422
    body = _ok(_step(client, world, case_id, {"action": "close", "reason": "违法事实不能成立，不予立案"}))
    assert body["stage"] == "closed" and body["close_reason"].startswith("违法事实")


# --------------------------------------------------------------------------------------------- party
def test_party_edit_is_audited_and_id_numbers_are_masked_in_listings(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    response = client.patch(
        f"/api/v1/cases/{case_id}/party",
        json={"kind": "individual", "name": "张某", "id_number": "410811199001011239", "credit_code": None},
        headers={**world.headers["sup"], "If-Match": '"1"'},
    )
    body = _ok(response)
    assert body["party"]["id_number"] == "410811199001011239" and response.headers["ETag"] == '"2"'
    [listed] = _ok(client.get("/api/v1/cases", headers=world.headers["sup"]))["items"]
    assert listed["party"]["id_number"] == "410*************39"
    session.rollback()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "case.party_edit"))
    assert entry.before["name"] == "测试建设有限公司" and entry.after["name"] == "张某"


def test_party_edit_with_a_reason_shows_in_the_timeline_and_the_audit(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    response = client.patch(
        f"/api/v1/cases/{case_id}/party",
        json={"name": "焦作某建设有限公司", "legal_representative": "王五", "reason": "据营业执照更正名称"},
        headers={**world.headers["sup"], "If-Match": '"1"'},
    )
    assert _ok(response)["party"]["legal_representative"] == "王五"
    timeline = _ok(client.get(f"/api/v1/cases/{case_id}/timeline", headers=world.headers["sup"]))
    (edited,) = [e for e in timeline["entries"] if e["kind"] == "party_edited"]
    assert edited["data"]["reason"] == "据营业执照更正名称" and edited["data"]["after"]["name"] == "焦作某建设有限公司"
    session.rollback()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "case.party_edit"))
    assert entry.after["reason"] == "据营业执照更正名称"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("credit_code", "91410811LTDM00010B", "credit_code_check"),  # GB 32100 check character
        ("id_number", "410811199001011234", "id_number_check_failed"),  # GB 11643 check character
    ],
)
def test_party_identifiers_must_pass_their_check_characters(client, session, world, field, value, code) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    response = client.patch(
        f"/api/v1/cases/{case_id}/party", json={field: value}, headers={**world.headers["sup"], "If-Match": '"1"'}
    )
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert {(e["path"], e["code"]) for e in response.get_json()["errors"]} == {(field, code)}
    assert client.get(f"/api/v1/cases/{case_id}", headers=world.headers["sup"]).headers["ETag"] == '"1"'


# --------------------------------------------------------------------------------------------- the chain
def test_deadline_task_reinspection_daily_penalty_from_the_orders_real_date(client, session, world) -> None:  # noqa: ANN001
    # The first inspection was made on 09-01 but submitted only on 09-20; the order to correct was decided
    # on 09-02 with a deadline of 09-09; the re-inspection on 09-15 still finds the hoarding missing.
    first = _inspection(session, world, submitted_at=datetime(2026, 9, 20, 10, 0, tzinfo=CST))
    _approve(client, world, first)
    case_id = _case_id(session, first)
    order = client.post(
        f"/api/v1/cases/{case_id}/orders",
        json={"decided_on": "2026-09-02", "served_on": "2026-09-02", "deadline": "2026-09-09"},
        headers={**world.headers["sup"], "If-Match": '"1"'},
    )
    body = _ok(order)
    [recorded] = body["orders"]
    assert (recorded["decided_on"], recorded["deadline"], recorded["item_keys"]) == (
        "2026-09-02", "2026-09-09", ["hoarding"],
    )  # fmt: skip
    # the deadline has passed: a task for the site's inspectors, in the task list and in the phone's feed
    [task] = _ok(client.get("/api/v1/tasks", headers=world.headers["insp"]))["items"]
    assert task["reinspection_of"] == str(first.id) and task["deadline"] == "2026-09-09"
    assert task["days_overdue"] > 0 and task["item_keys"] == ["hoarding"]
    feed = _ok(client.get("/api/v1/inspections", headers=world.headers["insp"]))
    assert [t["order_id"] for t in feed["tasks"]] == [task["order_id"]]
    assert _ok(client.get("/api/v1/tasks", headers=world.headers["insp_ba"]))["items"] == []
    overdue = _ok(client.get("/api/v1/cases/overdue", headers=world.headers["sup"]))["items"]
    assert [(i["kind"], i["order_id"]) for i in overdue] == [("correction", task["order_id"])]

    again = _inspection(session, world, started=datetime(2026, 9, 15, 9, 0, tzinfo=CST), reinspection_of_id=first.id)
    session.rollback()
    computation = current_computation(session, again.id)
    daily = next(l for l in computation.lines if l.rule_key == "fine.henan_76_construction_dust")
    # 13 days: from 09-03 (the day after the order) through 09-15 — not zero, as counting from the
    # earlier inspection's late submission (09-20) would give
    assert (daily.unit, daily.daily_days) == ("per_day", 13)
    assert "measure.stop_work_construction_dust" in [l.rule_key for l in computation.lines]  # refusal to correct
    reinspection = computation.context["reinspection"]
    assert reinspection["order_to_correct_date"] == "2026-09-02"
    assert reinspection["order_date_source"].startswith("recorded order")

    _approve(client, world, again)
    assert _case_id(session, again) == case_id
    case = _ok(_get(client, world, case_id))
    assert case["orders"][0]["status"] == "refused" and case["orders"][0]["outcome_on"] == "2026-09-15"
    assert case["orders"][0]["reinspection_id"] == str(again.id)
    assert _ok(client.get("/api/v1/tasks", headers=world.headers["insp"]))["items"] == []
    timeline = _ok(client.get(f"/api/v1/cases/{case_id}/timeline", headers=world.headers["sup"]))
    refused = next(e for e in timeline["entries"] if e["kind"] == "order_refused")
    assert refused["data"]["daily_penalties"][0]["days"] == 13


def test_an_order_in_execution_refused_reopens_investigation_for_the_daily_penalty(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    _set_statement_period(client, world)
    for body in (
        {"action": "approve_filing", "on_date": "2026-09-02"},
        {"action": "serve_notice", "on_date": "2026-09-02", "hearing_right": False},
        {"action": "decide", "on_date": "2026-09-20", "fine_fen": 6_000_000},
        {"action": "serve_decision", "on_date": "2026-09-21"},
    ):
        _ok(_step(client, world, case_id, body))
    etag = _get(client, world, case_id).headers["ETag"]
    _ok(
        client.post(
            f"/api/v1/cases/{case_id}/orders",
            json={"decided_on": "2026-09-21", "deadline": "2026-09-28"},
            headers={**world.headers["sup"], "If-Match": etag},
        )
    )
    again = _inspection(session, world, started=datetime(2026, 10, 9, 9, 0, tzinfo=CST), reinspection_of_id=first.id)
    _approve(client, world, again)
    case = _ok(_get(client, world, case_id))
    assert case["stage"] == "investigation" and case["round"] == 2


def test_a_passed_reinspection_marks_the_order_complied(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    _ok(
        client.post(
            f"/api/v1/cases/{case_id}/orders",
            json={"decided_on": "2026-09-01", "deadline": "2026-09-05"},
            headers={**world.headers["sup"], "If-Match": '"1"'},
        )
    )
    again = _inspection(
        session, world, started=datetime(2026, 9, 8, 9, 0, tzinfo=CST), items=(), reinspection_of_id=first.id
    )
    _approve(client, world, again)
    assert _ok(_get(client, world, case_id))["orders"][0]["status"] == "complied"


def test_order_dates_are_checked(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    response = client.post(
        f"/api/v1/cases/{case_id}/orders",
        json={"decided_on": "2026-08-30", "deadline": "2026-08-29", "item_keys": ["material_cover"]},
        headers={**world.headers["sup"], "If-Match": '"1"'},
    )
    assert response.status_code == 422
    codes = {e["code"] for e in response.get_json()["errors"]}
    assert codes == {"before_inspection", "before_decision", "not_failed"}


# --------------------------------------------------------------------------------------------- fiscal deductions
def test_a_fiscal_deduction_opens_against_the_sub_district_apart_from_the_case(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    [row] = _ok(client.get("/api/v1/fiscal-deductions", headers=world.headers["sup"]))["items"]
    assert row["subdistrict"]["code"] == "410811001" and row["amount_fen"] == 10_000_000
    assert row["basis"] == "000§五(二)" and row["status"] == "open"
    assert _ok(client.get("/api/v1/fiscal-deductions", headers=world.headers["sup_ba"]))["items"] == []
    url = f"/api/v1/fiscal-deductions/{row['id']}"
    assert client.get(url, headers=world.headers["sup_ba"]).status_code == 404
    early = client.post(f"{url}/settle", json={}, headers={**world.headers["sup"], "If-Match": '"1"'})
    assert early.status_code == 409
    notified = client.post(
        f"{url}/notify", json={"on_date": "2026-09-05"}, headers={**world.headers["sup"], "If-Match": '"1"'}
    )
    assert _ok(notified)["status"] == "notified" and notified.headers["ETag"] == '"2"'
    stale = client.post(f"{url}/settle", json={}, headers={**world.headers["sup"], "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (
        _ok(client.post(f"{url}/settle", json={}, headers={**world.headers["sup"], "If-Match": '"2"'}))["status"]
        == "settled"
    )


def test_the_case_file_gives_other_features_every_fact(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    _ok(
        client.post(
            f"/api/v1/cases/{case_id}/orders",
            json={"decided_on": "2026-09-02", "served_on": "2026-09-03", "deadline": "2026-09-09"},
            headers={**world.headers["sup"], "If-Match": '"1"'},
        )
    )
    _ok(_step(client, world, case_id, {"action": "approve_filing", "on_date": "2026-09-03"}))
    session.rollback()
    sup = Principal(world.users["sup"], "sup", "supervisor", ("/410000/410800/410811/",))
    facts = load_case_file(session, sup, case_id)
    assert facts.party.name == "测试建设有限公司" and facts.authority.code == "410811"
    [inspection] = facts.inspections
    assert inspection.failed_items == ("hoarding",) and inspection.on_date.isoformat() == "2026-09-01"
    assert {l.kind for l in inspection.lines} >= {"statutory_fine", "fiscal_deduction"}
    [order] = facts.orders
    assert (order.decided_on.isoformat(), order.served_on.isoformat(), order.deadline.isoformat()) == (
        "2026-09-02", "2026-09-03", "2026-09-09",
    )  # fmt: skip
    assert facts.stages.filed_on.isoformat() == "2026-09-03"
    assert [d.key for d in facts.deadlines] == ["correction"]
    other = Principal(world.users["sup_ba"], "sup_ba", "supervisor", ("/410000/410800/410822/",))
    with pytest.raises(NotFound):
        load_case_file(session, other, case_id)


def test_admins_configure_but_do_not_act_on_orders_parties_or_deductions(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    case_id = _case_id(session, first)
    admin = {**world.headers["admin"], "If-Match": '"1"'}
    for method, url, body in (
        ("POST", f"/api/v1/cases/{case_id}/orders", {"decided_on": "2026-09-02", "deadline": "2026-09-09"}),
        ("PATCH", f"/api/v1/cases/{case_id}/party", {"name": "某公司"}),
        ("POST", "/api/v1/fiscal-deductions/1/notify", {}),
    ):
        response = client.open(url, method=method, json=body, headers=admin)
        assert response.status_code == 403 and response.get_json()["code"] == "case_wrong_role", url


# --------------------------------------------------------------------------------------------- listing
def test_cases_list_in_pages_newest_first_with_filters_and_scope(client, session, world) -> None:  # noqa: ANN001
    first = _inspection(session, world)
    _approve(client, world, first)
    inspections = [first]
    for n in (2, 3):
        site = make_construction_site(session, name=f"第{n}工地")
        session.commit()
        inspection = make_inspection(
            session, site, dust_failures("hoarding"), started_at=SEPT_1, created_by=world.users["insp"]
        )
        compute_penalties_for_inspection(session, inspection)
        session.commit()
        _approve(client, world, inspection)
        inspections.append(inspection)
    case_ids = [_case_id(session, i) for i in inspections]
    assert len(set(case_ids)) == 3

    page1 = _ok(client.get("/api/v1/cases?limit=2", headers=world.headers["sup"]))
    assert [c["id"] for c in page1["items"]] == sorted(case_ids, reverse=True)[:2]
    assert page1["next_cursor"]
    page2 = _ok(client.get(f"/api/v1/cases?limit=2&cursor={page1['next_cursor']}", headers=world.headers["sup"]))
    assert [c["id"] for c in page2["items"]] == [min(case_ids)] and page2["next_cursor"] is None

    by_inspection = _ok(client.get(f"/api/v1/cases?inspection_id={inspections[1].id}", headers=world.headers["sup"]))
    assert [c["id"] for c in by_inspection["items"]] == [case_ids[1]]
    by_site = _ok(client.get(f"/api/v1/cases?site_id={world.site_id}", headers=world.headers["sup"]))
    assert [c["id"] for c in by_site["items"]] == [case_ids[0]]

    # A cursor belongs to its query: reused with another filter it is refused, not silently misapplied.
    wrong = client.get(f"/api/v1/cases?stage=filing&cursor={page1['next_cursor']}", headers=world.headers["sup"])
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    assert wrong.get_json()["code"] == "invalid_cursor"
    garbage = client.get("/api/v1/cases?cursor=%%%", headers=world.headers["sup"])
    assert garbage.status_code == 422 and garbage.get_json()["code"] == "invalid_cursor"
    too_many = client.get("/api/v1/cases?limit=201", headers=world.headers["sup"])
    assert too_many.status_code == 422 and too_many.mimetype == "application/problem+json"
    other = _ok(client.get(f"/api/v1/cases?inspection_id={inspections[1].id}", headers=world.headers["sup_ba"]))
    assert other["items"] == [] and other["next_cursor"] is None
