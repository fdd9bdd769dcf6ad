"""The jobs API (admins): jobs in the caller's scope with their state, attempts and last error, filtered and
paged; a failed job retried and a queued one cancelled, each audited with its reason; a county's admin sees
neither another county's jobs nor the system's; problem+json for every refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.photos.models import Photo
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_jobs import job_status, system_job, undecodable_photo_job
from tests.factories_photos import drain_worker, temporary_photo_store

SHANYANG = "/410000/410800/410811/"
BOAI = "/410000/410800/410822/"


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


@pytest.fixture()
def jobs(app, session, tree, store) -> dict[str, int]:  # noqa: ANN001
    """A failed photo job in 山阳区, one in 博爱县, and a queued system job."""
    make_user(session, "insp.sy", "inspector", ["410811"])
    make_user(session, "insp.boai", "inspector", ["410822"])
    session.commit()
    failed, photo = undecodable_photo_job(session, store, "insp.sy", SHANYANG)
    other, _ = undecodable_photo_job(session, store, "insp.boai", BOAI)
    drain_worker(app, store)
    queued = system_job(session)
    return {"failed": failed, "other": other, "queued": queued, "photo": photo}  # type: ignore[dict-item]


def _admin(session, username: str, codes: list[str]) -> dict[str, str]:  # noqa: ANN001
    make_user(session, username, "admin", codes)
    session.commit()
    return bearer(issue_tokens(session, username))


def test_a_province_admin_lists_jobs_with_state_attempts_and_error(client, session, jobs) -> None:  # noqa: ANN001
    admin = _admin(session, "admin.hn", ["410000"])
    body = client.get("/api/v1/jobs", headers=admin).get_json()
    ids = [j["id"] for j in body["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert {jobs["failed"], jobs["other"], jobs["queued"]} <= set(ids)
    (failed,) = [j for j in body["items"] if j["id"] == jobs["failed"]]
    assert failed["status"] == "failed" and failed["task_name"] == "make_derivatives"
    assert failed["attempts"] == 1 and failed["error_count"] == 1
    assert "DerivativesFailed" in failed["last_error"]
    assert failed["created_at"] and failed["finished_at"] and failed["args"] == {"photo_id": str(jobs["photo"])}

    only_failed = client.get("/api/v1/jobs?status=failed&task=make_derivatives", headers=admin).get_json()
    assert {j["id"] for j in only_failed["items"]} == {jobs["failed"], jobs["other"]}
    first = client.get("/api/v1/jobs?limit=1", headers=admin).get_json()
    assert len(first["items"]) == 1 and first["next_before_id"] == first["items"][0]["id"]
    rest = client.get(f"/api/v1/jobs?limit=200&before_id={first['next_before_id']}", headers=admin).get_json()
    assert first["items"][0]["id"] not in {j["id"] for j in rest["items"]} and rest["next_before_id"] is None


def test_a_county_admin_sees_its_own_jobs_only(client, session, jobs) -> None:  # noqa: ANN001
    boai = _admin(session, "admin.boai", ["410822"])
    listed = {j["id"] for j in client.get("/api/v1/jobs", headers=boai).get_json()["items"]}
    assert listed == {jobs["other"]}  # neither 山阳区's photo job nor the system's upkeep
    for job_id in (jobs["failed"], jobs["queued"]):
        for action in ("retry", "cancel"):
            response = client.post(f"/api/v1/jobs/{job_id}/{action}", headers=boai, json={"reason": "试一下"})
            assert response.status_code == 404 and response.get_json()["code"] == "job_not_found"
    assert job_status(session, jobs["failed"]) == "failed" and job_status(session, jobs["queued"]) == "todo"


def test_retrying_a_failed_photo_job_queues_it_and_reopens_the_photo(app, client, session, jobs, store) -> None:  # noqa: ANN001
    admin = _admin(session, "admin.sy", ["410811"])
    response = client.post(
        f"/api/v1/jobs/{jobs['failed']}/retry", headers=admin, json={"reason": "原图已修复 / original repaired"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "todo"
    assert job_status(session, jobs["failed"]) == "todo"
    assert session.get(Photo, jobs["photo"]).derivatives_state == "pending"
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retry"))
    assert audit.entity_id == str(jobs["failed"]) and audit.after["reason"] == "原图已修复 / original repaired"
    assert audit.after["photo_reopened"] is True

    again = client.post(f"/api/v1/jobs/{jobs['failed']}/retry", headers=admin, json={"reason": "again"})
    assert again.status_code == 409 and again.get_json()["code"] == "job_wrong_status"
    assert again.get_json()["status"] == 409 and again.get_json()["job_status"] != "failed"
    assert again.content_type == "application/problem+json"


def test_cancelling_a_queued_job_and_refusing_a_failed_one(client, session, jobs) -> None:  # noqa: ANN001
    admin = _admin(session, "admin.hn", ["410000"])
    refused = client.post(f"/api/v1/jobs/{jobs['failed']}/cancel", headers=admin, json={"reason": "不需要"})
    assert refused.status_code == 409 and refused.get_json()["job_status"] == "failed"
    response = client.post(f"/api/v1/jobs/{jobs['queued']}/cancel", headers=admin, json={"reason": "维护期间暂停"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert job_status(session, jobs["queued"]) == "cancelled"
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "job.cancel"))
    assert audit.after == {"status": "cancelled", "task_name": "expire_stale_partials", "reason": "维护期间暂停"}


def test_a_reason_is_required_and_supervisors_are_refused(client, session, jobs) -> None:  # noqa: ANN001
    admin = _admin(session, "admin.hn", ["410000"])
    blank = client.post(f"/api/v1/jobs/{jobs['failed']}/retry", headers=admin, json={"reason": "  "})
    assert blank.status_code == 422 and blank.get_json()["errors"][0]["path"] == "reason"
    assert client.get("/api/v1/jobs?status=bogus", headers=admin).status_code == 422
    make_user(session, "sup.sy", "supervisor", ["410811"])
    session.commit()
    sup = bearer(issue_tokens(session, "sup.sy"))
    assert client.get("/api/v1/jobs", headers=sup).status_code == 403
    assert job_status(session, jobs["failed"]) == "failed"


def test_a_job_whose_subject_is_gone_is_a_system_job(client, session, tree) -> None:  # noqa: ANN001
    import uuid

    from app.documents.tasks import RENDER_DOCUMENT
    from app.jobs.queue import defer_in

    job_id = defer_in(session, RENDER_DOCUMENT, document_id=str(uuid.uuid4()))  # no such document
    session.commit()
    county = _admin(session, "admin.sy", ["410811"])
    province = _admin(session, "admin.hn", ["410000"])
    assert job_id not in {j["id"] for j in client.get("/api/v1/jobs", headers=county).get_json()["items"]}
    listed = client.get("/api/v1/jobs?task=render_document", headers=province).get_json()["items"]
    assert [j["id"] for j in listed] == [job_id]
