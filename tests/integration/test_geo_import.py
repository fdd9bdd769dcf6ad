"""GeoJSON import into PostGIS: replace-by-code, repairs, per-feature errors, all-or-nothing, audit."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.errors import ValidationFailed
from app.geo.importer import import_geojson
from app.jurisdictions.models import Jurisdiction
from app.zones.models import Zone
from tests.factories_geo import JURISDICTION_BOUNDARIES, ZONES, collection, feature, make_geography, square


def _boundary_wkt(session, code):
    return session.scalar(select(func.ST_AsText(Jurisdiction.boundary)).where(Jurisdiction.code == code))


def test_import_sets_boundaries_and_creates_zones(session, tree) -> None:
    make_geography(session)
    session.commit()
    assert _boundary_wkt(session, "410811001").startswith("MULTIPOLYGON")
    assert session.scalar(select(func.count()).select_from(Zone)) == 2


def test_importing_an_existing_code_replaces_its_boundary_and_is_audited(session, tree) -> None:
    make_geography(session)
    session.commit()
    result = import_geojson(
        session,
        collection(feature(square(113.20, 35.20, 113.31, 35.31), code="410811", name="山阳区")),
        mode="jurisdictions",
    )
    session.commit()
    assert result.replaced == ["410811"]
    assert "113.31" in _boundary_wkt(session, "410811")
    j = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "410811"))
    assert j.level == "county" and j.parent.code == "410800"  # kept when the feature omits them
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == "410811")).all()
    assert actions.count("jurisdiction.boundary_replace") == 2


def test_reimporting_the_same_shape_changes_nothing(session, tree) -> None:
    make_geography(session)
    session.commit()
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    result = import_geojson(session, JURISDICTION_BOUNDARIES, mode="jurisdictions")
    zones = import_geojson(session, ZONES, mode="zones")
    session.commit()
    assert len(result.unchanged) == 5 and len(zones.unchanged) == 2
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_one_bad_feature_rejects_the_whole_import(session, tree) -> None:
    bad = collection(
        feature(
            square(113.20, 35.20, 113.30, 35.30), code="410811", name="山阳区", level="county", parent_code="410800"
        ),
        feature(
            {"type": "Polygon", "coordinates": [[[113.0, 35.0], [113.1, 35.0], [113.0, 35.0]]]},
            code="410822",
            name="博爱县",
        ),
    )
    with pytest.raises(ValidationFailed) as info:
        import_geojson(session, bad, mode="jurisdictions")
    session.rollback()
    assert [e.path for e in info.value.errors] == ["features[1].geometry.coordinates[0]"]
    assert _boundary_wkt(session, "410811") is None


def test_unknown_parent_is_a_per_feature_error(session, tree) -> None:
    doc = collection(
        feature(square(113.2, 35.2, 113.3, 35.3), code="999999", name="无", level="county", parent_code="999000")
    )
    with pytest.raises(ValidationFailed) as info:
        import_geojson(session, doc, mode="jurisdictions")
    assert info.value.errors[0].code == "unknown_parent"
    assert info.value.errors[0].path == "features[0].properties.parent_code"


def test_bow_tie_polygon_is_repaired_and_reported(session, tree) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[113.2, 35.2], [113.3, 35.3], [113.3, 35.2], [113.2, 35.3], [113.2, 35.2]]],
    }
    result = import_geojson(session, collection(feature(bow_tie, code="410811", name="山阳区")), mode="jurisdictions")
    session.commit()
    assert result.repairs and result.repairs[0]["path"] == "features[0].geometry"
    assert session.scalar(select(func.ST_IsValid(Jurisdiction.boundary)).where(Jurisdiction.code == "410811"))
    assert (
        session.scalar(select(func.ST_NumGeometries(Jurisdiction.boundary)).where(Jurisdiction.code == "410811")) == 2
    )


def test_streamed_file_imports_like_parsed_json(session, tree) -> None:
    fp = io.BytesIO(json.dumps(JURISDICTION_BOUNDARIES).encode())
    result = import_geojson(session, fp, mode="jurisdictions")
    session.commit()
    assert sorted(result.created) == ["410811", "410811001", "410811002", "410822", "410822001"]


def test_zone_kind_from_option_and_owner_derived_from_boundaries(session, tree) -> None:
    import_geojson(session, JURISDICTION_BOUNDARIES, mode="jurisdictions")
    import_geojson(
        session,
        collection(feature(square(113.26, 35.21, 113.27, 35.22), code="NRMM-1", name="非道路")),
        mode="zones",
        kind="nrmm_control",
    )
    session.commit()
    zone = session.scalar(select(Zone).where(Zone.code == "NRMM-1"))
    assert zone.kind == "nrmm_control"
    assert session.get(Jurisdiction, zone.jurisdiction_id).code == "410811001"


def test_gcj02_import_is_stored_in_wgs84(session, tree) -> None:
    from app.geo.crs import from_wgs84

    ring = [
        list(from_wgs84(x, y, "gcj02"))
        for x, y in [(113.2, 35.2), (113.3, 35.2), (113.3, 35.3), (113.2, 35.3), (113.2, 35.2)]
    ]
    import_geojson(
        session,
        collection(feature({"type": "Polygon", "coordinates": [ring]}, code="410811", name="山阳区")),
        mode="jurisdictions",
        crs="gcj02",
    )
    session.commit()
    xmin = session.scalar(select(func.ST_XMin(Jurisdiction.boundary)).where(Jurisdiction.code == "410811"))
    assert xmin == pytest.approx(113.2, abs=1e-6)


def test_adcode_style_division_files_import_as_they_are(session, tree) -> None:
    # The shape of widely circulated division files: numeric adcode, parent {adcode}, level "district".
    districts = collection(
        {
            "type": "Feature",
            "geometry": square(113.20, 35.20, 113.30, 35.30),
            "properties": {
                "adcode": 410811,
                "name": "山阳区",
                "level": "district",
                "parent": {"adcode": 410800},
                "center": [113.254, 35.214],
            },
        },
        {
            "type": "Feature",
            "geometry": square(112.85, 35.05, 113.00, 35.20),
            "properties": {"adcode": 410882, "name": "沁阳市"},
        },  # level and parent implied by the code
    )
    import_geojson(session, districts, mode="jurisdictions")
    session.commit()
    qinyang = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "410882"))
    assert qinyang.level == "county"
    assert qinyang.path == "/410000/410800/410882/"
    shanyang = session.scalar(select(Jurisdiction).where(Jurisdiction.code == "410811"))
    assert shanyang.boundary is not None and shanyang.level == "county"


def test_import_past_its_deadline_is_refused_and_writes_nothing(session, tree) -> None:
    from app.errors import PayloadTooLarge
    from app.geo.limits import ImportLimits

    ticks = iter(range(1000))
    with pytest.raises(PayloadTooLarge) as info:
        import_geojson(
            session,
            JURISDICTION_BOUNDARIES,
            mode="jurisdictions",
            limits=ImportLimits(max_seconds=6),
            clock=lambda: float(next(ticks)),
        )  # each look at the clock is one second later
    session.rollback()
    assert info.value.code == "import_too_slow"
    assert _boundary_wkt(session, "410811") is None


def test_zone_drawn_inside_another_county_is_refused_naming_its_owner(session, tree) -> None:
    import_geojson(session, JURISDICTION_BOUNDARIES, mode="jurisdictions")
    session.commit()
    # "belongs" to 山阳区 410811 but lies in 博爱县 (lon 113.00–113.10)
    doc = collection(
        feature(
            square(113.02, 35.22, 113.08, 35.28),
            code="SY-FWB-2",
            name="禁燃区",
            kind="fireworks_ban",
            jurisdiction_code="410811",
        )
    )
    with pytest.raises(ValidationFailed) as info:
        import_geojson(session, doc, mode="zones")
    session.rollback()
    [error] = info.value.errors
    assert (error.path, error.code) == ("features[0].geometry", "zone_outside_owner")
    assert "410811" in error.message_en and "410811" in error.message_zh
    assert session.scalar(select(func.count()).select_from(Zone)) == 0


def test_zone_straying_past_its_owner_only_by_boundary_noise_is_accepted(session, tree) -> None:
    import_geojson(session, JURISDICTION_BOUNDARIES, mode="jurisdictions")
    # 山阳区 ends at lon 113.30; 0.0002° (about 18 m) past it is noise, 0.002° (about 180 m) is not
    noisy = collection(
        feature(
            square(113.22, 35.22, 113.3002, 35.28),
            code="Z-NOISE",
            name="禁燃区",
            kind="fireworks_ban",
            jurisdiction_code="410811",
        )
    )
    assert import_geojson(session, noisy, mode="zones").created == ["Z-NOISE"]
    beyond = collection(
        feature(
            square(113.22, 35.22, 113.302, 35.28),
            code="Z-BEYOND",
            name="禁燃区",
            kind="fireworks_ban",
            jurisdiction_code="410811",
        )
    )
    with pytest.raises(ValidationFailed) as info:
        import_geojson(session, beyond, mode="zones")
    assert info.value.errors[0].code == "zone_outside_owner"


def test_zone_of_a_jurisdiction_without_boundary_is_refused(session, tree) -> None:
    doc = collection(
        feature(
            square(113.22, 35.22, 113.28, 35.28),
            code="Z1",
            name="禁燃区",
            kind="fireworks_ban",
            jurisdiction_code="410811",
        )
    )
    with pytest.raises(ValidationFailed) as info:
        import_geojson(session, doc, mode="zones")
    assert [(e.path, e.code) for e in info.value.errors] == [("features[0].geometry", "owner_boundary_missing")]


PUYANG = feature(square(114.8, 35.6, 115.2, 36.0), code="410900", name="濮阳市")  # level and parent from the code
HUALONG = feature(square(114.9, 35.7, 115.0, 35.8), code="410902", name="华龙区")
QINGFENG = feature(square(115.0, 35.8, 115.1, 35.9), code="410922", name="清丰县")


def _path(session, code):
    return session.scalar(select(Jurisdiction.path).where(Jurisdiction.code == code))


def test_districts_before_their_city_are_refused_naming_the_missing_parent(session, tree) -> None:
    with pytest.raises(ValidationFailed) as info:
        import_geojson(session, collection(HUALONG, QINGFENG), mode="jurisdictions")
    session.rollback()
    assert [(e.path, e.code) for e in info.value.errors] == [
        ("features[0].properties.parent_code", "unknown_parent"),
        ("features[1].properties.parent_code", "unknown_parent"),
    ]
    assert all("410900" in e.message_en and "410900" in e.message_zh for e in info.value.errors)
    assert _path(session, "410902") is None
    # once the city is there, the same file hangs under it
    import_geojson(session, collection(PUYANG), mode="jurisdictions")
    result = import_geojson(session, collection(HUALONG, QINGFENG), mode="jurisdictions")
    session.commit()
    assert sorted(result.created) == ["410902", "410922"]
    assert _path(session, "410902") == "/410000/410900/410902/"


def test_districts_listed_before_their_city_in_one_file_hang_under_it(session, tree) -> None:
    result = import_geojson(session, collection(HUALONG, QINGFENG, PUYANG), mode="jurisdictions")
    session.commit()
    assert sorted(result.created) == ["410900", "410902", "410922"]
    assert _path(session, "410900") == "/410000/410900/"
    assert _path(session, "410922") == "/410000/410900/410922/"


def test_a_district_left_as_a_root_by_an_earlier_import_is_moved_under_its_city(session, tree) -> None:
    from app.jurisdictions.services import upsert_jurisdiction

    upsert_jurisdiction(session, code="410902", name_zh="华龙区", level="county")  # what the old importer left
    import_geojson(session, collection(PUYANG), mode="jurisdictions")
    result = import_geojson(session, collection(HUALONG), mode="jurisdictions")
    session.commit()
    assert result.reparented == ["410902"] and result.unchanged == []
    assert _path(session, "410902") == "/410000/410900/410902/"


def test_new_non_province_without_a_parent_is_refused(session, tree) -> None:
    doc = collection(feature(square(113.2, 35.2, 113.3, 35.3), code="DEV-1", name="开发区", level="county"))
    with pytest.raises(ValidationFailed) as info:
        import_geojson(session, doc, mode="jurisdictions")
    assert [(e.path, e.code) for e in info.value.errors] == [("features[0].properties.parent_code", "missing_parent")]
