"""Documents issued from a case (POST /documents with case_id): a case walked through its stages with the case
API, each kind issued from it and read back (pypdf): the case's party, the order's real dates, the decided fine
in figures and 大写; stage preconditions named with every reason; the case's page and timeline list its
documents; scope; retries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.cases.queries import case_of_inspection
from app.documents.chinese import amount_in_figures, amount_in_words
from app.documents.models import Document
from app.inspections.models import Inspection
from app.penalties.computation import compute_penalties_for_inspection, recompute_inspection_penalties
from tests.api.test_documents_api import pdf_of, put_settings, render_all
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_documents import make_officered_inspection, pdf_text
from tests.factories_penalties import CST, dust_failures, make_construction_site, make_inspection, make_penalty_world

PARTY = "焦作市山阳区示例建设集团有限公司"  # the case's corrected party, not the site's operator
DECIDED_FEN = 4_321_000  # 肆万叁仟贰佰壹拾元整: not what the lines propose
ONSITE = {
    "onsite": {"present_name": "赵六", "present_role": "项目经理", "statement": "情况属实", "signature": "signed"}
}


@pytest.fixture()
def world(session, tree, client):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    insp = make_user(session, "insp.a", "inspector", ["410811"])
    insp_b = make_user(session, "insp.b", "inspector", ["410811"])
    sup = make_user(session, "sup.sy", "supervisor", ["410811"])
    make_user(session, "sup.ba", "supervisor", ["410822"])
    make_user(session, "admin.sy", "admin", ["410811"])
    site = make_construction_site(session)
    officers = [(insp.id, "张三", "豫执A-0001"), (insp_b.id, "李四", "豫执B-0002")]
    inspection = make_officered_inspection(
        session, site, dust_failures("hoarding", "material_cover", "vehicle_wash"), insp.id, officers
    )
    compute_penalties_for_inspection(session, inspection)
    recompute_inspection_penalties(session, inspection, "市级督查组发现", {"finder_level": "city"})
    other = make_officered_inspection(session, site, dust_failures("hoarding"), insp.id, officers)
    session.commit()
    headers = {u: bearer(issue_tokens(session, u)) for u in ("insp.a", "sup.sy", "sup.ba", "admin.sy")}
    world = {
        "inspection": str(inspection.id),
        "other_inspection": str(other.id),
        "site_operator": site.operator_name,
        "sup_id": sup.id,
        "h": headers,
    }
    put_settings(client, world)
    r = client.post(
        f"/api/v1/inspections/{inspection.id}/approve",
        json={},
        headers={**headers["sup.sy"], "If-Match": f'"{inspection.version}"'},
    )
    assert r.status_code == 200, r.get_json()
    session.rollback()
    case = case_of_inspection(session, inspection.id)
    assert case is not None
    world["case"] = case.id
    return world


def _case(client, world) -> dict[str, Any]:  # noqa: ANN001
    r = client.get(f"/api/v1/cases/{world['case']}", headers=world["h"]["sup.sy"])
    assert r.status_code == 200, r.get_json()
    return {"body": r.get_json(), "etag": r.headers["ETag"]}


def _case_post(client, world, path: str, body: dict[str, Any], method: str = "post") -> dict[str, Any]:  # noqa: ANN001
    headers = {**world["h"]["sup.sy"], "If-Match": _case(client, world)["etag"]}
    r = getattr(client, method)(f"/api/v1/cases/{world['case']}{path}", json=body, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _step(client, world, action: str, on_date: str, **extra: Any) -> dict[str, Any]:  # noqa: ANN001
    return _case_post(client, world, "/transitions", {"action": action, "on_date": on_date, **extra})


def issue_from_case(client, world, kind, *, who="sup.sy", doc_id=None, **extra):  # noqa: ANN001, ANN201
    body = {"id": doc_id or str(uuid.uuid4()), "kind": kind, "case_id": world["case"], **extra}
    return client.post("/api/v1/documents", json=body, headers=world["h"][who])


def _issued(response) -> dict[str, Any]:  # noqa: ANN001
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _blocked(response) -> set[str]:  # noqa: ANN001
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "document_blocked"
    return {e["code"] for e in body["errors"]}


def test_a_case_walked_through_its_stages_issues_each_kind_with_the_cases_facts(app, session, client, world):  # noqa: ANN001
    _case_post(
        client,
        world,
        "/party",
        {"name": PARTY, "legal_representative": "王五", "address": "焦作市山阳区建设路8号"},
        method="patch",
    )
    record = _issued(issue_from_case(client, world, "inspection_record", fields=ONSITE))
    assert record["case_id"] == world["case"] and record["inspection_id"] == world["inspection"]

    # 行政处罚法第二十八条: the order printed is the one the case records, so none can be issued before it.
    assert "case_order_not_recorded" in _blocked(issue_from_case(client, world, "order_to_correct"))
    _case_post(
        client, world, "/orders", {"decided_on": "2026-11-21", "served_on": "2026-11-22", "deadline": "2026-11-27"}
    )
    order = _issued(issue_from_case(client, world, "order_to_correct"))

    # Before 立案 neither a notice nor a decision; the decision also waits for the case's decision.
    assert {"case_not_filed"} <= _blocked(issue_from_case(client, world, "advance_notice"))
    assert {"case_not_filed", "case_not_decided"} <= _blocked(issue_from_case(client, world, "penalty_decision"))
    _step(client, world, "approve_filing", "2026-11-23")
    notice_step = _step(client, world, "serve_notice", "2026-11-24")
    notice = _issued(issue_from_case(client, world, "advance_notice"))
    assert "case_not_decided" in _blocked(issue_from_case(client, world, "penalty_decision"))
    decided = _step(
        client, world, "decide", "2026-11-25", fine_fen=DECIDED_FEN, measures=["责令停止违法行为"], rights_waived=True
    )
    assert decided["decided_fine_fen"] == DECIDED_FEN != notice_step["proposed_fine_fen"]
    decision = _issued(issue_from_case(client, world, "penalty_decision"))
    assert "case_already_decided" in _blocked(issue_from_case(client, world, "advance_notice"))
    _step(client, world, "serve_decision", "2026-11-26")
    render_all(app, session)  # only an issued (rendered) document can be served
    service = {
        "method": "direct",
        "served_at": "2026-11-26T10:30:00+08:00",
        "place": "工地项目部",
        "servers": ["张三", "李四"],
    }
    proof = _issued(
        issue_from_case(
            client, world, "service_record", references={"served": [decision["id"]]}, fields={"service": service}
        )
    )
    fiscal = _issued(issue_from_case(client, world, "fiscal_deduction_notice"))
    render_all(app, session)

    order_pdf = pdf_text(pdf_of(client, world, order["id"]))
    assert PARTY in order_pdf and world["site_operator"] not in order_pdf
    assert "焦作市山阳区建设路8号" in order_pdf and "王五" in order_pdf
    # the order's real dates: decided (also its sign-off date), served, deadline
    assert "本决定于2026年11月21日作出，于2026年11月22日送达" in order_pdf
    assert "于2026年11月27日之前改正完毕" in order_pdf

    notice_pdf = pdf_text(pdf_of(client, world, notice["id"]))
    assert PARTY in notice_pdf and order["number"] in notice_pdf and "2026年11月21日" in notice_pdf
    proposed = notice_step["proposed_fine_fen"]
    assert amount_in_words(proposed) in notice_pdf and amount_in_figures(proposed) in notice_pdf
    # deadlines counted from the notice's service: 5 working days for a hearing request (第六十四条)
    assert "本告知书于2026年11月24日送达" in notice_pdf and "听证申请期限至2026年12月1日止" in notice_pdf

    decision_pdf = pdf_text(pdf_of(client, world, decision["id"]))
    assert PARTY in decision_pdf and world["site_operator"] not in decision_pdf
    assert amount_in_words(DECIDED_FEN) == "肆万叁仟贰佰壹拾元整"
    assert "罚款人民币肆万叁仟贰佰壹拾元整（¥43,210.00元）；责令停止违法行为" in decision_pdf
    assert (
        amount_in_words(proposed) not in decision_pdf.split("二、行政处罚的依据")[1].split("三、")[0].split("决定")[-1]
    )
    assert order["number"] in decision_pdf and notice["number"] in decision_pdf
    assert "责令改正决定于2026年11月22日送达你单位，改正期限至2026年11月27日" in decision_pdf
    assert "明确放弃陈述、申辩和听证的权利" in decision_pdf
    assert "2026年11月25日" in decision_pdf  # the decision date it states (第五十九条第一款第六项)

    proof_pdf = pdf_text(pdf_of(client, world, proof["id"]))
    assert decision["number"] in proof_pdf and f"受送达人{PARTY}" in proof_pdf  # the case's party by default
    assert pdf_text(pdf_of(client, world, fiscal["id"]))

    issued = [record, order, notice, decision, proof, fiscal]
    rows = session.scalars(select(Document).where(Document.case_id == world["case"])).all()
    assert {str(d.id) for d in rows} == {d["id"] for d in issued}
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "document.issue")).all()
    assert {a.after["case_id"] for a in audit} == {world["case"]}

    # The case records which documents were issued, when and by whom; a void shows there too.
    r = client.post(
        f"/api/v1/documents/{order['id']}/void", json={"reason": "文号录入错误"}, headers=world["h"]["sup.sy"]
    )
    assert r.status_code == 200, r.get_json()
    timeline = client.get(f"/api/v1/cases/{world['case']}/timeline", headers=world["h"]["sup.sy"]).get_json()
    entries = [e for e in timeline["entries"] if e["kind"] == "document"]
    assert [e["data"]["kind"] for e in entries] == [d["kind"] for d in issued]
    assert [e["data"]["number"] for e in entries] == [d["number"] for d in issued]
    assert {e["by"] for e in entries} == {world["sup_id"]}
    states = {e["data"]["kind"]: e["data"]["state"] for e in entries}
    assert states["order_to_correct"] == "voided" and states["penalty_decision"] == "issued"
    assert all(e["data"]["issued_at"] and e["on_date"] for e in entries)
    page = _case(client, world)["body"]
    assert [(d["kind"], d["number"], d["state"]) for d in page["documents"]] == [
        (e["data"]["kind"], e["data"]["number"], e["data"]["state"]) for e in entries
    ]
    assert page["documents"][1]["voided_at"] and page["documents"][1]["void_reason"] == "文号录入错误"


def test_a_case_document_is_blocked_with_every_reason(session, client, world):  # noqa: ANN001
    reasons = _blocked(issue_from_case(client, world, "daily_penalty_decision"))
    # 立案 (第五十四条), the original decision (令28 第七条第二款), a refused order (令28 第十三条), and the
    # jurisdiction's type code for the daily decision is set (SETTINGS): nothing else is invented.
    assert {"case_not_filed", "case_not_decided", "order_not_refused"} <= reasons
    no_number = session.scalar(select(Document.id).where(Document.case_id == world["case"]))
    assert no_number is None


def test_scope_a_supervisor_of_another_county_cannot_issue_from_the_case(session, client, world):  # noqa: ANN001
    r = issue_from_case(client, world, "inspection_record", who="sup.ba", fields=ONSITE)
    assert r.status_code == 404 and r.get_json()["code"] == "case_not_found"
    r = client.get(f"/api/v1/cases/{world['case']}/timeline", headers=world["h"]["sup.ba"])
    assert r.status_code == 404
    assert session.scalar(select(Document.id)) is None


def test_the_inspection_named_must_belong_to_the_case_and_one_of_them_is_required(client, world):  # noqa: ANN001
    r = issue_from_case(client, world, "inspection_record", inspection_id=world["other_inspection"], fields=ONSITE)
    assert r.status_code == 422
    assert [e["code"] for e in r.get_json()["errors"]] == ["not_in_case"]
    r = client.post(
        "/api/v1/documents",
        json={"id": str(uuid.uuid4()), "kind": "inspection_record", "fields": ONSITE},
        headers=world["h"]["sup.sy"],
    )
    assert r.status_code == 422
    consistent = issue_from_case(client, world, "inspection_record", inspection_id=world["inspection"], fields=ONSITE)
    assert _issued(consistent)["case_id"] == world["case"]


def _record_legal_representative(client, world) -> None:  # noqa: ANN001
    _case_post(client, world, "/party", {"legal_representative": "王五"}, method="patch")


def test_a_unit_party_without_its_legal_representative_is_asked_for_before_the_order(client, world):  # noqa: ANN001
    # 令28 第九条（一）: the order names the unit's 法定代表人或者主要负责人; the site records only its operator, so the
    # supervisor records it on the case (audited) and only then is the order issued — never with a gap printed.
    _case_post(
        client, world, "/orders", {"decided_on": "2026-11-21", "served_on": "2026-11-22", "deadline": "2026-11-27"}
    )
    assert _blocked(issue_from_case(client, world, "order_to_correct")) == {"legal_representative_missing"}
    _record_legal_representative(client, world)
    order = _issued(issue_from_case(client, world, "order_to_correct"))
    assert order["number"]


def test_a_retried_issue_from_the_case_returns_the_same_document(client, world):  # noqa: ANN001
    _case_post(
        client, world, "/orders", {"decided_on": "2026-11-21", "served_on": "2026-11-22", "deadline": "2026-11-27"}
    )
    _record_legal_representative(client, world)
    doc_id = str(uuid.uuid4())
    first = _issued(issue_from_case(client, world, "order_to_correct", doc_id=doc_id))
    again = issue_from_case(client, world, "order_to_correct", doc_id=doc_id)
    assert again.status_code == 200 and again.get_json()["number"] == first["number"]
    assert again.get_json()["id"] == doc_id
    other_kind = issue_from_case(client, world, "advance_notice", doc_id=doc_id)
    assert other_kind.status_code == 409 and other_kind.get_json()["code"] == "document_id_taken"
    page = _case(client, world)["body"]
    assert [d["number"] for d in page["documents"]] == [first["number"]]
    listed = client.get(f"/api/v1/documents?case_id={world['case']}", headers=world["h"]["sup.sy"]).get_json()
    assert [d["id"] for d in listed] == [doc_id]
    of_kind = client.get("/api/v1/documents?kind=advance_notice", headers=world["h"]["sup.sy"]).get_json()
    assert of_kind == []
    elsewhere = client.get(f"/api/v1/documents?case_id={world['case']}", headers=world["h"]["sup.ba"]).get_json()
    assert elsewhere == []  # 博爱县 sees nothing of 山阳区's case
    bad = client.get("/api/v1/documents?case_id=0&kind=letter", headers=world["h"]["sup.sy"])
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"


def test_a_daily_penalty_is_issued_from_the_refused_order_and_the_original_decision(app, session, client, world):  # noqa: ANN001
    _record_legal_representative(client, world)
    _case_post(
        client, world, "/orders", {"decided_on": "2026-11-21", "served_on": "2026-11-22", "deadline": "2026-11-27"}
    )
    _step(client, world, "approve_filing", "2026-11-23")
    _step(client, world, "serve_notice", "2026-11-24")
    _step(client, world, "decide", "2026-11-25", fine_fen=DECIDED_FEN, rights_waived=True)
    _step(client, world, "serve_decision", "2026-11-26")
    assert "order_not_refused" in _blocked(issue_from_case(client, world, "daily_penalty_decision"))
    decision = _issued(issue_from_case(client, world, "penalty_decision"))
    render_all(app, session)
    # 令28 第十三条: the re-inspection on 11-28 finds the hoarding still missing (拒不改正).
    first = session.get(Inspection, uuid.UUID(world["inspection"]))
    again = make_inspection(
        session, first.site, dust_failures("hoarding"), started_at=datetime(2026, 11, 28, 9, 0, tzinfo=CST),
        created_by=first.created_by_id,
    )  # fmt: skip
    again.reinspection_of_id = first.id
    session.flush()
    compute_penalties_for_inspection(session, again)
    session.commit()
    r = client.post(
        f"/api/v1/inspections/{again.id}/approve",
        json={},
        headers={**world["h"]["sup.sy"], "If-Match": f'"{again.version}"'},
    )
    assert r.status_code == 200, r.get_json()
    page = _case(client, world)["body"]
    assert page["orders"][0]["status"] == "refused" and page["orders"][0]["outcome_on"] == "2026-11-28"
    daily = _issued(issue_from_case(client, world, "daily_penalty_decision"))
    render_all(app, session)
    text = pdf_text(pdf_of(client, world, daily["id"]))
    assert PARTY not in text and page["party"]["name"] in text
    assert decision["number"] in text and "2026年11月25日" in text
    # 令28 第十七条、第十九条: from the day after service (11-23) to the re-inspection (11-28), 6 days at the
    # original decision's fine per day
    assert "自2026年11月23日起至2026年11月28日止，共6日" in text
    assert amount_in_words(DECIDED_FEN * 6) in text and amount_in_figures(DECIDED_FEN * 6) in text


def test_a_preview_from_the_case_names_what_blocks_it_and_takes_no_number(session, client, world):  # noqa: ANN001
    for language in ("zh", "en"):
        r = client.post(
            "/api/v1/documents/preview",
            json={"kind": "advance_notice", "case_id": world["case"], "language": language},
            headers=world["h"]["sup.sy"],
        )
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert "case_not_filed" in r.headers["X-Document-Blockers"].split(",")
    assert session.scalar(select(Document.id)) is None
