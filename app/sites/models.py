"""Registered sites (construction sites, gas stations, restaurants …) and their zone memberships."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin
from app.jurisdictions.models import Jurisdiction

PARTY_TYPES = ("company", "individual")
# Kinds whose geometry is a line; every other kind is a point.
LINE_KINDS = frozenset({"road_segment"})


class Site(TimestampMixin, Base):
    __tablename__ = "sites"
    __table_args__ = (
        # ST_DWithin / ST_Distance on geography use this expression index (nearby search in metres).
        Index("ix_sites_geog", text("(geom::geography)"), postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optional external/registry code (demo sites carry e.g. DEMO-CS-001); unique when given.
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    operator_type: Mapped[str] = mapped_column(String(16))  # company | individual
    operator_name: Mapped[str] = mapped_column(String(200))
    operator_credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    address: Mapped[str | None] = mapped_column(String(400))
    # POINT for most kinds, LINESTRING for road_segment: a generic GEOMETRY column, WGS-84.
    geom: Mapped[WKBElement] = mapped_column(Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=True))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    # The smallest jurisdiction whose boundary covers the site, derived by PostGIS on save.
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    is_demo: Mapped[bool] = mapped_column(default=False, server_default="false")
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    jurisdiction: Mapped[Jurisdiction] = relationship(lazy="joined")


class SiteZone(Base):
    """A site lies in (touches) a zone; derived by PostGIS, re-derived whenever sites or zones change."""

    __tablename__ = "site_zones"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True, index=True)
