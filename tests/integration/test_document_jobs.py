"""The render job through a real worker, and the party's signature (uploaded as a photo) carried by the
on-site record with its hash and its notice copy."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.documents.models import Document, PartySignature
from app.jobs.worker import run_worker
from tests.api.test_documents_api import ORDER_FIELDS, issue, pdf_of, put_settings, world  # noqa: F401
from tests.factories import bearer, issue_tokens
from tests.factories_documents import pdf_text
from tests.factories_photos import put_photo, sha256_hex, temporary_photo_store
from tests.photo_samples import photo_bytes


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def test_the_worker_renders_an_issued_document(app, session, client, world):  # noqa: F811
    put_settings(client, world)
    doc = issue(client, world, "order_to_correct", fields=ORDER_FIELDS).get_json()
    assert doc["state"] == "rendering"
    assert client.get(f"/api/v1/documents/{doc['id']}/pdf", headers=world["h"]["sup.sy"]).status_code == 409
    run_worker(app, once=True, concurrency=1)
    got = client.get(f"/api/v1/documents/{doc['id']}", headers=world["h"]["sup.sy"]).get_json()
    assert got["state"] == "issued" and got["pdf_sha256"]
    assert doc["number"] in pdf_text(pdf_of(client, world, doc["id"]))
    session.rollback()
    assert session.scalar(select(Document.job_id).where(Document.id == uuid.UUID(doc["id"]))) is not None


def test_a_recorded_signature_is_printed_with_its_hash_and_copy(app, session, client, world, store):  # noqa: F811
    put_settings(client, world)
    image = photo_bytes("drew__jpg__HTC_Desire.jpg")
    photo_id = str(uuid.uuid4())
    phone = world["h"]["insp.a"]
    assert put_photo(client, phone, photo_id, image).status_code == 201
    url = f"/api/v1/documents/signatures/{world['inspection']}"
    refused = client.post(url, json={"photo_id": photo_id, "status": "refused"}, headers=phone)
    assert refused.status_code == 422 and refused.get_json()["code"] == "refusal_unwitnessed"
    r = client.post(url, json={"photo_id": photo_id, "status": "signed", "signer_name": "赵六"}, headers=phone)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["photo_sha256"] == sha256_hex(image)
    # The answer was lost and the phone retries: the same record, nothing appended, audited once.
    again = client.post(url, json={"photo_id": photo_id, "status": "signed", "signer_name": "赵六"}, headers=phone)
    assert again.status_code == 200 and again.get_json()["id"] == r.get_json()["id"]
    other_details = client.post(url, json={"photo_id": photo_id, "status": "refused", "witness": "钱七"}, headers=phone)
    assert other_details.status_code == 409 and other_details.get_json()["code"] == "signature_photo_taken"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(PartySignature)) == 1
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "party_signature.record")
    assert session.scalar(audited) == 1
    other = bearer(issue_tokens(session, "sup.ba"))
    assert client.post(url, json={"photo_id": photo_id, "status": "signed"}, headers=other).status_code == 404
    doc = issue(client, world, "inspection_record", fields={"onsite": {"statement": "情况属实"}}).get_json()
    assert "id" in doc, doc
    run_worker(app, once=True, concurrency=1)
    text = pdf_text(pdf_of(client, world, doc["id"]))
    assert sha256_hex(image) in text and "签名确认" in text and "赵六" in text
