"""Cases, the inspections they hold, their events (the timeline's own entries), orders to correct, fiscal
deductions (000§五(二), a separate record against a sub-district) and the jurisdiction settings of cases.

``version`` is a case's ETag; every change bumps it. ``last_change_hash``/``last_change_by`` let a retry of
the change whose response was lost answer as the first did instead of 412.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin
from app.etags import version_etag

if TYPE_CHECKING:
    from app.jurisdictions.models import Jurisdiction
    from app.sites.models import Site


class Case(TimestampMixin, Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(
            "stage IN ('filing', 'investigation', 'notice', 'decision', 'execution', 'closed')", name="stage"
        ),
        CheckConstraint("party_kind IN ('unit', 'individual')", name="party_kind"),
        # One open case per party and site (opening.open_or_join_case joins it).
        Index(
            "uq_cases_open_site_party",
            "site_id",
            "party_key",
            unique=True,
            postgresql_where=text("stage <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # The authority's jurisdiction: the site's when the case opened (scope of every case endpoint).
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16), default="filing", server_default="filing")
    round: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # 当事人 (taken from the site's operator; editable, audited).
    party_key: Mapped[str] = mapped_column(String(200))  # credit code / ID number / name at opening: never edited
    party_kind: Mapped[str] = mapped_column(String(16))
    party_name: Mapped[str] = mapped_column(String(200))
    party_credit_code: Mapped[str | None] = mapped_column(String(18))
    party_legal_representative: Mapped[str | None] = mapped_column(String(100))
    party_address: Mapped[str | None] = mapped_column(String(400))
    party_id_number: Mapped[str | None] = mapped_column(String(18))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Stage dates (Asia/Shanghai dates the law counts from) and the decision.
    filed_on: Mapped[date | None]
    filing_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notice_served_on: Mapped[date | None]
    proposed_fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    hearing_right: Mapped[bool | None]
    hearing_requested_on: Mapped[date | None]
    rights_waived: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    decided_on: Mapped[date | None]
    decided_fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    decided_measures: Mapped[list[Any] | None]
    decision_served_on: Mapped[date | None]
    paid_on: Mapped[date | None]
    paid_fen: Mapped[int | None] = mapped_column(BigInteger)
    closed_on: Mapped[date | None]
    close_reason: Mapped[str | None] = mapped_column(Text)
    last_change_hash: Mapped[str | None] = mapped_column(String(64))
    last_change_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    site: Mapped[Site] = relationship(lazy="joined")
    jurisdiction: Mapped[Jurisdiction] = relationship(lazy="joined")
    inspections: Mapped[list[CaseInspection]] = relationship(
        back_populates="case", order_by="CaseInspection.id", lazy="selectin"
    )
    orders: Mapped[list[CorrectionOrder]] = relationship(
        back_populates="case", order_by="CorrectionOrder.id", lazy="selectin"
    )

    @property
    def etag(self) -> str:
        return version_etag(self.version)


class CaseInspection(Base):
    """An approved inspection with failed findings that belongs to a case (an inspection joins one case)."""

    __tablename__ = "case_inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # initial | reinspection
    added_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    case: Mapped[Case] = relationship(back_populates="inspections")


class CaseEvent(Base):
    """One dated step of a case (opened, joined, each transition, party edit, order, re-inspection outcome)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    on_date: Mapped[date | None]  # the legal date of the step (served on, decided on …)
    at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))


class CorrectionOrder(Base):
    """责令改正违法行为决定书: its real decision date, service date and deadline, and what became of it.

    The decision date is what 按日连续处罚 counts from (大气污染防治法第一百二十三条 "自责令改正之日的次日起");
    app/penalties/context.py reads it through cases.queries.order_for_inspection.
    """

    __tablename__ = "correction_orders"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'complied', 'refused')", name="status"),
        CheckConstraint("deadline >= decided_on", name="deadline_after_decision"),
        CheckConstraint("served_on IS NULL OR served_on >= decided_on", name="served_after_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    item_keys: Mapped[list[Any]]
    decided_on: Mapped[date]
    served_on: Mapped[date | None]
    deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    reinspection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspections.id"))
    outcome_on: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    case: Mapped[Case] = relationship(back_populates="orders")


class FiscalDeduction(TimestampMixin, Base):
    """财政扣缴 (000§五(二)): money charged to the responsible sub-district, a record apart from the party's case."""

    __tablename__ = "fiscal_deductions"
    __table_args__ = (CheckConstraint("status IN ('open', 'notified', 'settled')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[Any]]  # [{"rule_key", "amount_fen", "penalty_line_id"}]
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    notified_on: Mapped[date | None]
    settled_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    subdistrict: Mapped[Jurisdiction] = relationship(lazy="joined")

    @property
    def etag(self) -> str:
        return version_etag(self.version)


class CaseSettings(Base):
    """A jurisdiction's case settings (the nearest jurisdiction with a value wins). No statute fixes them:
    the 陈述申辩 period, and the 听证 thresholds of 较大数额罚款 (行政处罚法第六十三条)."""

    __tablename__ = "case_settings"
    __table_args__ = (
        CheckConstraint("statement_period_unit IN ('working_days', 'calendar_days')", name="statement_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), unique=True)
    statement_period_days: Mapped[int | None] = mapped_column(SmallInteger)
    statement_period_unit: Mapped[str | None] = mapped_column(String(16))
    hearing_threshold_unit_fen: Mapped[int | None] = mapped_column(BigInteger)
    hearing_threshold_individual_fen: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
