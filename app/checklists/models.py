"""Stored checklist versions and jurisdiction-set checklist parameters.

``ChecklistVersion`` rows are immutable: a database trigger (migration 0003) refuses DELETE and any
UPDATE that changes a column other than ``is_current``. Inspections reference ``key`` + ``version``
(or ``content_hash``), so every version stays readable forever.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class ChecklistVersion(Base):
    __tablename__ = "checklist_versions"
    __table_args__ = (
        # A changed file must bump its `version`: (key, version) names exactly one content.
        UniqueConstraint("key", "version", name="uq_checklist_versions_key_version"),
        # At most one current version per key.
        Index("uq_checklist_versions_current_key", "key", unique=True, postgresql_where=text("is_current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))  # indexed by uq (key, version)
    version: Mapped[str] = mapped_column(String(40))
    # sha256 of the canonical JSON of ``content`` (app.checklists.canonical.content_hash): the ETag.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[dict[str, Any]]
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    site_kinds: Mapped[list[Any]]
    source_file: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    is_current: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class ChecklistParameterValue(Base):
    """A jurisdiction's value for a checklist parameter that no plan fixes (``jurisdiction_configurable``).

    The most specific jurisdiction in a site's chain wins (a county overrides its city).
    """

    __tablename__ = "checklist_parameter_values"
    __table_args__ = (
        UniqueConstraint(
            "jurisdiction_id", "checklist_key", "name", name="uq_checklist_parameter_values_jurisdiction_key_name"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"))
    checklist_key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
