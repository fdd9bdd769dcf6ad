"""Stored review-queue risk: one row per inspection (its facts and score), and the marks that keep it current.

Derived data, written by ``app.review.risk_store`` only (migration 0027 has the triggers that mark). A row is
trusted only while its inspection is not in ``review_dirty`` and ``review_risk_state.scored_with`` is the
fingerprint of the settings in force; the queue computes everything else live.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    desc,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import text

from app.db import Base


class ReviewRisk(Base):
    """The risk facts (``app.review.risk.InspectionFacts``) and score of one inspection, plus what the queue
    filters and orders by without a join: state, has_failed, queued_at and the site's jurisdiction path."""

    __tablename__ = "review_risk"
    __table_args__ = (
        # The queue's order (score desc, then longest waiting, then id) per state: a first page is an index range.
        Index("ix_review_risk_order", "state", desc("score"), "queued_at", "inspection_id"),
        # Counts per state (index-only, up to the cap) and a county's page: state, the path prefix, has_failed.
        Index(
            "ix_review_risk_scope",
            "state",
            "jurisdiction_path",
            "has_failed",
            postgresql_ops={"jurisdiction_path": "varchar_pattern_ops"},
            postgresql_include=["inspection_id"],
        ),
    )

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    has_failed: Mapped[bool] = mapped_column(Boolean)
    queued_at: Mapped[datetime]
    jurisdiction_path: Mapped[str] = mapped_column(String(200))
    site_kind: Mapped[str] = mapped_column(String(32))
    officer_count: Mapped[int] = mapped_column(Integer)
    failed_without_photo: Mapped[int] = mapped_column(Integer)
    flag_codes: Mapped[list[str]] = mapped_column(ARRAY(String))
    reused_photos: Mapped[int] = mapped_column(Integer)
    near_duplicate_photos: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[float | None] = mapped_column(Float)
    outside_jurisdiction: Mapped[bool | None] = mapped_column(Boolean)
    duration_s: Mapped[float | None] = mapped_column(Float)
    total_amount_fen: Mapped[int] = mapped_column(BigInteger)
    alert_claimed: Mapped[str] = mapped_column(String(16))
    alert_in_force: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)


class ReviewDirty(Base):
    """A mark that an inspection's stored risk is stale (written by triggers in the writer's transaction).
    Appended, duplicates allowed (0038): a marking writer never waits for the refresh job nor another writer."""

    __tablename__ = "review_dirty"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(index=True)
    marked_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class ReviewDirtyPhoto(Base):
    """A photo linked, unlinked or re-hashed: the inspections linking the same or a similar photo are stale.
    Appended like ``ReviewDirty``."""

    __tablename__ = "review_dirty_photos"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    photo_id: Mapped[uuid.UUID] = mapped_column(index=True)
    marked_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class ReviewRiskState(Base):
    """One row: the fingerprint of the risk settings the stored scores were computed with (NULL: none)."""

    __tablename__ = "review_risk_state"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    scored_with: Mapped[str | None] = mapped_column(String(64))
