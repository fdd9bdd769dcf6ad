"""Jurisdiction rows: GB/T 2260 division codes, a parent tree and (optionally) a boundary."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin


class Jurisdiction(TimestampMixin, Base):
    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    # Materialised path of codes, e.g. "/410000/410800/410811/": scope checks are prefix matches.
    path: Mapped[str] = mapped_column(String(200), index=True)
    boundary: Mapped[WKBElement | None] = mapped_column(
        Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=True)
    )

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)
