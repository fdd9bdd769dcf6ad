"""Zone rows: a designated area of one kind (``app.geo.zone_properties.ZONE_KINDS``), owned by a
jurisdiction, valid for a period."""

from __future__ import annotations

from datetime import date

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampMixin


class Zone(TimestampMixin, Base):
    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    # The jurisdiction that designated (and answers for) the zone.
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    # The document that designated it (e.g. a 通告 with its number).
    designated_by: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    is_demo: Mapped[bool] = mapped_column(default=False, server_default="false")
    geom: Mapped[WKBElement] = mapped_column(Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=True))

    def in_force(self, on: date) -> bool:
        """Whether the designation applies on ``on`` (open ends are unbounded)."""
        return designation_in_force(self.valid_from, self.valid_to, on)


def designation_in_force(valid_from: date | None, valid_to: date | None, on: date) -> bool:
    """Whether a zone designated for [valid_from, valid_to] applies on ``on`` (open ends are unbounded)."""
    return (valid_from is None or valid_from <= on) and (valid_to is None or on <= valid_to)
