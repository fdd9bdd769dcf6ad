"""The console map's base layer settings and the page policy that follows from them."""

from __future__ import annotations

import pytest

from app.console.basemap import basemap_from_config, console_csp


def test_no_base_map_by_default_and_images_from_this_origin_only() -> None:
    basemap = basemap_from_config({})
    assert basemap.url == "" and basemap.crs == "wgs84"
    csp = console_csp(basemap)
    assert "img-src 'self' blob: data:;" in csp
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp


def test_a_gcj02_tile_service_is_allowed_as_images_only() -> None:
    basemap = basemap_from_config(
        {
            "CONSOLE_BASEMAP_URL": "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8",
            "CONSOLE_BASEMAP_CRS": "GCJ02",
        }
    )
    assert basemap.crs == "gcj02"
    csp = console_csp(basemap)
    assert "img-src 'self' blob: data: https://webrd0a.is.autonavi.com;" not in csp  # {s} stands for several hosts
    assert "https://*.is.autonavi.com" in csp.split("img-src")[1].split(";")[0]
    assert "autonavi" not in csp.split("connect-src")[1]


def test_one_host_tiles_are_named_exactly() -> None:
    csp = console_csp(basemap_from_config({"CONSOLE_BASEMAP_URL": "https://tiles.example.cn/{z}/{x}/{y}.png"}))
    assert "img-src 'self' blob: data: https://tiles.example.cn;" in csp


@pytest.mark.parametrize(
    "config",
    [{"CONSOLE_BASEMAP_CRS": "bd09"}, {"CONSOLE_BASEMAP_URL": "javascript:alert(1)"}],
)
def test_a_bad_setting_stops_the_start(config: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        basemap_from_config(config)
