"""The review queue's ``near_duplicate_photo`` reason: real photos uploaded through the API, their perceptual hash
made with the derivatives by the job worker, compared in SQL (bit_count of the XOR) across inspections."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.inspections.models import Inspection, InspectionOfficer, InspectionPhotoLink
from app.photos.models import Photo
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_penalties import STARTED, make_construction_site, make_inspection, make_penalty_world
from tests.factories_photos import drain_worker, new_id, photo_bytes, put_photo, resized_copy, temporary_photo_store

URL = "/api/v1/review/queue"
ORIGINAL = "drew__jpg__Nikon_D5000.jpg"
OTHER = "drew__jpg__Apple_iPhone_4.jpg"


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def _upload(client, headers, data: bytes) -> uuid.UUID:  # noqa: ANN001
    pid = new_id()
    response = put_photo(client, headers, pid, data)
    assert response.status_code in (200, 201), response.get_json()
    return uuid.UUID(pid)


def _submitted_with_photo(session, site, users, day: int, photo_id: uuid.UUID) -> Inspection:  # noqa: ANN001
    inspection = make_inspection(
        session, site, [], started_at=STARTED + timedelta(days=day), state="draft", created_by=users[0].id
    )
    for pos, user in enumerate(users):
        session.add(InspectionOfficer(inspection_id=inspection.id, user_id=user.id, position=pos))
    session.add(
        InspectionPhotoLink(inspection_id=inspection.id, item_key="hoarding", photo_id=photo_id, position=0, flags=[])
    )
    session.flush()
    inspection.state, inspection.submission_count = "submitted", 1
    inspection.submitted_at = inspection.started_at + timedelta(hours=2)
    session.flush()
    return inspection


def _reasons(client, headers) -> dict[str, list[str]]:  # noqa: ANN001
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["id"]: [r["code"] for r in item["risk"]["reasons"]] for item in response.get_json()["items"]}


def test_a_resized_copy_in_another_inspection_is_flagged_and_a_different_photo_is_not(
    app, client, session, tree, store
):  # noqa: ANN001
    make_penalty_world(session)
    one = make_user(session, "insp.one", "inspector", ["410811"])
    two = make_user(session, "insp.two", "inspector", ["410811"])
    make_user(session, "sup.sy", "supervisor", ["410811"])
    site = make_construction_site(session)
    session.commit()
    headers = bearer(issue_tokens(session, "insp.one"))
    original = _upload(client, headers, photo_bytes(ORIGINAL))
    copy = _upload(client, headers, resized_copy(ORIGINAL))
    other = _upload(client, headers, photo_bytes(OTHER))
    assert drain_worker(app, store) == 3  # the derivatives, and with them the perceptual hashes
    session.rollback()
    hashes = session.scalars(select(Photo.phash).where(Photo.id.in_([original, copy, other]))).all()
    assert len(hashes) == 3 and None not in hashes

    first = _submitted_with_photo(session, site, (one, two), 0, original)
    second = _submitted_with_photo(session, site, (one, two), 1, copy)
    third = _submitted_with_photo(session, site, (one, two), 2, other)
    session.commit()

    reasons = _reasons(client, bearer(issue_tokens(session, "sup.sy")))
    assert "near_duplicate_photo" in reasons[str(first.id)]
    assert "near_duplicate_photo" in reasons[str(second.id)]
    assert "near_duplicate_photo" not in reasons[str(third.id)]
    # different bytes: not the exact reuse the content hash reports
    assert "reused_photo" not in reasons[str(second.id)]
