"""Enforcement documents over HTTP on real PostGIS: every kind issued, rendered and read back (pypdf), blocked
issues named, scope, retries, void and reissue, the public verification, previews."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEntry
from app.documents.chinese import amount_in_figures, amount_in_words
from app.documents.models import Document
from app.documents.rendering import render_issued
from app.documents.tasks import render_env
from app.localtime import today_local
from app.penalties.computation import compute_penalties_for_inspection, recompute_inspection_penalties
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_documents import SETTINGS, make_officered_inspection, pdf_text
from tests.factories_penalties import dust_failures, make_construction_site, make_penalty_world

YEAR = today_local().year


@pytest.fixture()
def world(session, tree, client):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    insp = make_user(session, "insp.a", "inspector", ["410811"])
    insp_b = make_user(session, "insp.b", "inspector", ["410811"])
    make_user(session, "sup.sy", "supervisor", ["410811"])
    make_user(session, "sup.ba", "supervisor", ["410822"])
    make_user(session, "admin.sy", "admin", ["410811"])
    site = make_construction_site(session)
    inspection = make_officered_inspection(
        session,
        site,
        dust_failures("hoarding", "material_cover", "vehicle_wash"),
        insp.id,
        [(insp.id, "张三", "豫执A-0001"), (insp_b.id, "李四", "豫执B-0002")],
    )
    compute_penalties_for_inspection(session, inspection)
    # 000§五(二): the deduction is charged for problems the city's team found; recorded as a supervisor would.
    recompute_inspection_penalties(session, inspection, "市级督查组发现", {"finder_level": "city"})
    session.commit()
    headers = {u: bearer(issue_tokens(session, u)) for u in ("insp.a", "sup.sy", "sup.ba", "admin.sy")}
    return {"inspection": str(inspection.id), "party": site.operator_name, "h": headers}


def put_settings(client, world, settings=SETTINGS):  # noqa: ANN001, ANN201
    r = client.put("/api/v1/documents/settings/410811", json={"settings": settings}, headers=world["h"]["admin.sy"])
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def issue(client, world, kind, *, who="sup.sy", doc_id=None, **extra):  # noqa: ANN001, ANN201
    body = {"id": doc_id or str(uuid.uuid4()), "kind": kind, "inspection_id": world["inspection"], **extra}
    return client.post("/api/v1/documents", json=body, headers=world["h"][who])


def render_all(app, session):  # noqa: ANN001, ANN201
    """What the render job does for every document still rendering."""
    session.rollback()
    ids = session.scalars(select(Document.id).where(Document.state == "rendering")).all()
    for doc_id in ids:
        render_issued(session, render_env(app), doc_id)
        session.commit()


def pdf_of(client, world, doc_id):  # noqa: ANN001, ANN201
    r = client.get(f"/api/v1/documents/{doc_id}/pdf", headers=world["h"]["sup.sy"])
    assert r.status_code == 200, r.get_json()
    assert r.mimetype == "application/pdf"
    return r.get_data()


# 令28 第九条（一）: a unit's 法定代表人 is printed on what is served on it (the site records only its operator).
PARTY_FIELDS = {"legal_representative": "王五"}
ORDER_FIELDS = {
    "order": {"text": "设置硬质密闭围挡，覆盖裸露物料，设置车辆冲洗设施", "deadline": "2026-12-05"},
    **PARTY_FIELDS,
}


def issue_chain(app, session, client, world):  # noqa: ANN001, ANN201
    """Every kind, in case order; → {kind: document body}."""
    docs = {}
    onsite = {
        "onsite": {"present_name": "赵六", "present_role": "项目经理", "statement": "情况属实", "signature": "signed"}
    }
    r = issue(client, world, "inspection_record", fields=onsite)
    assert r.status_code == 201, r.get_json()
    docs["inspection_record"] = r.get_json()
    r = issue(client, world, "order_to_correct", fields=ORDER_FIELDS)
    assert r.status_code == 201, r.get_json()
    docs["order_to_correct"] = r.get_json()
    render_all(app, session)
    order_id = docs["order_to_correct"]["id"]
    r = issue(client, world, "advance_notice", references={"order": order_id}, fields=PARTY_FIELDS)
    assert r.status_code == 201, r.get_json()
    docs["advance_notice"] = r.get_json()
    render_all(app, session)
    r = issue(
        client,
        world,
        "penalty_decision",
        references={"order": order_id, "notice": docs["advance_notice"]["id"]},
        fields={"legal_representative": "王五"},
    )
    assert r.status_code == 201, r.get_json()
    docs["penalty_decision"] = r.get_json()
    render_all(app, session)
    r = issue(
        client,
        world,
        "daily_penalty_decision",
        references={"order": order_id, "decision": docs["penalty_decision"]["id"]},
        fields={"daily": {"order_served_on": "2026-11-22", "reinspected_on": "2026-12-01"}, **PARTY_FIELDS},
    )
    assert r.status_code == 201, r.get_json()
    docs["daily_penalty_decision"] = r.get_json()
    r = issue(client, world, "fiscal_deduction_notice")
    assert r.status_code == 201, r.get_json()
    docs["fiscal_deduction_notice"] = r.get_json()
    render_all(app, session)
    service = {
        "method": "direct",
        "served_at": "2026-11-25T10:30:00+08:00",
        "place": "工地项目部",
        "recipient": world["party"],
        "signer": "王五",
        "relation": "法定代表人",
        "servers": ["张三", "李四"],
    }
    r = issue(
        client,
        world,
        "service_record",
        references={"served": [docs["penalty_decision"]["id"]]},
        fields={"service": service},
    )
    assert r.status_code == 201, r.get_json()
    docs["service_record"] = r.get_json()
    render_all(app, session)
    return docs


def test_every_kind_is_issued_numbered_rendered_and_reads_back(app, session, client, world):
    put_settings(client, world)
    docs = issue_chain(app, session, client, world)
    assert docs["inspection_record"]["number"] is None and docs["service_record"]["number"] is None
    assert docs["order_to_correct"]["number"] == f"豫0811环责改字〔{YEAR}〕1号"
    assert docs["advance_notice"]["number"] == f"豫0811环罚告字〔{YEAR}〕1号"
    assert docs["penalty_decision"]["number"] == f"豫0811环罚决字〔{YEAR}〕1号"
    assert docs["daily_penalty_decision"]["number"] == f"豫0811环按日罚字〔{YEAR}〕1号"
    assert docs["fiscal_deduction_notice"]["number"] == f"豫0811环扣缴字〔{YEAR}〕1号"
    texts = {}
    for kind, doc in docs.items():
        got = client.get(f"/api/v1/documents/{doc['id']}", headers=world["h"]["sup.sy"]).get_json()
        assert got["state"] == "issued", got
        data = pdf_of(client, world, doc["id"])
        assert got["pdf_sha256"] and len(got["pdf_sha256"]) == 64
        t = pdf_text(data)
        texts[kind] = t
        assert doc["content_sha256"] in t, kind  # the content digest is printed
        assert "焦作市生态环境局" in t and world["party"] in t, kind
        if doc["number"]:
            assert doc["number"] in t, kind
        assert "第1页共" in t, kind
    # The on-site record: time, place, two officers with badges, statement, signature.
    assert "豫执A-0001" in texts["inspection_record"] and "豫执B-0002" in texts["inspection_record"]
    assert "2026年11月20日9时00分" in texts["inspection_record"] and "情况属实" in texts["inspection_record"]
    # Order: articles, what and by when, 复议/诉讼 bodies and periods.
    order = texts["order_to_correct"]
    assert "第二十八条" in order and "河南省大气污染防治条例第七十六条" in order and "2026年12月5日" in order
    assert "六十日" in order and "焦作市人民政府" in order and "六个月" in order and "焦作市山阳区人民法院" in order
    # Notice: proposed amount both ways, statement period, hearing right (76,000 ≤ 200,000: none).
    fine = 7_600_000
    notice = texts["advance_notice"]
    assert amount_in_words(fine) in notice and amount_in_figures(fine) in notice
    assert "5日内" in notice and "要求举行听证" not in notice
    assert docs["order_to_correct"]["number"] in notice
    # Decision: Art. 59 elements.
    decision = texts["penalty_decision"]
    assert amount_in_words(fine) in decision and "¥76,000.00" in decision
    assert "十五日内" in decision and "百分之三" in decision and "不得超出罚款的数额" in decision
    assert "六十日" in decision and "六个月" in decision and "焦作市山阳区人民法院" in decision
    assert docs["advance_notice"]["number"] in decision and docs["order_to_correct"]["number"] in decision
    assert "大气污染防治法第一百一十五条" in decision or "河南省大气污染防治条例第七十六条" in decision
    assert "印章" in decision and "王五" in decision
    # Daily: 2026-11-23 .. 2026-12-01 = 9 days × the original fine.
    daily = texts["daily_penalty_decision"]
    assert "共9日" in daily and amount_in_words(fine * 9) in daily and amount_in_figures(fine * 9) in daily
    # Fiscal notice: each finding, the clause, the amount (3 failed measures × 10万).
    fiscal = texts["fiscal_deduction_notice"]
    assert "焦东街道" in fiscal and "000§五(二)" in fiscal and "叁拾万元整" in fiscal and "300,000.00" in fiscal
    # Proof of service: the served number, method, time.
    service = texts["service_record"]
    assert (
        docs["penalty_decision"]["number"] in service and "直接送达" in service and "2026年11月25日10时30分" in service
    )
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "document")).all()
    assert actions.count("document.issue") == 7 and actions.count("document.rendered") == 7


def test_issuing_is_blocked_with_every_reason_until_settings_and_preconditions_exist(client, world):
    r = issue(client, world, "penalty_decision")
    assert r.status_code == 422
    body = r.get_json()
    assert r.content_type == "application/problem+json" and body["code"] == "document_blocked"
    codes = {e["code"] for e in body["errors"]}
    assert {"authority_not_set", "review_body_not_set", "court_not_set", "advance_notice_not_issued"} <= codes
    assert body["message_zh"] and body["message_en"]
    put_settings(client, world)
    r = issue(client, world, "order_to_correct", fields={"order": {"text": "整改"}})
    assert r.status_code == 422
    # The site's operator is a unit and nobody has recorded its 法定代表人 (令28 第九条（一）).
    assert {e["code"] for e in r.get_json()["errors"]} == {"order_deadline_missing", "legal_representative_missing"}
    r = issue(client, world, "inspection_record", fields={"onsite": {"signature": "refused"}})
    assert {e["code"] for e in r.get_json()["errors"]} == {"refusal_unwitnessed"}


def test_a_setting_no_source_gives_blocks_the_notice_and_no_number_is_taken(session, client, world):
    settings = dict(SETTINGS)
    settings.pop("statement_period_days")
    put_settings(client, world, settings)
    r = issue(client, world, "advance_notice")
    assert r.status_code == 422
    assert "statement_period_not_set" in {e["code"] for e in r.get_json()["errors"]}
    assert session.scalar(text("SELECT count(*) FROM document_number_counters")) == 0


def test_scope_and_roles(client, world):
    put_settings(client, world)
    r = issue(client, world, "order_to_correct", fields=ORDER_FIELDS)
    doc = r.get_json()
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=world["h"]["sup.ba"]).status_code == 404
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=world["h"]["insp.a"]).status_code == 403
    assert issue(client, world, "order_to_correct", who="sup.ba", fields=ORDER_FIELDS).status_code == 404
    listed = client.get("/api/v1/documents", headers=world["h"]["sup.ba"]).get_json()
    assert listed == []
    assert client.get("/api/v1/documents?bogus=1", headers=world["h"]["sup.sy"]).status_code == 422


def test_a_retried_issue_returns_the_same_document_and_takes_no_second_number(client, world):
    put_settings(client, world)
    doc_id = str(uuid.uuid4())
    first = issue(client, world, "order_to_correct", doc_id=doc_id, fields=ORDER_FIELDS)
    again = issue(client, world, "order_to_correct", doc_id=doc_id, fields=ORDER_FIELDS)
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["number"] == again.get_json()["number"]
    nxt = issue(client, world, "order_to_correct", fields=ORDER_FIELDS).get_json()
    assert nxt["number"] == f"豫0811环责改字〔{YEAR}〕2号"


def test_void_reissue_and_public_verification(app, session, client, world):
    put_settings(client, world)
    first = issue(client, world, "order_to_correct", fields=ORDER_FIELDS).get_json()
    render_all(app, session)
    genuine = pdf_of(client, world, first["id"])
    token_path = first["verify_path"]
    public = client.get(token_path)  # no login
    assert public.status_code == 200
    view = public.get_json()
    assert view["status"] == "valid" and view["number"] == first["number"] and view["authority"] == "焦作市生态环境局"
    assert (
        view["sha256"]
        == client.get(f"/api/v1/documents/{first['id']}", headers=world["h"]["sup.sy"]).get_json()["pdf_sha256"]
    )
    assert set(view) == {"number", "kind", "kind_title", "authority", "issued_on", "amount_fen", "sha256", "status"}
    assert client.get("/verify/" + "x" * 32).status_code == 404
    page = client.get(token_path, headers={"Accept": "text/html"})
    assert page.mimetype == "text/html" and first["number"] in page.get_data(as_text=True)
    ok = client.post("/verify", data=genuine, content_type="application/pdf").get_json()
    assert ok["genuine"] is True and ok["document"]["number"] == first["number"]
    altered = genuine.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in genuine else genuine + b"\n"
    bad = client.post("/verify", data=altered, content_type="application/pdf").get_json()
    assert bad["genuine"] is False and bad["document"] is None
    multipart = client.post(
        "/verify", data={"file": (__import__("io").BytesIO(genuine), "d.pdf")}, content_type="multipart/form-data"
    ).get_json()
    assert multipart["genuine"] is True
    # Void: the number stays taken and visibly voided; the bytes stay retrievable.
    r = client.post(f"/api/v1/documents/{first['id']}/void", json={"reason": "期限写错"}, headers=world["h"]["sup.sy"])
    assert r.status_code == 200 and r.get_json()["state"] == "voided"
    again = client.post(f"/api/v1/documents/{first['id']}/void", json={"reason": "再次"}, headers=world["h"]["sup.sy"])
    assert again.status_code == 409
    assert client.get(token_path).get_json()["status"] == "voided"
    voided = client.post("/verify", data=genuine, content_type="application/pdf").get_json()
    assert voided["genuine"] is False and voided["document"]["status"] == "voided"
    assert pdf_of(client, world, first["id"]) == genuine
    # Reissue: the next number, citing the voided one.
    re = issue(client, world, "order_to_correct", replaces_id=first["id"], fields=ORDER_FIELDS).get_json()
    assert re["number"] == f"豫0811环责改字〔{YEAR}〕2号" and re["replaces_id"] == first["id"]
    render_all(app, session)
    assert first["number"] in pdf_text(pdf_of(client, world, re["id"]))
    assert issue(client, world, "order_to_correct", replaces_id=re["id"], fields=ORDER_FIELDS).status_code == 422
    twice = issue(client, world, "order_to_correct", replaces_id=first["id"], fields=ORDER_FIELDS)
    assert twice.status_code == 409 and twice.get_json()["code"] == "already_reissued"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == first["id"])).all()
    assert "document.void" in actions


def test_preview_is_a_marked_draft_that_takes_no_number(client, session, world):
    r = client.post(
        "/api/v1/documents/preview",
        json={"kind": "penalty_decision", "inspection_id": world["inspection"]},
        headers=world["h"]["sup.sy"],
    )
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    t = pdf_text(r.get_data())
    assert "样稿" in t and "DRAFT" in t and "待定" in t and "未编号" in t
    assert "advance_notice_not_issued" in r.headers["X-Document-Blockers"]
    en = client.post(
        "/api/v1/documents/preview",
        json={"kind": "penalty_decision", "inspection_id": world["inspection"], "language": "en"},
        headers=world["h"]["sup.sy"],
    )
    t_en = pdf_text(en.get_data())
    assert "Englishreadingcopy" in t_en and "notanissueddocument" in t_en and "DRAFT" in t_en
    issued_en = issue(client, world, "order_to_correct", language="en", fields=ORDER_FIELDS)
    assert issued_en.status_code == 422  # an English rendering is never issued
    assert session.scalar(text("SELECT count(*) FROM documents")) == 0
    assert session.scalar(text("SELECT count(*) FROM document_number_counters")) == 0


def test_settings_are_admin_only_validated_and_inherited(client, world, session, tree):
    bad = client.put(
        "/api/v1/documents/settings/410811",
        json={"settings": {"number_pattern": "{prefix}", "bogus": 1, "statement_period_days": 0}},
        headers=world["h"]["admin.sy"],
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.get_json()["errors"]} >= {"number_pattern", "bogus", "statement_period_days"}
    assert client.get("/api/v1/documents/settings/410811", headers=world["h"]["sup.sy"]).status_code == 403
    put_settings(client, world)
    got = client.get("/api/v1/documents/settings/410811", headers=world["h"]["admin.sy"]).get_json()
    assert (
        got["effective"]["number_prefix"] == "豫0811"
        and got["effective"]["type_codes"]["penalty_decision"] == "环罚决字"
    )


def test_the_pdf_is_named_by_its_number_in_a_latin1_header(app, session, client, world):
    # A 文号 is Chinese; a header must be Latin-1 (gunicorn answers 500 otherwise): RFC 8187 filename*.
    put_settings(client, world)
    doc = issue(client, world, "order_to_correct", fields=ORDER_FIELDS).get_json()
    render_all(app, session)
    r = client.get(f"/api/v1/documents/{doc['id']}/pdf", headers=world["h"]["sup.sy"])
    assert r.status_code == 200
    disposition = r.headers["Content-Disposition"]
    disposition.encode("latin-1")
    assert f'filename="{doc["id"]}.pdf"' in disposition
    assert "filename*=UTF-8''" + quote(doc["number"] + ".pdf", safe="") in disposition
