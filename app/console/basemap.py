"""The console map's base layer (optional) and the page's Content-Security-Policy that follows from it.

By default there is no base map: the console draws jurisdiction boundaries and zones only, so it works offline
and in tests. ``CONSOLE_BASEMAP_URL`` is a Leaflet URL template (``https://…/{z}/{x}/{y}.png``) and
``CONSOLE_BASEMAP_CRS`` the datum its tiles are drawn in: Chinese tile services (Gaode/AutoNavi, Tencent) are
GCJ-02, so the console then asks the API for every layer in ``gcj02`` and shifts GPS points the same way; tiles
of OpenStreetMap and most others are ``wgs84``. The tile host is added to ``img-src`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

BASEMAP_CRS_CHOICES = ("wgs84", "gcj02")

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self' blob: data:{tiles}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


@dataclass(frozen=True)
class Basemap:
    url: str
    crs: str
    attribution: str
    max_zoom: int

    @property
    def origin(self) -> str | None:
        if not self.url:
            return None
        parts = urlsplit(self.url.replace("{s}", "a"))
        host = parts.netloc
        if "{s}" in self.url:
            host = "*." + host.split(".", 1)[1] if "." in host else host
        return f"{parts.scheme}://{host}"


def basemap_from_config(config: Mapping[str, Any]) -> Basemap:
    crs = str(config.get("CONSOLE_BASEMAP_CRS") or "wgs84").lower()
    if crs not in BASEMAP_CRS_CHOICES:
        raise ValueError(f"CONSOLE_BASEMAP_CRS must be one of {', '.join(BASEMAP_CRS_CHOICES)}, not {crs!r}")
    url = str(config.get("CONSOLE_BASEMAP_URL") or "")
    if url and urlsplit(url.replace("{s}", "a")).scheme not in ("https", "http"):
        raise ValueError("CONSOLE_BASEMAP_URL must be an http(s) URL template")
    return Basemap(
        url=url,
        crs=crs,
        attribution=str(config.get("CONSOLE_BASEMAP_ATTRIBUTION") or ""),
        max_zoom=int(config.get("CONSOLE_BASEMAP_MAX_ZOOM") or 18),
    )


def console_csp(basemap: Basemap) -> str:
    origin = basemap.origin
    return _CSP.format(tiles=f" {origin}" if origin else "")
