"""Penalty use cases on an inspection: compute at submission, recompute on purpose, override one line.

Services flush, never commit. Who acts is a ``Principal`` passed in by the entry point.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import Conflict, FieldError, NotFound, RuleViolation, ValidationFailed
from app.inspections.access import get_inspection, load_for_update
from app.inspections.models import Inspection
from app.notified_cache import NotifiedCache
from app.penalties.carry import CarriedOverride, CurrentOverride, UnfitOverride, plan_carry
from app.penalties.catalogue import stored_rules
from app.penalties.context import (
    Reinspection,
    apply_amount_settings,
    build_penalty_context,
    context_summary,
    penalty_findings,
    reinspection_facts,
)
from app.penalties.domain import FINDER_LEVELS, PenaltyContext, PenaltyLine, PenaltyResult
from app.penalties.engine import compute_penalties
from app.penalties.lines import apply_override
from app.penalties.models import PenaltyComputation, PenaltyLineRow
from app.penalties.records import current_computation, line_from_row, lines_summary, note_amount_setting, row_from_line
from app.penalties.rule_spec import AmountSetting

# Discretion factors a supervisor may set (行政处罚法第三十二条、第三十三条), besides the finder level (000§五(二)).
FACTOR_FLAGS = ("cooperation", "prompt_correction", "first_offence_slight_harm")


@dataclass(frozen=True)
class InspectionPenalties:
    """An inspection's current computation (None: nothing computed yet), for the breakdown."""

    inspection_id: uuid.UUID
    computation: PenaltyComputation | None


@dataclass(frozen=True)
class RecomputedPenalties(InspectionPenalties):
    """A recompute's result: the new computation, the one it superseded and what happened to the overrides."""

    previous: PenaltyComputation | None
    carried: tuple[CarriedOverride, ...]
    dropped: tuple[UnfitOverride, ...]


@dataclass(frozen=True)
class _EngineRun:
    """The engine's answer for an inspection, before anything is stored."""

    ctx: PenaltyContext
    reinspection: Reinspection | None
    result: PenaltyResult
    lines: tuple[PenaltyLine, ...]  # the result's lines with the admin-set amounts noted
    used_settings: dict[str, AmountSetting]
    row_ids: dict[str, int]
    factors: dict[str, Any] | None


def _run_engine(
    session: Session,
    inspection: Inspection,
    previous: PenaltyComputation | None,
    factors: dict[str, Any] | None,
    cache: NotifiedCache | None = None,
) -> _EngineRun:
    findings = penalty_findings(inspection)
    if factors is None and previous is not None:
        factors = previous.discretion_factors  # a supervisor's factors stay until changed on purpose
    reinspection = reinspection_facts(session, inspection, findings)  # None unless inspection.reinspection_of_id
    ctx, settings = build_penalty_context(session, inspection, findings, factors, reinspection, cache)
    rules, used_settings = apply_amount_settings(stored_rules(session, cache), settings)
    result = compute_penalties(findings, ctx, rules)
    lines = tuple(
        note_amount_setting(line, used_settings[line.rule_key]) if line.rule_key in used_settings else line
        for line in result.lines
    )
    row_ids = {r.rule_hash: r.row_id for r in rules if r.row_id is not None}
    return _EngineRun(ctx, reinspection, result, lines, used_settings, row_ids, factors)


def _store(
    session: Session,
    inspection: Inspection,
    previous: PenaltyComputation | None,
    run: _EngineRun,
    *,
    trigger: str,
    reason: str | None,
    by: Principal | None,
    lines: tuple[PenaltyLine, ...] | None = None,
    overrides: dict[int, dict[str, Any]] | None = None,
) -> PenaltyComputation:
    """Supersede ``previous`` and write a new current computation with ``lines`` (default: the engine's).

    ``overrides``: position -> the stored override record of a line written with a carried override.
    """
    if previous is not None:
        previous.is_current = False
        session.flush()  # clear the flag before the new current row (partial unique index)
    ctx, reinspection, result = run.ctx, run.reinspection, run.result
    computation = PenaltyComputation(
        inspection_id=inspection.id,
        is_current=True,
        trigger=trigger,
        reason=reason,
        computed_by=by.username if by else None,
        inspection_date=ctx.inspection_date,
        context={**context_summary(ctx), "reinspection": reinspection.summary() if reinspection is not None else None},
        skipped=[list(s) for s in result.skipped],
        policy_used=dict(result.policy_used),
        discretion_factors=dict(run.factors) if run.factors else None,
    )
    session.add(computation)
    rows = []
    for position, line in enumerate(run.lines if lines is None else lines):
        row = row_from_line(
            line, position, computation, run.row_ids[line.rule_hash], run.used_settings.get(line.rule_key)
        )
        if overrides and position in overrides:
            row.override = overrides[position]
        session.add(row)
        rows.append(row)
    # INSERT … RETURNING gives the new rows their ids and server defaults (computed_at); the lines are the rows
    # just written, in position order: nothing to read back.
    session.flush()
    set_committed_value(computation, "lines", rows)
    return computation


def compute_penalties_for_inspection(
    session: Session, inspection: Inspection, by: Principal | None = None
) -> list[PenaltyLineRow]:
    """The submit hook: compute and store the penalty lines of a (just submitted) inspection, audited.

    Runs the pure engine with the rules in force on the inspection date (Asia/Shanghai), the jurisdiction's
    policy and admin-set amounts, the sub-district that contains the site (000§五(二)) and the site's operator
    as violator. The stored lines are the record: later rule file changes do not alter them. Flushes only.
    """
    stored = store_submission_penalties(session, inspection, by)
    record_penalty_audit(session, inspection, stored)
    return list(stored.computation.lines)


@dataclass(frozen=True)
class StoredPenalties:
    """A submission's new current computation and the one it superseded (None: the first)."""

    previous: PenaltyComputation | None
    computation: PenaltyComputation


def store_submission_penalties(
    session: Session,
    inspection: Inspection,
    by: Principal | None = None,
    *,
    created_now: bool = False,
    cache: NotifiedCache | None = None,
) -> StoredPenalties:
    """``compute_penalties_for_inspection`` without its audit row (the caller records it with
    ``record_penalty_audit``, so one request's audit rows are written together).

    ``created_now``: the inspection's row was inserted by this transaction, so no computation can refer to it yet
    (``penalty_computations.inspection_id`` references it) and none is looked for. ``cache``: the rules and
    settings remembered per process (app/reference_cache.py).
    """
    previous = None if created_now else current_computation(session, inspection.id)
    run = _run_engine(session, inspection, previous, None, cache)
    computation = _store(session, inspection, previous, run, trigger="submit", reason=None, by=by)
    return StoredPenalties(previous, computation)


def record_penalty_audit(session: Session, inspection: Inspection, stored: StoredPenalties) -> None:
    record_audit(
        session,
        "penalty.compute",
        "inspection",
        inspection.id,
        before=lines_summary(stored.previous),
        after=lines_summary(stored.computation),
    )


def _check_factors(factors: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value in factors.items():
        if name in FACTOR_FLAGS:
            ok = isinstance(value, bool)
        elif name == "finder_level":
            ok = value is None or value in FINDER_LEVELS
        else:
            ok = False
        if not ok:
            errors.append(FieldError(f"factors.{name}", "bad_factor", "裁量因素无效", "Invalid discretion factor"))
    return errors


def _current_overrides(previous: PenaltyComputation | None) -> list[CurrentOverride]:
    if previous is None:
        return []
    return [CurrentOverride(row.id, line_from_row(row), dict(row.override)) for row in previous.lines if row.override]


def _refuse_unfit(unfit: tuple[UnfitOverride, ...]) -> None:
    """409 naming each override that no longer fits, unless the request chose to drop them."""
    zh = "；".join(f"第 {u.previous.line_id} 号处罚项（{u.previous.line.rule_key}）：{u.message_zh}" for u in unfit)
    en = "; ".join(f"line {u.previous.line_id} ({u.previous.line.rule_key}): {u.message_en}" for u in unfit)
    raise Conflict(
        f"审核人的金额调整在重新计算后不再适用，未重新计算（如确需放弃这些调整，请设置 drop_overrides 并说明理由）：{zh}",
        "Supervisors' overrides no longer fit the recomputed lines; nothing was recomputed (to drop them, send "
        f"drop_overrides: true with the reason): {en}",
        code="overrides_no_longer_fit",
        extra={"overrides": [u.summary() for u in unfit]},
    )


def _carried_record(c: CarriedOverride, from_computation_id: int) -> dict[str, Any]:
    """The override stored on the new line: amount, reason, who and when as set, plus where it came from."""
    o = c.previous.override
    return {
        "amount_before_fen": c.computed_fen,  # this computation's engine amount, which the override replaces
        "amount_after_fen": c.previous.amount_fen,
        "reason": o.get("reason"),
        "by": o.get("by"),
        "at": o.get("at"),
        "carried_from": {
            "computation_id": from_computation_id,
            "line_id": c.previous.line_id,
            "amount_before_fen": o.get("amount_before_fen"),
        },
    }


def recompute_inspection_penalties(
    session: Session,
    inspection: Inspection,
    reason: str,
    factors: dict[str, Any] | None = None,
    *,
    by: Principal | None = None,
    drop_overrides: bool = False,
) -> RecomputedPenalties:
    """Recompute on purpose (rule change, admin-set amount, corrected data): new lines, audited before/after.

    ``factors`` (supervisor): any of ``cooperation``, ``prompt_correction``, ``first_offence_slight_harm``
    (booleans) and ``finder_level`` (national|provincial|city|district|town, 000§五(二)); merged over the
    factors already on the current computation, stored on the new computation with the reason, who and when,
    shown in the breakdown and audited. Later computations (resubmission, recomputes) keep them.

    Supervisors' overrides on the current computation are carried to the same line of the new one when their
    amount is still within its legal range (``app.penalties.carry``). If any no longer fits, nothing is written
    and ``Conflict`` (409 ``overrides_no_longer_fit``) names each one, unless ``drop_overrides``: then those are
    dropped under this recompute's reason, the others are still carried, and the audit row lists both.
    """
    if not isinstance(reason, str) or len(reason.strip()) < 4:
        raise ValidationFailed(
            "重新计算必须填写理由",
            "A reason is required to recompute",
            errors=[
                FieldError(
                    "reason", "reason_required", "重新计算必须填写书面理由", "A written reason is required to recompute"
                )
            ],
        )
    reason = reason.strip()
    if inspection.state == "draft":
        raise RuleViolation(
            "草稿检查尚未提交，不能计算处罚",
            "A draft inspection has not been submitted yet",
            code="inspection_not_submitted",
        )
    previous = current_computation(session, inspection.id)
    merged: dict[str, Any] | None = None
    if factors:
        errors = _check_factors(factors)
        if errors:
            raise ValidationFailed("裁量因素无效", "Invalid discretion factors", errors=errors)
        base = {
            k: v
            for k, v in ((previous.discretion_factors if previous else None) or {}).items()
            if k in FACTOR_FLAGS or k == "finder_level"
        }
        merged = {
            **base,
            **factors,
            "reason": reason,
            "set_by": by.username if by else None,
            "set_at": datetime.now(UTC).isoformat(),
        }
    run = _run_engine(session, inspection, previous, merged)
    # Decide about the overrides before writing anything: a refusal leaves the current computation current.
    plan = plan_carry(run.lines, _current_overrides(previous), previous.id if previous is not None else 0)
    if plan.unfit and not drop_overrides:
        _refuse_unfit(plan.unfit)
    # The carried override is part of the new line as inserted (a new row of the new computation). The 0008/0010
    # guards concern UPDATEs of a line (only an override with its own penalty.override audit row); an INSERT is
    # the computation's, and this recompute's audit row below records each carried override with both line ids.
    records = {c.position: _carried_record(c, previous.id) for c in plan.carried if previous is not None}
    computation = _store(
        session,
        inspection,
        previous,
        run,
        trigger="recompute",
        reason=reason,
        by=by,
        lines=plan.lines,
        overrides=records,
    )
    before = lines_summary(previous)
    if before is not None and previous is not None:
        before["discretion_factors"] = previous.discretion_factors
    new_ids = [row.id for row in computation.lines]
    record_audit(
        session,
        "penalty.recompute",
        "inspection",
        inspection.id,
        before=before,
        after={
            **(lines_summary(computation) or {}),
            "reason": reason,
            "discretion_factors": computation.discretion_factors,
            "drop_overrides": drop_overrides,
            "overrides": {
                "carried": [{**c.previous.summary(), "to_line_id": new_ids[c.position]} for c in plan.carried],
                "dropped": [u.summary() for u in plan.unfit],
            },
        },
    )
    return RecomputedPenalties(inspection.id, computation, previous, plan.carried, plan.unfit)


def override_penalty_line(
    session: Session, inspection: Inspection, line_id: int, amount_fen: int, reason: str, by: Principal | None
) -> PenaltyLineRow:
    """A supervisor sets a line's amount within the legal range with a written reason (audited)."""
    computation = current_computation(session, inspection.id)
    row = session.get(PenaltyLineRow, line_id, with_for_update=True)
    if row is None or computation is None or row.computation_id != computation.id:
        raise NotFound("处罚项不存在。", "Penalty line not found.", code="penalty_line_not_found")
    new = apply_override(line_from_row(row), amount_fen, reason, by=by.username if by else None)
    before = {"amount_fen": row.amount_fen, "status": row.status, "override": row.override}
    d = new.to_dict()
    row.amount_fen, row.status, row.explanation = new.amount_fen, new.status, d["explanation"]
    row.override = {**d["override"], "at": datetime.now(UTC).isoformat()}
    session.flush()
    record_audit(
        session,
        "penalty.override",
        "penalty_line",
        row.id,
        before=before,
        after={
            "amount_fen": row.amount_fen,
            "status": row.status,
            "override": row.override,
            "inspection_id": str(inspection.id),
        },
    )
    return row


def inspection_penalties(session: Session, inspection: Inspection) -> InspectionPenalties:
    """The current computation of an inspection (lines, totals and issuability are the presenter's)."""
    return InspectionPenalties(inspection.id, current_computation(session, inspection.id))


# ------------------------------------------------------------------------------------- route entry points
# Same scope as the inspection itself (app.inspections.access.can_see): others get 404.


def get_inspection_penalties(session: Session, principal: Principal, inspection_id: uuid.UUID) -> InspectionPenalties:
    """The penalty breakdown of an inspection the caller may see."""
    return inspection_penalties(session, get_inspection(session, principal, inspection_id))


def _locked_inspection(session: Session, principal: Principal, inspection_id: uuid.UUID) -> Inspection:
    """The inspection the caller may see, row-locked: recomputes, overrides and the submission of one inspection
    take turns, so none reads a computation another is replacing (an override is never lost, and two
    recomputes never both insert a current computation)."""
    inspection = get_inspection(session, principal, inspection_id)
    load_for_update(session, inspection.id)
    return inspection


def recompute_penalties(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    reason: str,
    factors: dict[str, Any] | None = None,
    drop_overrides: bool = False,
) -> RecomputedPenalties:
    """Supervisor/admin: recompute an inspection's penalties on purpose, carrying overrides that still fit."""
    return recompute_inspection_penalties(
        session,
        _locked_inspection(session, principal, inspection_id),
        reason,
        factors,
        by=principal,
        drop_overrides=drop_overrides,
    )


def override_line(
    session: Session, principal: Principal, inspection_id: uuid.UUID, line_id: int, amount_fen: int, reason: str
) -> PenaltyLineRow:
    """Supervisor/admin: override one line's amount within the legal range (audited)."""
    return override_penalty_line(
        session, _locked_inspection(session, principal, inspection_id), line_id, amount_fen, reason, principal
    )
