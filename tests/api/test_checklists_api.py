"""Checklist API for phones: index, content with content-hash ETags (304/200), gzip, schema, site resolution."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from app.checklists.canonical import content_hash
from app.checklists.files import SCHEMA_PATH, checklist_files, load_checklist_file
from app.checklists.parameters import set_checklist_parameter
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_checklists
from tests.factories_checklists import (
    INSIDE,
    OUTSIDE,
    catalogue_copy,
    checklist_path,
    edit_checklist,
    make_site,
    make_zone,
    shipped_version,
    sync,
)

DUST = "construction_dust.henan"
VIDEO_ITEM = "online_monitoring_platform"
TWO_PROHIBITIONS = {"no_onsite_concrete_mixing", "no_onsite_mortar_mixing"}
FIREWORKS_BAN_ITEMS = {
    "no_sale_in_ban_area",
    "no_cold_light_or_steel_wool",
    "no_discharge_in_ban_area",
    "seized_fireworks_count",
    "seized_cold_light_count",
}


@pytest.fixture()
def headers(client, session, tree) -> dict[str, str]:
    make_user(session, "li.inspector", "inspector", ["410811"])
    session.commit()
    return bearer(issue_tokens(session, "li.inspector"))


@pytest.fixture()
def synced(session) -> None:
    install_shipped_checklists(session)
    session.commit()


def _etag(digest: str) -> str:
    return f'"{digest}"'


# ------------------------------------------------------------------------------------ index & content


def test_index_lists_every_current_checklist_with_its_file_hash(client, headers, synced, app) -> None:
    response = client.get("/api/v1/checklists", headers=headers)
    assert response.status_code == 200
    by_key = {e["key"]: e for e in response.get_json()}
    for path in checklist_files(app.config["CHECKLISTS_DIR"]):
        doc = load_checklist_file(path)
        entry = by_key[doc["key"]]
        assert entry["content_hash"] == content_hash(doc)
        assert entry["version"] == doc["version"] and entry["title"] == doc["title"]
        assert entry["site_kinds"] == doc["site_kinds"]


def test_index_answers_304_to_its_own_etag(client, headers, synced) -> None:
    first = client.get("/api/v1/checklists", headers=headers)
    again = client.get("/api/v1/checklists", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_served_checklist_json_equals_the_file_data(client, headers, synced, app) -> None:
    for path in checklist_files(app.config["CHECKLISTS_DIR"]):
        doc = load_checklist_file(path)
        response = client.get(f"/api/v1/checklists/{doc['key']}", headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert json.loads(response.data) == doc


def test_checklist_etag_is_the_content_hash_of_the_body(client, headers, synced) -> None:
    response = client.get(f"/api/v1/checklists/{DUST}", headers=headers)
    digest = hashlib.sha256(response.data).hexdigest()
    assert response.headers["ETag"] == _etag(digest)
    assert digest == content_hash(json.loads(response.data))
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Vary"] == "Accept-Encoding"


def test_checklist_answers_304_to_its_own_etag(client, headers, synced) -> None:
    etag = client.get(f"/api/v1/checklists/{DUST}", headers=headers).headers["ETag"]
    response = client.get(f"/api/v1/checklists/{DUST}", headers={**headers, "If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{etag}",
        "{gzip_etag}",
        "W/{etag}",
        '"some-other-tag", {etag}',
        '"some-other-tag",{gzip_etag}',
        "*",
    ],
)
def test_checklist_answers_304_to_every_form_of_if_none_match_naming_it(client, headers, synced, if_none_match) -> None:
    etag = client.get(f"/api/v1/checklists/{DUST}", headers=headers).headers["ETag"]
    header = if_none_match.format(etag=etag, gzip_etag=etag[:-1] + '-gzip"')
    response = client.get(f"/api/v1/checklists/{DUST}", headers={**headers, "If-None-Match": header})
    assert response.status_code == 304, header
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize("if_none_match", ['"some-other-tag"', '"{bare}-gzip-not"', "W/"])
def test_checklist_answers_200_when_if_none_match_names_another_tag(client, headers, synced, if_none_match) -> None:
    etag = client.get(f"/api/v1/checklists/{DUST}", headers=headers).headers["ETag"]
    header = if_none_match.format(bare=etag.strip('"'))
    response = client.get(f"/api/v1/checklists/{DUST}", headers={**headers, "If-None-Match": header})
    assert response.status_code == 200, header
    assert json.loads(response.data)["key"] == DUST


def test_checklist_304_carries_the_validators_and_every_security_header(client, headers, synced) -> None:
    etag = client.get(f"/api/v1/checklists/{DUST}", headers=headers).headers["ETag"]
    response = client.get(
        f"/api/v1/checklists/{DUST}", headers={**headers, "If-None-Match": etag, "X-Request-ID": "phone-req-0001"}
    )
    assert response.status_code == 304
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Request-ID"] == "phone-req-0001"
    assert "Server" not in response.headers
    for name in ("ETag", "Cache-Control", "Vary", "Content-Security-Policy", "X-Content-Type-Options"):
        assert len(response.headers.getlist(name)) == 1, name


def test_gzip_choice_follows_each_requests_accept_encoding(client, headers, synced) -> None:
    # Alternating values: the per-value parse is remembered, never one request's answer for another's.
    for accept, zipped in (("gzip", True), ("gzip;q=0", False), ("gzip", True), ("identity", False), ("*", True)):
        response = client.get(f"/api/v1/checklists/{DUST}", headers={**headers, "Accept-Encoding": accept})
        assert (response.headers.get("Content-Encoding") == "gzip") is zipped, accept
        assert response.headers["ETag"].endswith('-gzip"') is zipped, accept


def test_checklist_answers_200_with_a_new_etag_after_its_file_changes(client, headers, session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    sync(session, root)
    old_etag = client.get(f"/api/v1/checklists/{DUST}", headers=headers).headers["ETag"]

    def revise(doc: dict) -> None:
        doc["version"] = f"{shipped_version(DUST)}-revised"
        doc["items"][0]["prompt"]["zh"] += "（修订）"

    new_doc = edit_checklist(root, DUST, revise)
    sync(session, root)

    response = client.get(f"/api/v1/checklists/{DUST}", headers={**headers, "If-None-Match": old_etag})
    assert response.status_code == 200
    assert response.headers["ETag"] == _etag(content_hash(new_doc))
    assert json.loads(response.data) == new_doc


def test_old_version_stays_readable_and_is_immutable_cached(client, headers, session, tmp_path) -> None:
    root = catalogue_copy(tmp_path)
    old_doc = load_checklist_file(checklist_path(root, DUST))
    sync(session, root)
    edit_checklist(
        root, DUST, lambda d: d.update(version=f"{old_doc['version']}-revised", description={"zh": "二版", "en": "v2"})
    )
    sync(session, root)

    response = client.get(f"/api/v1/checklists/{DUST}/versions/{old_doc['version']}", headers=headers)
    assert response.status_code == 200
    assert json.loads(response.data) == old_doc
    assert response.headers["ETag"] == _etag(content_hash(old_doc))
    assert "immutable" in response.headers["Cache-Control"]
    again = client.get(
        f"/api/v1/checklists/{DUST}/versions/{old_doc['version']}",
        headers={**headers, "If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_gzip_is_served_when_accepted_and_decodes_to_the_same_json(client, headers, synced) -> None:
    plain = client.get(f"/api/v1/checklists/{DUST}", headers=headers)
    zipped = client.get(f"/api/v1/checklists/{DUST}", headers={**headers, "Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped.data) == plain.data
    # A distinct strong validator per content coding (RFC 9110 §8.8.3); either one revalidates.
    assert zipped.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    for etag in (plain.headers["ETag"], zipped.headers["ETag"]):
        assert (
            client.get(
                f"/api/v1/checklists/{DUST}", headers={**headers, "Accept-Encoding": "gzip", "If-None-Match": etag}
            ).status_code
            == 304
        )


def test_identity_is_served_when_gzip_is_refused(client, headers, synced) -> None:
    response = client.get(f"/api/v1/checklists/{DUST}", headers={**headers, "Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in response.headers
    assert json.loads(response.data)["key"] == DUST


def test_every_checklist_is_below_30_kb_gzipped(client, headers, synced) -> None:
    for entry in client.get("/api/v1/checklists", headers=headers).get_json():
        response = client.get(f"/api/v1/checklists/{entry['key']}", headers={**headers, "Accept-Encoding": "gzip"})
        assert len(response.data) < 30 * 1024, entry["key"]


def test_unknown_checklist_and_version_are_404_problems(client, headers, synced) -> None:
    missing = client.get("/api/v1/checklists/no_such_checklist", headers=headers)
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert missing.get_json()["code"] == "checklist_not_found"
    assert (
        client.get(f"/api/v1/checklists/{DUST}/versions/99", headers=headers).get_json()["code"]
        == "checklist_version_not_found"
    )


def test_checklists_require_a_logged_in_user(client, synced) -> None:
    assert client.get(f"/api/v1/checklists/{DUST}").status_code == 401


def test_checklist_json_schema_is_served_with_an_etag(client, headers) -> None:
    response = client.get("/api/v1/schemas/checklist", headers=headers)
    assert response.status_code == 200
    assert json.loads(response.data) == json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    again = client.get("/api/v1/schemas/checklist", headers={**headers, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


# ------------------------------------------------------------------------------------ site resolution


def _resolve(client, headers, site_id: int, **query: str) -> dict:
    response = client.get(f"/api/v1/sites/{site_id}/checklist", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _items(body: dict, key: str) -> set[str]:
    (checklist,) = [c for c in body["checklists"] if c["key"] == key]
    return {i["key"] for i in checklist["items"]}


@pytest.fixture()
def monitoring_threshold(session, synced, tree) -> None:
    # No seed fixes the Henan threshold (000#17, 002#18): the jurisdiction sets it; 5000 m² as Erqi does (003#23).
    set_checklist_parameter(session, "410811", DUST, "monitoring_min_floor_area_m2", 5000)
    session.commit()


def test_large_site_in_built_up_area_gets_video_and_two_prohibitions(
    client, headers, session, monitoring_threshold
) -> None:
    make_zone(session, "built_up_area")
    site = make_site(session, "construction_site", {"floor_area_m2": 6000}, at=INSIDE)
    session.commit()

    body = _resolve(client, headers, site.id, date="2024-11-20")

    items = _items(body, DUST)
    assert VIDEO_ITEM in items and items >= TWO_PROHIBITIONS
    assert body["context"]["zones"] == ["built_up_area"]
    (dust,) = [c for c in body["checklists"] if c["key"] == DUST]
    video = next(i for i in dust["items"] if i["key"] == VIDEO_ITEM)
    assert video["applies_when"] == {
        ">=": [{"var": "site.attributes.floor_area_m2"}, {"var": "params.monitoring_min_floor_area_m2"}]
    }
    assert "6000" in video["applies_because"]["zh"]
    assert dust["parameters"]["monitoring_min_floor_area_m2"] == 5000
    assert dust["content_hash"] and dust["version"] == shipped_version(DUST)


def test_small_site_outside_built_up_area_gets_neither(client, headers, session, monitoring_threshold) -> None:
    make_zone(session, "built_up_area")
    site = make_site(session, "construction_site", {"floor_area_m2": 3000}, at=OUTSIDE)
    session.commit()

    body = _resolve(client, headers, site.id, date="2024-11-20")

    items = _items(body, DUST)
    assert VIDEO_ITEM not in items and not TWO_PROHIBITIONS & items
    assert {"hoarding", "material_cover"} <= items
    assert body["context"]["zones"] == []
    (dust,) = [c for c in body["checklists"] if c["key"] == DUST]
    skipped = {i["key"]: i["applies_when"] for i in dust["not_applicable"]}
    assert skipped["no_onsite_concrete_mixing"] == {"in": ["built_up_area", {"var": "zones"}]}


def test_unset_jurisdiction_threshold_lists_the_video_item_as_pending(client, headers, session, synced) -> None:
    site = make_site(session, "construction_site", {"floor_area_m2": 3000}, at=OUTSIDE)
    session.commit()
    (dust,) = [c for c in _resolve(client, headers, site.id)["checklists"] if c["key"] == DUST]
    video = next(i for i in dust["items"] if i["key"] == VIDEO_ITEM)
    assert video["unset_parameters"] == ["monitoring_min_floor_area_m2"]


def test_fireworks_shop_outside_the_ban_area_gets_no_ban_items(client, headers, session, synced) -> None:
    make_zone(session, "fireworks_ban")
    site = make_site(session, "fireworks_point", {"point_type": "shop"}, at=OUTSIDE)
    session.commit()

    body = _resolve(client, headers, site.id)

    items = _items(body, "fireworks_ban")
    assert not FIREWORKS_BAN_ITEMS & items
    assert "licensed_sales_point" in items


def test_fireworks_shop_inside_the_ban_area_gets_the_ban_items(client, headers, session, synced) -> None:
    make_zone(session, "fireworks_ban")
    site = make_site(session, "fireworks_point", {"point_type": "shop"}, at=INSIDE)
    session.commit()
    items = _items(_resolve(client, headers, site.id), "fireworks_ban")
    assert {"no_sale_in_ban_area", "no_discharge_in_ban_area"} <= items


def test_alert_level_adds_alert_items_and_is_echoed_in_the_context(client, headers, session, synced) -> None:
    site = make_site(session, "construction_site", {"floor_area_m2": 3000}, at=OUTSIDE)
    session.commit()
    quiet = _resolve(client, headers, site.id, date="2024-12-01")
    alert = _resolve(client, headers, site.id, date="2024-12-01", alert_level="orange")
    assert "alert_dust_controls" not in _items(quiet, DUST)
    assert "alert_dust_controls" in _items(alert, DUST)
    assert alert["context"]["alert_level"] == "orange" and alert["context"]["alert_rank"] == 3
    assert alert["context"]["date"] == "2024-12-01"
    assert alert["context"]["jurisdictions"][-1] == "410811001"


def test_variant_for_another_jurisdiction_is_reported_not_applicable(client, headers, session, synced) -> None:
    site = make_site(session, "construction_site", {"floor_area_m2": 3000}, at=OUTSIDE)
    session.commit()
    body = _resolve(client, headers, site.id)
    assert "construction_dust.erqi_2018" in {c["key"] for c in body["not_applicable"]}
    assert "construction_dust.erqi_2018" not in {c["key"] for c in body["checklists"]}


def test_key_filter_resolves_only_that_checklist(client, headers, session, synced) -> None:
    site = make_site(session, "construction_site", {"floor_area_m2": 3000}, at=OUTSIDE)
    session.commit()
    body = _resolve(client, headers, site.id, key=DUST)
    assert [c["key"] for c in body["checklists"]] == [DUST] and body["not_applicable"] == []


def test_invalid_alert_level_is_a_422_problem(client, headers, session, synced) -> None:
    site = make_site(session, "construction_site", {}, at=OUTSIDE)
    session.commit()
    response = client.get(f"/api/v1/sites/{site.id}/checklist", headers=headers, query_string={"alert_level": "purple"})
    assert response.status_code == 422


def test_site_outside_the_callers_jurisdiction_is_404(client, headers, session, synced) -> None:
    site = make_site(session, "construction_site", {"floor_area_m2": 6000}, jurisdiction_code="410822001")
    session.commit()
    response = client.get(f"/api/v1/sites/{site.id}/checklist", headers=headers)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_resolved_items_explain_which_source_gives_them_force_here_and_now(
    client, headers, session, monitoring_threshold
) -> None:
    # 000#17 (山阳区 2022) gives management_systems force at a 山阳区 site; 002#18 (河南省 2021) gives hoarding.
    site = make_site(session, "construction_site", {"floor_area_m2": 100}, at=INSIDE)
    session.commit()
    body = _resolve(client, headers, site.id, date="2024-11-20")
    (dust,) = [c for c in body["checklists"] if c["key"] == DUST]
    items = {i["key"]: i for i in dust["items"]}
    assert items["management_systems"]["scope_because"]["zh"] == "适用依据：000#17（山阳区，2022-01-01起）"
    assert items["management_systems"]["scope"] == [
        {"ref": "000#17", "kind": "plan", "jurisdictions": ["410811"], "from": "2022-01-01", "to": None}
    ]
    assert "002#18（河南省，2021-01-01起）" in items["hoarding"]["scope_because"]["zh"]
