"""Document numbers under concurrency (real threads, one PostGIS, one sequence): no gap, no duplicate, also
when an issue rolls back; and the runtime role cannot rewrite an issued document or a counter."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select, text

from app.auth.principal import Principal
from app.documents.issue import issue_document
from app.documents.models import Document, DocumentSettings
from app.documents.rendering import render_issued
from app.documents.tasks import render_env
from app.extensions import db
from app.jurisdictions.services import get_jurisdiction_by_code
from app.localtime import today_local
from app.penalties.computation import compute_penalties_for_inspection
from tests.factories import make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_documents import SETTINGS, make_officered_inspection
from tests.factories_penalties import dust_failures, make_construction_site, make_penalty_world
from tests.integration.test_runtime_role import refused

THREADS = 8
PER_THREAD = 5
ORDER = {"order": {"text": "设置围挡", "immediately": True}, "legal_representative": "王五"}


@pytest.fixture()
def issued_world(session, tree):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    a = make_user(session, "insp.a", "inspector", ["410811"])
    b = make_user(session, "insp.b", "inspector", ["410811"])
    sup = make_user(session, "sup.sy", "supervisor", ["410811"])
    inspection = make_officered_inspection(
        session,
        make_construction_site(session),
        dust_failures("hoarding"),
        a.id,
        [(a.id, "张三", "豫执A-0001"), (b.id, "李四", "豫执B-0002")],
    )
    compute_penalties_for_inspection(session, inspection)
    session.add(DocumentSettings(jurisdiction_id=get_jurisdiction_by_code(session, "410811").id, settings=SETTINGS))
    session.commit()
    principal = Principal(sup.id, "sup.sy", "supervisor", ("/410000/410800/410811/",))
    return inspection.id, principal


def test_parallel_issues_share_one_gapless_sequence(app, issued_world):
    inspection_id, principal = issued_world
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for n in range(PER_THREAD):
                    data = {
                        "id": uuid.uuid4(),
                        "kind": "order_to_correct",
                        "inspection_id": inspection_id,
                        "fields": ORDER,
                    }
                    issue_document(db.session, principal, data)
                    if index == 0 and n == 0:
                        db.session.rollback()  # a failed issue gives its number back
                    else:
                        db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with app.app_context():
        numbers = db.session.scalars(select(Document.sequence_no)).all()
        printed = db.session.scalars(select(Document.number)).all()
        last = db.session.scalar(text("SELECT last_value FROM document_number_counters"))
    total = THREADS * PER_THREAD - 1
    assert sorted(numbers) == list(range(1, total + 1))  # no gap, no duplicate
    assert len(set(printed)) == total and last == total
    assert f"豫0811环责改字〔{today_local().year}〕{total}号" in printed


def test_the_runtime_role_cannot_rewrite_an_issued_document_or_a_counter(app, session, issued_world):
    inspection_id, principal = issued_world
    doc, _ = issue_document(
        session,
        principal,
        {"id": uuid.uuid4(), "kind": "order_to_correct", "inspection_id": inspection_id, "fields": ORDER},
    )
    session.commit()
    render_issued(session, render_env(app), doc.id)
    session.commit()
    p = {"id": doc.id}
    refused(
        session,
        "UPDATE documents SET pdf = 'x'::bytea, pdf_sha256 = encode(sha256('x'::bytea), 'hex') WHERE id = :id",
        p,
    )
    refused(session, "UPDATE documents SET number = 'X' WHERE id = :id", p)
    refused(session, "UPDATE documents SET facts = '{}'::jsonb WHERE id = :id", p)
    refused(session, "UPDATE documents SET state = 'rendering' WHERE id = :id", p)
    refused(session, "UPDATE documents SET state = 'voided' WHERE id = :id", p)  # no reason, no who
    refused(session, "DELETE FROM documents WHERE id = :id", p)
    refused(session, "UPDATE document_number_counters SET last_value = last_value - 1")
    refused(session, "UPDATE document_number_counters SET last_value = last_value + 2")
    refused(session, "DELETE FROM document_number_counters")
    refused(session, "TRUNCATE documents")
    # The bytes a render wrote are what the row's hash says.
    row = session.execute(text("SELECT encode(sha256(pdf), 'hex') = pdf_sha256 FROM documents WHERE id = :id"), p)
    assert row.scalar_one() is True


def test_a_render_without_matching_hash_is_refused(app, session, issued_world):
    inspection_id, principal = issued_world
    doc, _ = issue_document(
        session,
        principal,
        {"id": uuid.uuid4(), "kind": "order_to_correct", "inspection_id": inspection_id, "fields": ORDER},
    )
    session.commit()
    refused(
        session,
        "UPDATE documents SET pdf = 'x'::bytea, pdf_sha256 = repeat('0', 64), state = 'issued' WHERE id = :id",
        {"id": doc.id},
    )
