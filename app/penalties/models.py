"""Stored penalty rule versions, jurisdiction penalty settings and computed penalty lines.

- ``PenaltyRuleVersion``: one row per distinct rule entry (``rule_hash``) ever synced from
  ``checklists/penalties/*.yaml``. Immutable (a trigger in migration 0006 refuses DELETE and any UPDATE other
  than ``is_current``): a changed entry becomes a new row, the old one stays readable.
- ``JurisdictionPenaltySettings``: a jurisdiction's policy choices (national vs Henan conflicts), discretion
  parameters and admin-set amounts for rules whose amount is ``to_be_set``. The nearest setting up the chain wins.
- ``PenaltyComputation`` / ``PenaltyLineRow``: the record of what an inspection costs. Lines are written when
  the inspection is submitted and only change through an audited recompute or override; a later rule file
  change does not touch them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base


class PenaltyRuleVersion(Base):
    __tablename__ = "penalty_rule_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(40))
    # sha256 of the entry as written (app.penalties.rules.rule_hash): what a computed line cites.
    rule_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    amount_status: Mapped[str] = mapped_column(String(16))
    verified: Mapped[bool] = mapped_column(Boolean)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    # The entry as written in its file (no source_file/rule_hash: those are columns).
    content: Mapped[dict[str, Any]]
    source_file: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # True while the entry is present, unchanged, in the rule files (set by `flask penalties sync`).
    is_current: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class JurisdictionPenaltySettings(Base):
    """Per-jurisdiction penalty policy. ``policy``: setting -> option (from ``policy_options``).

    ``discretion``: overrides of ``engine.DEFAULT_DISCRETION``. ``amounts``: rule key -> {rule_version,
    amount_fen | min_fen+max_fen, document_ref, set_by, set_at} for rules whose files say ``to_be_set``.
    """

    __tablename__ = "jurisdiction_penalty_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), unique=True)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    discretion: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    amounts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PenaltyComputation(Base):
    """One run of the engine for one inspection (on submit, or an audited recompute)."""

    __tablename__ = "penalty_computations"
    __table_args__ = (
        Index("uq_penalty_computations_current", "inspection_id", unique=True, postgresql_where=text("is_current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    is_current: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    trigger: Mapped[str] = mapped_column(String(16))  # submit | recompute
    reason: Mapped[str | None] = mapped_column(Text)
    computed_by: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    inspection_date: Mapped[date]
    # The PenaltyContext used (date, chain, payer, alert, repeat counts …), for the explanation.
    context: Mapped[dict[str, Any]]
    skipped: Mapped[list[Any]]
    policy_used: Mapped[dict[str, Any]]
    # Discretion factors set by a supervisor on recompute (cooperation, prompt_correction,
    # first_offence_slight_harm, finder_level + reason, by, at); carried over to later computations.
    discretion_factors: Mapped[dict[str, Any] | None]

    lines: Mapped[list[PenaltyLineRow]] = relationship(
        back_populates="computation", order_by="PenaltyLineRow.position", lazy="selectin"
    )


class PenaltyLineRow(Base):
    """One penalty line as computed (and possibly overridden). Money is integer fen (BIGINT)."""

    __tablename__ = "penalty_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    computation_id: Mapped[int] = mapped_column(ForeignKey("penalty_computations.id"), index=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("penalty_rule_versions.id"), index=True)
    rule_key: Mapped[str] = mapped_column(String(100))
    rule_version: Mapped[str] = mapped_column(String(40))
    rule_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[dict[str, Any]]
    payer_type: Mapped[str] = mapped_column(String(32))  # violator | responsible_jurisdiction
    payer_code: Mapped[str | None] = mapped_column(String(64))
    payer_name: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    counted_units: Mapped[int] = mapped_column(Integer)
    base_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    range_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    range_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(32))  # computed | blocked_amount_to_be_set | exempt | non_monetary
    factors: Mapped[list[Any]]
    explanation: Mapped[dict[str, Any]]  # {"zh": [...], "en": [...]}
    basis: Mapped[list[Any]]  # [{"ref", "text"}]
    authority: Mapped[dict[str, Any]]
    source_refs: Mapped[list[Any]]
    item_keys: Mapped[list[Any]]
    verified: Mapped[bool] = mapped_column(Boolean)
    blocking_reasons: Mapped[list[Any]]
    daily_days: Mapped[int | None] = mapped_column(Integer)
    # The admin-set amount used for a `to_be_set` rule (who/when/document), else NULL.
    amount_setting: Mapped[dict[str, Any] | None]
    override: Mapped[dict[str, Any] | None]

    computation: Mapped[PenaltyComputation] = relationship(back_populates="lines")
