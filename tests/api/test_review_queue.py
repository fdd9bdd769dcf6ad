"""GET /api/v1/review/queue: filters, scope, explained risk order, cursor pages, counts per state."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import text, update

from app.inspections.models import Finding, Inspection, InspectionOfficer, InspectionPhotoLink
from app.inspections.rules import STATES
from app.penalties.computation import compute_penalties_for_inspection
from app.photos.models import Photo
from app.review.queries import QueueFilter, counts_by_state
from app.review.risk_store import pending_inspections, refresh_dirty, stored_scores_trusted
from app.wiring import wiring
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


def _refresh_stored(session, client) -> None:  # noqa: ANN001
    """What the refresh_review_risk job does, until nothing is dirty."""
    settings = wiring(client.application).risk_settings
    while not refresh_dirty(session, settings).done:
        session.commit()
    session.commit()
    assert pending_inspections(session) == 0 and stored_scores_trusted(session, settings)


def _touch(session, *inspections: Inspection) -> None:  # noqa: ANN001
    """A no-op update: the trigger marks the inspection dirty (its stored risk is no longer trusted)."""
    session.execute(
        update(Inspection).where(Inspection.id.in_([i.id for i in inspections])).values(state=Inspection.state)
    )
    session.commit()


# Every test below runs three ways: all live (nothing stored yet, as right after the upgrade), all stored (the
# refresh job caught up) and mixed (stored, then four inspections dirty again, computed live beside the others).
@pytest.fixture(params=["live", "stored", "mixed"])
def world(request, session, tree, client):  # noqa: ANN001, ANN201
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
    if request.param != "live":
        _refresh_stored(session, client)
    if request.param == "mixed":
        _touch(session, made["F"], made["C"], made["B"], made["R"])
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


# --- The stored risk (app/review/risk_store.py) stays exact as inspections change ---------------------------------


def _decide(client, session, world, insp: Inspection, action: str, body: dict) -> None:  # noqa: ANN001
    """The supervisor's decision through the API (the recorded transition, audited)."""
    session.refresh(insp)
    response = client.post(
        f"/api/v1/inspections/{insp.id}/{action}",
        json=body,
        headers={**world["h"]["sup.sy"], "If-Match": f'"{insp.version}"'},
    )
    assert response.status_code == 200, response.get_json()


def _risk_of(client, world, name: str, headers=None) -> dict:  # noqa: ANN001
    body = client.get(URL + "?limit=200&state=submitted,returned", headers=headers or world["h"]["sup.sy"]).get_json()
    return {n: i["risk"] for n, i in zip(_names(world, body), body["items"], strict=True)}[name]


@pytest.mark.parametrize("world", ["stored"], indirect=True)
def test_a_change_shows_at_once_and_after_the_refresh(client, session, world):
    """Stored, then C (too few officers) is returned and gets a second officer: the queue shows it immediately
    (C is dirty, computed live) and the same after the refresh job stored it."""
    _refresh_stored(session, client)
    assert [r["code"] for r in _risk_of(client, world, "C")["reasons"]] == ["too_few_officers"]
    c = world["i"]["C"]
    _decide(client, session, world, c, "return", {"comment": "补充执法人员 / add the second officer"})
    _refresh_stored(session, client)
    session.add(InspectionOfficer(inspection_id=c.id, user_id=world["users"]["ins3"], position=1))
    session.commit()
    assert pending_inspections(session) >= 1
    assert _risk_of(client, world, "C") == {"score": 0, "reasons": []}
    _refresh_stored(session, client)
    assert _risk_of(client, world, "C") == {"score": 0, "reasons": []}
    # the stored row is what the live query computes
    stored = session.execute(
        text("SELECT officer_count, score FROM review_risk WHERE inspection_id = :i"), {"i": c.id}
    ).one()
    assert tuple(stored) == (2, 0)


@pytest.mark.parametrize("world", ["stored"], indirect=True)
def test_a_state_change_moves_the_inspection_between_pages_and_counts(client, session, world):
    _refresh_stored(session, client)
    f = world["i"]["F"]
    _decide(client, session, world, f, "approve", {})
    body = client.get(URL, headers=world["h"]["sup.sy"]).get_json()
    assert "F" not in _names(world, body) and body["counts"]["submitted"] == 7 and body["counts"]["approved"] == 1
    approved = client.get(URL + "?state=approved&has_failed=true", headers=world["h"]["sup.sy"]).get_json()
    assert _names(world, approved) == ["F"]
    _refresh_stored(session, client)
    again = client.get(URL + "?state=approved&has_failed=true", headers=world["h"]["sup.sy"]).get_json()
    assert again["items"] == approved["items"] and again["counts"] == approved["counts"]


@pytest.mark.parametrize("world", ["stored"], indirect=True)
def test_a_photo_reused_later_marks_the_earlier_inspection_through_the_refresh(client, session, world):
    """E's photo is its own. The same bytes are then linked to a new inspection elsewhere: the refresh expands
    the photo to every inspection linking the same bytes, and E (stored, untouched) gets ``reused_photo``."""
    _refresh_stored(session, client)
    assert [r["code"] for r in _risk_of(client, world, "E")["reasons"]] == ["high_amount"]
    elsewhere = make_inspection(session, world["other"], [], started_at=STARTED + timedelta(days=20), state="draft")
    copy = _photo(session, world["users"]["ins1"], b"dust")
    _link(session, elsewhere, "hoarding", copy.id)
    session.commit()
    _refresh_stored(session, client)
    assert [r["code"] for r in _risk_of(client, world, "E")["reasons"]] == ["reused_photo", "high_amount"]


@pytest.mark.parametrize("world", ["stored"], indirect=True)
def test_counts_past_the_cap_say_so(client, session, world):
    """counts_by_state stops counting a state at the cap (an index range) and lists it as capped."""
    _refresh_stored(session, client)
    paths = ("/410000/",)
    exact = counts_by_state(session, paths, QueueFilter(), STATES, stored=True)
    assert exact.counts["submitted"] == 9 and exact.capped == ()
    capped = counts_by_state(session, paths, QueueFilter(), STATES, stored=True, cap=5)
    assert capped.counts["submitted"] == 5 and capped.counts["returned"] == 1 and capped.capped == ("submitted",)
    live = client.get(URL + "?jurisdiction=410800", headers=world["h"]["admin.prov"]).get_json()
    assert live["counts"]["submitted"] == 9 and live["counts_capped"] == []
