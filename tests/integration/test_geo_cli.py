"""``flask geo import`` / ``flask geo export``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.geo.crs import from_wgs84
from app.jurisdictions.models import Jurisdiction
from app.zones.models import Zone
from tests.factories_geo import JURISDICTION_BOUNDARIES, collection, feature, square


def test_geo_import_jurisdictions_then_zones_from_files(app, session, tree, tmp_path) -> None:
    runner = app.test_cli_runner()
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(JURISDICTION_BOUNDARIES))
    result = runner.invoke(args=["geo", "import", str(path), "--as", "jurisdictions"])
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    ring = [
        list(from_wgs84(x, y, "gcj02"))
        for x, y in [(113.22, 35.22), (113.28, 35.22), (113.28, 35.28), (113.22, 35.28), (113.22, 35.22)]
    ]
    zones = tmp_path / "z.geojson"
    zones.write_text(
        json.dumps(collection(feature({"type": "Polygon", "coordinates": [ring]}, code="FWB", name="禁燃区")))
    )
    result = runner.invoke(
        args=["geo", "import", str(zones), "--as", "zones", "--kind", "fireworks_ban", "--crs", "gcj02"]
    )
    assert result.exit_code == 0, result.output
    zone = session.scalar(select(Zone).where(Zone.code == "FWB"))
    assert zone.kind == "fireworks_ban"
    assert session.scalar(select(func.ST_XMin(Zone.geom))) == pytest.approx(113.22, abs=1e-6)


def test_geo_import_rejects_the_whole_file_and_lists_errors(app, session, tree, tmp_path) -> None:
    doc = collection(
        feature(square(113.2, 35.2, 113.3, 35.3), code="410811", name="山阳区"),
        feature(None, code="410822", name="博爱县"),
    )
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(doc))
    result = app.test_cli_runner().invoke(args=["geo", "import", str(path), "--as", "jurisdictions"])
    assert result.exit_code == 1
    assert "features[1].geometry" in result.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Jurisdiction).where(Jurisdiction.boundary.is_not(None))) == 0


def test_geo_export_prints_a_feature_collection(app, session, tree, tmp_path) -> None:
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(JURISDICTION_BOUNDARIES))
    runner = app.test_cli_runner()
    runner.invoke(args=["geo", "import", str(path), "--as", "jurisdictions"])
    result = runner.invoke(args=["geo", "export", "jurisdictions"])
    assert json.loads(result.output)["type"] == "FeatureCollection"
