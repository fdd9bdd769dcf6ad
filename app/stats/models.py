"""Statistics rollups: one row per (grain, period, jurisdiction, dimension), recomputed from the base tables.

``grain`` is ``m`` (calendar month) or ``w`` (ISO week, Monday), and in stats_inspections also ``y`` (calendar
year: the sum of its month rows); ``period`` is its first Asia/Shanghai day.
``jurisdiction_id`` is the site's own (smallest) jurisdiction: any level is a roll-up over the tree by path.
Rows are derived data, rewritten by ``app.stats.rollup`` only; ``stats_dirty`` lists the groups to redo.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Identity, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

GRAINS = ("m", "w", "y")  # 'y': stats_inspections only, the sums of a year's month rows
TOTAL_MEASURES = (
    "inspections",
    "passed",
    "approved",
    "rejected",
    "findings",
    "failed_findings",
    "fiscal_deduction_fen",
    "statutory_fine_fen",
    "blocked_lines",
)

# stats_cases: cases opened in the period as they stand now (app/stats/case_rollup.py); open_<stage> per open stage
# of app/cases/transitions.OPEN_STAGES.
CASE_MEASURES = (
    "cases",
    "open_cases",
    "closed_cases",
    "open_filing",
    "open_investigation",
    "open_notice",
    "open_decision",
    "open_execution",
    "statutory_fine_proposed_fen",
    "statutory_fine_decided_fen",
    "statutory_fine_paid_fen",
    "orders",
    "fiscal_deductions",
    "fiscal_deduction_proposed_fen",
    "fiscal_deduction_notified_fen",
    "fiscal_deduction_settled_fen",
)


class StatsDirty(Base):
    """A mark that a (jurisdiction, month)'s figures changed since the last refresh (written by triggers, 0017).
    Appended, duplicates allowed (0037): a marking writer never waits for another that marked the same group."""

    __tablename__ = "stats_dirty"
    __table_args__ = (Index("ix_stats_dirty_group", "jurisdiction_id", "month"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(Integer)
    month: Mapped[date]
    marked_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class StatsInspections(Base):
    __tablename__ = "stats_inspections"
    __table_args__ = (
        Index("ix_stats_inspections_jurisdiction", "jurisdiction_id", "grain", "period"),
        # The totals across checklists and kinds per jurisdiction, index-only (by=jurisdiction at any level).
        Index(
            "ix_stats_inspections_totals",
            "jurisdiction_id",
            "grain",
            "period",
            postgresql_where=text("checklist_key = '*' AND site_kind = '*'"),
            postgresql_include=list(TOTAL_MEASURES),
        ),
    )

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    site_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    inspections: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    approved: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)
    failed_findings: Mapped[int] = mapped_column(Integer)
    fiscal_deduction_fen: Mapped[int] = mapped_column(BigInteger)
    statutory_fine_fen: Mapped[int] = mapped_column(BigInteger)
    blocked_lines: Mapped[int] = mapped_column(Integer)


class StatsItems(Base):
    __tablename__ = "stats_items"
    __table_args__ = (Index("ix_stats_items_jurisdiction", "jurisdiction_id", "grain", "period"),)

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    findings: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    na: Mapped[int] = mapped_column(Integer)


class StatsInspectors(Base):
    __tablename__ = "stats_inspectors"
    __table_args__ = (Index("ix_stats_inspectors_jurisdiction", "jurisdiction_id", "grain", "period"),)

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspections: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    failed_findings: Mapped[int] = mapped_column(Integer)
    fiscal_deduction_fen: Mapped[int] = mapped_column(BigInteger)
    statutory_fine_fen: Mapped[int] = mapped_column(BigInteger)


class StatsSites(Base):
    """Inspections with a failed current finding per site and month (repeat offenders), in the site's
    jurisdiction when recomputed; rewritten with the month's other rollups."""

    __tablename__ = "stats_sites"
    __table_args__ = (
        Index("ix_stats_sites_jurisdiction", "jurisdiction_id", "period"),
        # Repeat sites over a range of months, index-only.
        Index(
            "ix_stats_sites_period",
            "period",
            postgresql_include=["site_id", "jurisdiction_id", "failed_inspections", "last_failed_at"],
        ),
    )

    period: Mapped[date] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(Integer)
    failed_inspections: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime]


class StatsCases(Base):
    """Enforcement cases per (grain, period, jurisdiction subtree): the cases opened in the period (Asia/Shanghai)
    as they stand now, their orders to correct, and the fiscal deductions proposed in the period (000§五(二))."""

    __tablename__ = "stats_cases"
    # A period's rows for every jurisdiction, index-only (by jurisdiction at township level for a province).
    __table_args__ = (
        Index("ix_stats_cases_grain", "grain", "period", postgresql_include=["jurisdiction_id", *CASE_MEASURES]),
    )

    jurisdiction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)
    open_cases: Mapped[int] = mapped_column(Integer)
    closed_cases: Mapped[int] = mapped_column(Integer)
    open_filing: Mapped[int] = mapped_column(Integer)
    open_investigation: Mapped[int] = mapped_column(Integer)
    open_notice: Mapped[int] = mapped_column(Integer)
    open_decision: Mapped[int] = mapped_column(Integer)
    open_execution: Mapped[int] = mapped_column(Integer)
    statutory_fine_proposed_fen: Mapped[int] = mapped_column(BigInteger)
    statutory_fine_decided_fen: Mapped[int] = mapped_column(BigInteger)
    statutory_fine_paid_fen: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer)
    fiscal_deductions: Mapped[int] = mapped_column(Integer)
    fiscal_deduction_proposed_fen: Mapped[int] = mapped_column(BigInteger)
    fiscal_deduction_notified_fen: Mapped[int] = mapped_column(BigInteger)
    fiscal_deduction_settled_fen: Mapped[int] = mapped_column(BigInteger)


class StatsCaseDeadlines(Base):
    """Open orders to correct of open cases per (grain, period the case was opened, jurisdiction subtree,
    deadline): how many are overdue depends on the day asked (app/cases/overdue.py), so they are counted then."""

    __tablename__ = "stats_case_deadlines"
    __table_args__ = (
        Index(
            "ix_stats_case_deadlines_grain",
            "grain",
            "period",
            postgresql_include=["jurisdiction_id", "deadline", "open_orders"],
        ),
    )

    jurisdiction_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(primary_key=True)
    deadline: Mapped[date] = mapped_column(primary_key=True)
    open_orders: Mapped[int] = mapped_column(Integer)


class StatsAnswer(Base):
    """A built statistics answer (JSON around the open pending count), shared by every worker and app server
    (migration 0039, app/stats/answer_cache.py); rows of older rollup versions go at the next refresh."""

    __tablename__ = "stats_answers"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    rollup_version: Mapped[int] = mapped_column(BigInteger, index=True)
    before: Mapped[bytes] = mapped_column(LargeBinary)
    after: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
