"""Alerts (append-only declarations), emergency reduction lists (versioned by effective date), their site
entries and per-level measures."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

if TYPE_CHECKING:
    from app.jurisdictions.models import Jurisdiction
    from app.sites.models import Site


class Alert(Base):
    """One declaration: a level in force in a jurisdiction (and everything below it) from ``starts_at``.

    Never edited (Air Law Art. 95: "预警等级根据情况变化及时调整" — each change is a new notice). An upgrade,
    downgrade or lift is a new row naming the row it ``supersedes``; its ``starts_at`` ends the earlier one.
    A lift is a row with level ``none``. ``ends_at`` is set only when the notice itself gives the end (most
    say "解除时间另行通知")."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("level IN ('none', 'blue', 'yellow', 'orange', 'red')", name="level"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    issuer: Mapped[str] = mapped_column(String(200))
    doc_ref: Mapped[str] = mapped_column(String(200))
    batch_code: Mapped[str | None] = mapped_column(String(40))
    # At most one record changes a given record: the chain of a notice never forks.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True, unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    jurisdiction: Mapped[Jurisdiction] = relationship(lazy="joined")


class ReductionList(Base):
    """One imported version of a jurisdiction's emergency reduction list (应急减排清单; 000#35, 003#35).

    A version is in force from ``effective_from`` (Asia/Shanghai date) until the next version of the same
    jurisdiction takes over (or ``effective_to``). ``illustrative`` marks demo data that is no real list."""

    __tablename__ = "reduction_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    doc_ref: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    illustrative: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    jurisdiction: Mapped[Jurisdiction] = relationship(lazy="joined")
    entries: Mapped[list[ReductionEntry]] = relationship(
        back_populates="reduction_list", order_by="ReductionEntry.id", lazy="selectin"
    )


class ReductionEntry(Base):
    """A site on a list: its performance grade (绩效分级), industry and whether it fully substituted
    low-VOC materials (000#27: 自主减排)."""

    __tablename__ = "reduction_entries"
    __table_args__ = (
        CheckConstraint("grade IN ('A', 'B', 'B-', 'C', 'D', '引领性', '非引领性', '未分级')", name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("reduction_lists.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    grade: Mapped[str] = mapped_column(String(8))
    industry: Mapped[str] = mapped_column(String(100))
    low_voc_substituted: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    reduction_list: Mapped[ReductionList] = relationship(back_populates="entries")
    site: Mapped[Site] = relationship(lazy="joined")
    measures: Mapped[list[ReductionMeasure]] = relationship(
        back_populates="entry", order_by="ReductionMeasure.id", lazy="selectin"
    )


class ReductionMeasure(Base):
    """One typed measure of an entry, for one alert level or for a staggered-production period (错峰生产)."""

    __tablename__ = "reduction_measures"
    __table_args__ = (
        CheckConstraint("trigger IN ('yellow', 'orange', 'red', 'staggered')", name="trigger"),
        CheckConstraint(
            "trigger <> 'staggered' OR (starts_on IS NOT NULL AND ends_on IS NOT NULL AND ends_on >= starts_on)",
            name="staggered_period",
        ),
        CheckConstraint("percent IS NULL OR (percent > 0 AND percent <= 100)", name="percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("reduction_entries.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(200))
    percent: Mapped[int | None] = mapped_column(SmallInteger)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    row_no: Mapped[int] = mapped_column(Integer)

    entry: Mapped[ReductionEntry] = relationship(back_populates="measures")
