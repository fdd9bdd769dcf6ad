"""Photos ↔ inspections: flags for photos that arrive after the link, visibility through the inspection,
and reuse flags that never name inspections outside the viewer's scope."""

from __future__ import annotations

import pytest

from app.photos.models import Photo
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_checklists import make_site
from tests.factories_inspections import make_world, new_id, put, put_body
from tests.factories_photos import photo_bytes, put_photo, temporary_photo_store

GPS_PHOTO = "derived__gps_fractional_seconds.jpg"


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


@pytest.fixture()
def world(session, client, tree):  # noqa: ANN001, ANN201
    return make_world(session, client)


def upload(client, headers, pid=None):  # noqa: ANN001, ANN201
    pid = pid or new_id()
    response = put_photo(client, headers, pid, photo_bytes(GPS_PHOTO))
    assert response.status_code in (200, 201), response.get_json()
    return pid


def draft_with_photo(client, world, pid, headers=None, **overrides):  # noqa: ANN001, ANN201
    iid = new_id()
    body = put_body(world, answers={"hoarding": {"verdict": "fail", "photos": [pid]}}, **overrides)
    response = put(client, headers or world.headers["insp_a"], iid, body)
    assert response.status_code == 201, response.get_json()
    return iid


def test_photo_uploaded_after_the_link_gets_its_flags(client, world, store):  # noqa: ANN001
    pid = new_id()
    iid = draft_with_photo(client, world, pid)
    before = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()
    assert before["photos"][0]["flags"] is None and before["photos"][0]["uploaded"] is False
    upload(client, world.headers["insp_a"], pid)
    after = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()
    codes = {f["code"] for f in after["photos"][0]["flags"]}
    assert "time_outside_window" in codes and "far_from_site" in codes
    photo = client.get(f"/api/v1/photos/{pid}", headers=world.headers["sup_sy"]).get_json()
    assert "time_outside_window" in {f["code"] for f in photo["flags"]}


def test_the_put_answer_of_a_photo_linked_before_it_arrived_shows_its_flags(client, world, store):  # noqa: ANN001
    """An upload asks whether evidence names the photo already; when it does, the answer carries the flags
    the arrival hook just computed, as a read of the photo does."""
    pid = new_id()
    draft_with_photo(client, world, pid)
    created = put_photo(client, world.headers["insp_a"], pid, photo_bytes(GPS_PHOTO))
    assert created.status_code == 201, created.get_json()
    assert {"time_outside_window", "far_from_site"} <= {f["code"] for f in created.get_json()["flags"]}
    assert created.get_json() == client.get(f"/api/v1/photos/{pid}", headers=world.headers["insp_a"]).get_json()


def test_linked_photo_is_visible_to_the_inspections_officers_and_its_jurisdictions_supervisors(
    client, session, world, store
):  # noqa: ANN001
    pid = upload(client, world.headers["insp_a"])
    url = f"/api/v1/photos/{pid}"
    assert client.get(url, headers=world.headers["insp_b"]).status_code == 404  # not linked yet
    draft_with_photo(client, world, pid)  # officers: insp_a (uploader) and insp_b
    assert client.get(url, headers=world.headers["insp_b"]).status_code == 200
    assert client.get(url, headers=world.headers["sup_sy"]).status_code == 200
    assert client.get(url, headers=world.headers["insp_c"]).status_code == 404
    assert client.get(url, headers=world.headers["sup_ba"]).status_code == 404
    session.expire_all()
    assert session.get(Photo, pid).scope_paths == ["/410000/410800/410811/410811001/"]


def test_linking_a_photo_the_caller_may_not_view_is_refused_and_widens_nobodys_access(client, session, world, store):  # noqa: ANN001
    pid = upload(client, world.headers["insp_c"])  # insp_c takes no part in the inspection
    body = put_body(world, answers={"hoarding": {"verdict": "fail", "photos": [pid]}})
    refused = put(client, world.headers["insp_a"], new_id(), body)
    assert refused.status_code == 404 and refused.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/photos/{pid}", headers=world.headers["insp_b"]).status_code == 404


def _other_county_photo(client, session):  # noqa: ANN001, ANN201
    """A photo uploaded by an inspector of 博爱县 (outside 山阳区)."""
    make_user(session, "insp_ba1", "inspector", ["410822"])
    session.commit()
    return upload(client, bearer(issue_tokens(session, "insp_ba1")))


def _problem_fields(response):  # noqa: ANN001, ANN201
    body = response.get_json()
    return {k: body.get(k) for k in ("type", "title", "status", "code", "detail", "message_zh", "message_en")}


def test_linking_another_countys_photo_is_refused_like_the_photo_endpoint_and_reveals_nothing(
    client, session, world, store
):  # noqa: ANN001
    pid = _other_county_photo(client, session)
    lon_lat = session.get(Photo, pid).lon_lat
    assert lon_lat is not None
    lon, lat = (f"{v:.4f}" for v in lon_lat)
    iid = new_id()
    body = put_body(world, answers={"hoarding": {"verdict": "fail", "photos": [pid]}})
    refused = put(client, world.headers["sup_sy"], iid, body)
    direct = client.get(f"/api/v1/photos/{pid}", headers=world.headers["sup_sy"])
    assert direct.status_code == 404
    assert refused.status_code == 404 and refused.mimetype == "application/problem+json"
    assert _problem_fields(refused) == _problem_fields(direct)
    text = refused.get_data(as_text=True)
    assert "flags" not in text and "details" not in text and lat not in text and lon not in text
    assert client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).status_code == 404


def test_linking_another_countys_photo_into_an_existing_draft_is_refused(client, session, world, store):  # noqa: ANN001
    pid = _other_county_photo(client, session)
    iid = new_id()
    assert put(client, world.headers["sup_sy"], iid, put_body(world)).status_code == 201
    body = put_body(world, answers={"hoarding": {"verdict": "fail", "photos": [pid]}})
    refused = put(client, world.headers["sup_sy"], iid, body, if_match='"1"')
    assert refused.status_code == 404
    current = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()
    assert current["version"] == 1 and current["photos"] == []


def test_flags_of_a_photo_outside_the_viewers_scope_are_not_shown(client, session, world, store):  # noqa: ANN001
    # The link is made before any photo has that id (allowed: phones upload later); then an inspector of
    # another county uploads a photo under that id. Its GPS, time and history must not reach the supervisor.
    pid = new_id()
    body = put_body(world, answers={"hoarding": {"verdict": "fail", "photos": [pid]}})
    iid = new_id()
    assert put(client, world.headers["sup_sy"], iid, body).status_code == 201
    make_user(session, "insp_ba1", "inspector", ["410822"])
    session.commit()
    upload(client, bearer(issue_tokens(session, "insp_ba1")), pid)
    assert client.get(f"/api/v1/photos/{pid}", headers=world.headers["sup_sy"]).status_code == 404
    shown = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()
    assert shown["photos"][0]["flags"] is None
    assert "details" not in str(shown["photos"])


def test_reuse_flag_counts_inspections_outside_the_viewers_scope_instead_of_naming_them(client, session, world, store):  # noqa: ANN001
    boai_site = make_site(
        session, "construction_site", {"floor_area_m2": 3000}, at=(113.06, 35.17), jurisdiction_code="410822001"
    )
    make_user(session, "insp_ba1", "inspector", ["410822"])
    make_user(session, "insp_ba2", "inspector", ["410822"])
    make_user(session, "sup_city", "supervisor", ["410800"])
    boai_site_id = boai_site.id
    session.commit()
    h_ba1, h_city = bearer(issue_tokens(session, "insp_ba1")), bearer(issue_tokens(session, "sup_city"))
    boai_photo = upload(client, h_ba1)  # the same bytes, uploaded in 博爱县
    boai_inspection = new_id()
    body = put_body(
        world,
        site_id=boai_site_id,
        officers=["insp_ba1", "insp_ba2"],
        answers={"hoarding": {"verdict": "fail", "photos": [boai_photo]}},
    )
    body["officers"] = [login_id(session, "insp_ba1"), login_id(session, "insp_ba2")]
    assert put(client, h_ba1, boai_inspection, body).status_code == 201

    iid = draft_with_photo(client, world, upload(client, world.headers["insp_a"]))
    local = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()
    reused = next(f for f in local["photos"][0]["flags"] if f["code"] == "reused_photo")
    assert reused["details"]["other_inspections"] == []
    assert reused["details"]["other_inspections_hidden"] == 1
    assert boai_inspection not in str(local)

    city = client.get(f"/api/v1/inspections/{iid}", headers=h_city).get_json()
    reused = next(f for f in city["photos"][0]["flags"] if f["code"] == "reused_photo")
    assert reused["details"]["other_inspections"] == [boai_inspection]
    assert reused["details"]["other_inspections_hidden"] == 0

    photo_flags = client.get(f"/api/v1/photos/{local['photos'][0]['photo_id']}", headers=world.headers["sup_sy"])
    assert boai_inspection not in photo_flags.get_data(as_text=True)


def login_id(session, username):  # noqa: ANN001, ANN201
    from sqlalchemy import select

    from app.auth.models import User

    return session.scalar(select(User.id).where(User.username == username))


def test_notice_copy_of_a_linked_photo_names_site_and_officers(client, session, world, store):  # noqa: ANN001
    from app.inspections.evidence import watermark_context_for_photo
    from app.photos.notice import watermark_lines_for

    pid = upload(client, world.headers["insp_a"])
    iid = draft_with_photo(client, world, pid)
    photo = session.get(Photo, pid)
    lines = watermark_lines_for(photo, watermark_context_for_photo(session, photo))
    assert any(line.startswith("检查对象 / Site: ") for line in lines)
    assert any(line.startswith("执法人员 / Officers: ") for line in lines)
    assert f"检查编号 / Inspection: {iid}" in lines
    copy = client.get(f"/api/v1/photos/{pid}/watermarked", headers=world.headers["insp_a"])
    assert copy.status_code == 200 and copy.content_type == "image/jpeg"
