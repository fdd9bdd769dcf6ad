"""GET /api/v1/review/queue: filters, scope, explained risk order, cursor pages, counts per state."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point

from app.inspections.models import Finding, Inspection, InspectionOfficer, InspectionPhotoLink
from app.penalties.computation import compute_penalties_for_inspection
from app.photos.models import Photo
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import (
    STARTED,
    FailedItem,
    dust_failures,
    make_construction_site,
    make_inspection,
    make_penalty_world,
)

URL = "/api/v1/review/queue"
BOAI_POINT = (113.05, 35.25)  # 博爱县 清化镇街道


def _officers(session, inspection: Inspection, users) -> None:  # noqa: ANN001
    for pos, user in enumerate(users):
        session.add(InspectionOfficer(inspection_id=inspection.id, user_id=user.id, position=pos))


def _photo(session, uploader_id: int, content: bytes) -> Photo:  # noqa: ANN001
    photo = Photo(
        id=uuid.uuid4(),
        sha256=hashlib.sha256(content).hexdigest(),
        uploader_id=uploader_id,
        scope_paths=[],
        size_bytes=len(content),
        format="JPEG",
        mime="image/jpeg",
        width=10,
        height=10,
    )
    session.add(photo)
    session.flush()
    return photo


def _link(session, inspection: Inspection, item_key: str, photo_id: uuid.UUID, flags=None) -> None:  # noqa: ANN001
    session.add(
        InspectionPhotoLink(
            inspection_id=inspection.id, item_key=item_key, photo_id=photo_id, position=0, flags=flags or []
        )
    )


def _submit(session, insp: Inspection, failed: list[FailedItem]) -> None:  # noqa: ANN001
    """draft → submitted (officers and links are frozen from here on), then the submission's findings."""
    insp.state, insp.submission_count = "submitted", 1
    insp.submitted_at = insp.started_at + timedelta(hours=2)
    session.flush()
    for item in failed:
        session.add(
            Finding(
                inspection_id=insp.id,
                submission_no=1,
                item_key=item.item_key,
                checklist_key=insp.checklist_key,
                checklist_version=insp.checklist_version,
                checklist_hash=insp.checklist_hash,
                verdict="fail",
                explanation={"zh": "不合格", "en": "failed"},
                severity=item.severity,
                source_refs=item.source_refs,
                penalty_keys=item.penalty_keys,
                answer=item.answer,
            )
        )
    session.flush()
    session.expire(insp, ["findings"])


@pytest.fixture()
def world(session, tree, client):  # noqa: ANN001, ANN201
    """Eight 山阳区 inspections, each with one risk signal (F, A, C, H, B, D, E) or none (G), one 博爱县 (Z)
    and one returned (R)."""
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    ins1 = make_user(session, "insp.one", "inspector", ["410811"])
    ins2 = make_user(session, "insp.two", "inspector", ["410811"])
    ins3 = make_user(session, "insp.three", "inspector", ["410811"])
    make_user(session, "sup.sy", "supervisor", ["410811"])
    make_user(session, "sup.ba", "supervisor", ["410822"])
    make_user(session, "admin.prov", "admin", ["410000"])
    site = make_construction_site(session)
    other_site = make_construction_site(session, name="另一工地")
    boai_site = make_construction_site(session, at=BOAI_POINT, name="博爱工地")
    shared = _photo(session, ins1.id, b"same picture")
    again = _photo(session, ins1.id, b"same picture")
    far = _photo(session, ins1.id, b"far")
    dust = _photo(session, ins1.id, b"dust")
    made: dict[str, Inspection] = {}

    def inspect(name, day, failed=(), officers=(ins1, ins2), prepare=None, **kw):  # noqa: ANN001, ANN003, ANN202
        insp = make_inspection(
            session,
            kw.pop("at_site", site),
            [],
            started_at=STARTED + timedelta(days=day),
            state="draft",
            created_by=kw.pop("created_by", ins1.id),
            **kw,
        )
        _officers(session, insp, officers)
        if prepare is not None:
            prepare(insp)
        session.flush()
        _submit(session, insp, list(failed))
        made[name] = insp
        return insp

    def set_location(insp: Inspection) -> None:
        insp.location = from_shape(Point(113.29, 35.25), srid=4326)  # ~1.8 km from the site, still 焦东街道

    def short(insp: Inspection) -> None:
        insp.ended_at = insp.started_at + timedelta(minutes=5)

    inspect("F", 0, [FailedItem("hoarding", [])])
    inspect("A", 1, prepare=lambda i: _link(session, i, "hoarding", shared.id))
    inspect("C", 2, officers=(ins1,))
    inspect("H", 3, prepare=set_location)
    inspect(
        "B",
        4,
        at_site=other_site,
        checklist_key="other.checklist",
        prepare=lambda i: _link(session, i, "hoarding", far.id, [{"code": "far_from_site"}]),
    )
    inspect("D", 5, officers=(ins3, ins2), created_by=ins3.id, prepare=short)
    e = inspect("E", 6, dust_failures("hoarding"), prepare=lambda i: _link(session, i, "hoarding", dust.id))
    inspect("G", 7)
    inspect("Z", 8, at_site=boai_site, prepare=lambda i: _link(session, i, "hoarding", again.id))
    made["R"] = make_inspection(session, site, [], started_at=STARTED + timedelta(days=9), state="returned")
    compute_penalties_for_inspection(session, e)
    session.commit()
    tokens = {u: bearer(issue_tokens(session, u)) for u in ("insp.one", "sup.sy", "sup.ba", "admin.prov")}
    return {"i": made, "h": tokens, "users": {"ins1": ins1.id, "ins3": ins3.id}, "site": site, "other": other_site}


def _ids(body) -> list[str]:  # noqa: ANN001
    return [item["id"] for item in body["items"]]


def _names(world, body) -> list[str]:  # noqa: ANN001
    by_id = {str(i.id): n for n, i in world["i"].items()}
    return [by_id[x] for x in _ids(body)]


def test_queue_is_ordered_by_explained_risk_then_submission_time(client, world):
    r = client.get(URL, headers=world["h"]["sup.sy"])
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert _names(world, body) == ["F", "A", "C", "H", "B", "D", "E", "G"]
    reasons = {_names(world, {"items": [i]})[0]: i["risk"] for i in body["items"]}
    assert [x["code"] for x in reasons["F"]["reasons"]] == ["failed_item_without_photo"]
    assert [x["code"] for x in reasons["A"]["reasons"]] == ["reused_photo"]
    assert [x["code"] for x in reasons["C"]["reasons"]] == ["too_few_officers"]
    assert [x["code"] for x in reasons["H"]["reasons"]] == ["location_far_from_site"]
    assert [x["code"] for x in reasons["B"]["reasons"]] == ["photo_far_from_site"]
    assert [x["code"] for x in reasons["D"]["reasons"]] == ["short_inspection"]
    assert [x["code"] for x in reasons["E"]["reasons"]] == ["high_amount"]
    assert reasons["G"] == {"score": 0, "reasons": []}
    for risk in reasons.values():
        assert risk["score"] == sum(x["points"] for x in risk["reasons"])
    officers = reasons["C"]["reasons"][0]
    assert officers["points"] == 25 and "第四十二条" in officers["message_zh"] and officers["message_en"]


def test_counts_per_state_ignore_the_state_filter_but_not_the_others(client, world):
    body = client.get(URL, headers=world["h"]["sup.sy"]).get_json()
    assert body["counts"] == {"draft": 0, "submitted": 8, "returned": 1, "approved": 0, "rejected": 0}
    body = client.get(URL + "?state=returned&checklist=other.checklist", headers=world["h"]["sup.sy"]).get_json()
    assert body["items"] == [] and body["counts"]["submitted"] == 1 and body["counts"]["returned"] == 0


def test_several_states(client, world):
    body = client.get(URL + "?state=submitted,returned", headers=world["h"]["sup.sy"]).get_json()
    assert len(body["items"]) == 9


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("checklist=other.checklist", {"B"}),
        ("flag=far_from_site", {"B"}),
        ("flag=edited_by_software,far_from_site", {"B"}),
        ("has_failed=true", {"F", "E"}),
        ("min_amount_fen=1", {"E"}),
        ("bbox=113.285,35.245,113.295,35.255", {"H"}),
        ("submitted_from=2026-11-26&submitted_to=2026-11-27", {"E", "G"}),
        ("inspected_from=2026-11-20&inspected_to=2026-11-20", {"F"}),
        ("jurisdiction=410811001", {"F", "A", "C", "H", "B", "D", "E", "G"}),
        ("jurisdiction=410811002", set()),
        ("site_kind=fireworks_point", set()),
    ],
)
def test_each_filter_narrows(client, world, query, expected):
    r = client.get(f"{URL}?{query}", headers=world["h"]["sup.sy"])
    assert r.status_code == 200, r.get_json()
    assert set(_names(world, r.get_json())) == expected


def test_inspector_filter_matches_creator_or_officer(client, world):
    body = client.get(f"{URL}?inspector={world['users']['ins3']}", headers=world["h"]["sup.sy"]).get_json()
    assert set(_names(world, body)) == {"D"}
    body = client.get(f"{URL}?site_id={world['other'].id}", headers=world["h"]["sup.sy"]).get_json()
    assert set(_names(world, body)) == {"B"}


def test_scope_hides_other_counties_and_a_jurisdiction_outside_scope_is_404(client, world):
    body = client.get(URL, headers=world["h"]["sup.sy"]).get_json()
    assert str(world["i"]["Z"].id) not in _ids(body)
    boai = client.get(URL, headers=world["h"]["sup.ba"]).get_json()
    assert _names(world, boai) == ["Z"] and boai["items"][0]["risk"]["reasons"][0]["code"] == "reused_photo"
    r = client.get(URL + "?jurisdiction=410822", headers=world["h"]["sup.sy"])
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert client.get(URL + "?jurisdiction=999999", headers=world["h"]["sup.sy"]).status_code == 404
    everything = client.get(URL + "?jurisdiction=410800", headers=world["h"]["admin.prov"]).get_json()
    assert len(everything["items"]) == 9


def test_cursor_pages_are_stable_without_duplicates_or_gaps(client, world):
    full = _ids(client.get(URL, headers=world["h"]["sup.sy"]).get_json())
    seen: list[str] = []
    cursor = None
    while True:
        q = f"{URL}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(q, headers=world["h"]["sup.sy"]).get_json()
        seen += _ids(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == full and len(set(seen)) == len(seen) == 8


def test_a_cursor_from_another_query_is_refused(client, world):
    cursor = client.get(URL + "?limit=2", headers=world["h"]["sup.sy"]).get_json()["next_cursor"]
    r = client.get(f"{URL}?limit=2&has_failed=false&cursor={cursor}", headers=world["h"]["sup.sy"])
    assert r.status_code == 422 and r.get_json()["code"] == "invalid_cursor"


def test_inspectors_may_not_read_the_queue(client, world):
    assert client.get(URL, headers=world["h"]["insp.one"]).status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "state=finished",
        "limit=0",
        "limit=201",
        "bbox=1,2,3",
        "bbox=114,35,113,36",
        "submitted_from=2026-13-01",
        "submitted_from=2026-11-27&submitted_to=2026-11-20",
        "has_failed=perhaps",
        "min_amount_fen=-1",
        "flag=Not-A-Code",
        "jurisdiction=abc",
        "cursor=%%%",
        "colour=red",
    ],
)
def test_bad_filters_are_422_problems(client, world, query):
    r = client.get(f"{URL}?{query}", headers=world["h"]["sup.sy"])
    assert r.status_code == 422, (query, r.get_json())
    assert r.mimetype == "application/problem+json"
