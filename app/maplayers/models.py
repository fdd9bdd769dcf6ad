"""The low-zoom tiles' rollup (migration 0032): per site its drawn point in each coordinate system and its
inspections and failed findings per (state, checklist), the sites changed since the last refresh, and the
rollup's version. Kept current by app/maplayers/rollup.py."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Identity, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


def _point() -> Geometry:
    # Web-mercator, as tiles are drawn: ST_AsMVTGeom reads it without a transform per request.
    return Geometry(geometry_type="POINT", srid=3857, spatial_index=False)


class MapSite(Base):
    """A site's point (ST_PointOnSurface) in WGS-84, GCJ-02 and BD-09, projected to web-mercator, its
    jurisdiction's path (scope) and its totals per state (the sums of its ``map_site_counts`` rows): a low-zoom
    tile without a checklist filter is one GiST probe of this table."""

    __tablename__ = "map_sites"
    __table_args__ = (
        Index("ix_map_sites_p_wgs84", "p_wgs84", postgresql_using="gist"),
        Index("ix_map_sites_p_gcj02", "p_gcj02", postgresql_using="gist"),
        Index("ix_map_sites_p_bd09", "p_bd09", postgresql_using="gist"),
    )

    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(Integer)
    jurisdiction_path: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    p_wgs84: Mapped[WKBElement] = mapped_column(_point())
    p_gcj02: Mapped[WKBElement] = mapped_column(_point())
    p_bd09: Mapped[WKBElement] = mapped_column(_point())
    inspections_draft: Mapped[int] = mapped_column(Integer)
    inspections_submitted: Mapped[int] = mapped_column(Integer)
    inspections_returned: Mapped[int] = mapped_column(Integer)
    inspections_approved: Mapped[int] = mapped_column(Integer)
    inspections_rejected: Mapped[int] = mapped_column(Integer)
    failed_draft: Mapped[int] = mapped_column(Integer)
    failed_submitted: Mapped[int] = mapped_column(Integer)
    failed_returned: Mapped[int] = mapped_column(Integer)
    failed_approved: Mapped[int] = mapped_column(Integer)
    failed_rejected: Mapped[int] = mapped_column(Integer)


class MapSiteCount(Base):
    """A site's inspections (every one, with or without a phone position) and the failed findings of their
    current submission and revision, per state and checklist."""

    __tablename__ = "map_site_counts"

    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    checklist_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    inspections: Mapped[int] = mapped_column(Integer)
    failed_findings: Mapped[int] = mapped_column(Integer)


class MapDirty(Base):
    """A mark that a site's counts or point changed since the last refresh (written by triggers, 0032). Appended,
    duplicates allowed (0036): a marking writer never waits for another one that marked the same site."""

    __tablename__ = "map_dirty"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    marked_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class MapRollupState(Base):
    """One row: the rollup's version (moved by every refresh that changed something) and when."""

    __tablename__ = "map_rollup_state"
    __table_args__ = (CheckConstraint("id", name="one_row"),)

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
