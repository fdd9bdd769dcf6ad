"""Submission: the inspection is checked against its checklist as it applies on the day, re-evaluated on the
server, its findings recorded and the penalty engine called — one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.in_force import InspectionAlert, inspection_alert, items_for
from app.audit.services import record_audit
from app.auth.principal import Principal
from app.checklists.applicability import resolve_checklist
from app.checklists.evaluation import Evaluation, evaluate_answer, is_unanswered
from app.checklists.groups import ObjectRef, group_errors, object_ref
from app.checklists.parameters import checklist_parameters_for
from app.checklists.spec import ChecklistSpec, ItemSpec
from app.errors import FieldError, ValidationFailed
from app.inspections import rules
from app.inspections.access import inspection_not_found, is_participant, load_for_update
from app.inspections.evidence import refresh_link_flags
from app.inspections.feed import bump_change
from app.inspections.models import Finding, Inspection, InspectionAnswer
from app.inspections.settings import Settings
from app.inspections.versions import ShowCurrent, stale_version
from app.notified_cache import NotifiedCache
from app.penalties.computation import record_penalty_audit, store_submission_penalties
from app.photos.models import Photo
from app.sites.services import site_context


@dataclass(frozen=True)
class LinkedPhotos:
    """The photos linked to each item, and which of them have arrived."""

    by_item: dict[str, list[uuid.UUID]]
    uploaded: frozenset[uuid.UUID]

    def arrived(self, item_key: str) -> list[str]:
        return [str(p) for p in self.by_item.get(item_key, []) if p in self.uploaded]

    def missing(self, item_key: str) -> list[str]:
        return [str(p) for p in self.by_item.get(item_key, []) if p not in self.uploaded]


@dataclass(frozen=True)
class AnswerIn:
    """One answer as evaluated: the inspector's row, or the effective answer after a reviewer's amendments."""

    data: dict[str, Any]
    phone_verdict: str | None

    @classmethod
    def of(cls, row: InspectionAnswer) -> AnswerIn:
        return cls(dict(row.data), row.phone_verdict)


@dataclass(frozen=True)
class EvaluatedItem:
    """One applicable, answered item with the server's evaluation and what its finding records."""

    key: str
    severity: str | None
    source_refs: list[str]
    penalty_keys: list[str]
    answer: AnswerIn
    evaluation: Evaluation
    evidence: list[str]
    object_ref: ObjectRef | None = None  # the machine, tank, vehicle or road of a repeatable group


@dataclass(frozen=True)
class ChecklistCheck:
    """The inspection's checklist as it applies on the day, and the answers evaluated against it."""

    errors: list[FieldError]
    evaluated: list[EvaluatedItem]
    parameters: Any
    applicable_items: list[str]
    not_applicable_items: list[str]
    not_answered_items: list[str] = field(default_factory=list)  # optional items left empty: no finding


def server_alert(session: Session, inspection: Inspection, cache: NotifiedCache | None = None) -> InspectionAlert:
    """The alert level declared for the site's jurisdictions when the inspection began (app.alerts)."""
    return inspection_alert(
        session, inspection.site, inspection.started_at or inspection.created_at, inspection.ended_at, cache
    )


def inspection_context(
    session: Session, inspection: Inspection, alert: InspectionAlert | None = None, cache: NotifiedCache | None = None
) -> dict[str, Any]:
    """Checklist context at inspection time: the site (zones in force on the inspection date), the date,
    the alert level the server finds in force (the phone's claim is only a note; ``alert``: the caller's
    ``server_alert``, read once) and the jurisdiction's parameter values."""
    on = inspection.local_date
    ctx = dict(site_context(session, inspection.site, on, cache))
    ctx["date"] = on.isoformat()
    ctx["alert_level"] = (alert if alert is not None else server_alert(session, inspection)).level
    ctx["params"] = checklist_parameters_for(
        session, list(ctx.get("jurisdictions") or []), inspection.checklist_key, cache
    )
    return ctx


def linked_photos(session: Session, inspection: Inspection) -> LinkedPhotos:
    by_item: dict[str, list[uuid.UUID]] = {}
    for link in inspection.photo_links:
        by_item.setdefault(link.item_key, []).append(link.photo_id)
    ids = [lk.photo_id for lk in inspection.photo_links]
    uploaded = frozenset(session.scalars(select(Photo.id).where(Photo.id.in_(ids)))) if ids else frozenset()
    return LinkedPhotos(by_item, uploaded)


def check_against_checklist(
    inspection: Inspection,
    context: dict[str, Any],
    photos: LinkedPhotos,
    answers: Mapping[str, AnswerIn] | None = None,
    alert_items: list[dict[str, Any]] | None = None,
) -> ChecklistCheck:
    """Resolve the checklist for ``context`` and evaluate every applicable answer on the server (the only
    code here that reads checklist item specs). ``answers``: the answers to evaluate (default: the
    inspector's rows; a reviewer's amendment passes the effective answers). ``alert_items``: the items of the
    site's reduction-list measures in force (app.alerts), checked like the checklist's own."""
    if answers is None:
        answers = {a.item_key: AnswerIn.of(a) for a in inspection.answers}
    # Conditions on other answers (``answers.<item>.<field>``) are evaluated over these answers, the same JSON
    # Logic the phone evaluates.
    answered = {key: dict(a.data or {}) for key, a in answers.items()}
    resolved = resolve_checklist(ChecklistSpec.from_doc(inspection.checklist.content), {**context, "answers": answered})
    if resolved.get("applies") and alert_items:
        resolved["items"] = [*resolved.get("items", []), *alert_items]
    errors = [
        FieldError("checklist_key", "checklist_not_applicable", reason["zh"], reason["en"])
        for reason in ([] if resolved.get("applies") else resolved.get("reasons_not_applicable", []))
    ]
    content = inspection.checklist.content
    # Repeatable groups: objects within min..max, numbered without gaps (app/checklists/groups.py).
    errors += group_errors(content, answered.keys())
    evaluated = []
    not_answered: list[str] = []
    for item in resolved.get("items", []):
        answer = answers.get(item["key"])
        if not item.get("required", True) and (answer is None or is_unanswered(answer.data)):
            # Optional means optional: an empty or absent answer is "not answered", never a finding.
            not_answered.append(item["key"])
            continue
        if answer is None:
            errors.append(rules.missing_answer_error(item["key"], item.get("prompt")))
            continue
        evidence = photos.arrived(item["key"])
        # The server's verdict: evaluate_answer recomputes measure/choice/code/count from the values.
        evaluation = evaluate_answer(
            ItemSpec.from_doc(item), {**answer.data, "photos": evidence}, params=resolved.get("parameters")
        )
        errors += evaluation.errors
        evaluated.append(
            EvaluatedItem(
                item["key"],
                item.get("severity"),
                list(item.get("source") or []),
                list(item.get("penalties") or []),
                answer,
                evaluation,
                evidence,
                object_ref(content, answered, item["key"]),
            )
        )
    return ChecklistCheck(
        errors,
        evaluated,
        resolved.get("parameters"),
        [i["key"] for i in resolved.get("items", [])],
        [i["key"] for i in resolved.get("not_applicable", [])],
        not_answered,
    )


def _submission_errors(
    inspection: Inspection, check: ChecklistCheck, photos: LinkedPhotos, settings: Settings
) -> list[FieldError]:
    errors = list(check.errors)
    errors += rules.officer_errors(len(inspection.officers), settings.min_officers)
    errors += rules.window_errors(inspection.started_at, inspection.ended_at)
    # A draft captured within the skew may be submitted only once its times have come.
    errors += rules.future_time_errors(
        inspection.started_at, inspection.ended_at, datetime.now(UTC), settings.clock_skew
    )
    for item in check.evaluated:
        errors += [rules.photo_not_uploaded_error(item.key, pid) for pid in photos.missing(item.key)]
    return rules.sorted_errors(errors)


def new_findings(
    inspection: Inspection, check: ChecklistCheck, waivers: Mapping[str, dict[str, Any]] | None = None
) -> list[Finding]:
    """The findings of the current submission and findings revision (``waivers``: item key -> the reviewer's
    waiver, amendments only), joined to ``inspection.findings`` but not added to any session."""
    findings = []
    for item in check.evaluated:
        evaluation = item.evaluation
        verdict = rules.finding_verdict(evaluation.verdict, evaluation.not_applicable)
        findings.append(
            Finding(
                inspection=inspection,
                submission_no=inspection.submission_count,
                revision=inspection.findings_revision,
                waiver=(waivers or {}).get(item.key) if verdict == "fail" else None,
                item_key=item.key,
                checklist_key=inspection.checklist_key,
                checklist_version=inspection.checklist_version,
                checklist_hash=inspection.checklist_hash,
                verdict=verdict,
                phone_verdict=item.answer.phone_verdict,
                explanation=dict(evaluation.explanation),
                value=evaluation.value,
                severity=item.severity,
                source_refs=item.source_refs,
                penalty_keys=item.penalty_keys,
                answer={**item.answer.data, "photos": item.evidence},
                object_ref=item.object_ref.to_dict() if item.object_ref is not None else None,
            )
        )
    return findings


def record_findings(
    session: Session, inspection: Inspection, check: ChecklistCheck, waivers: Mapping[str, dict[str, Any]] | None = None
) -> None:
    """``new_findings``, added to the session."""
    session.add_all(new_findings(inspection, check, waivers))


def submit_inspection(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    if_match: str | None,
    settings: Settings,
    show_current: ShowCurrent,
    reference_cache: NotifiedCache | None = None,
) -> Inspection:
    """Validate, re-evaluate on the server, create findings and call the penalty engine — one transaction.

    Re-submitting an inspection that is already submitted with If-Match naming the current version or the
    version it was submitted from (a retry whose response was lost) is a no-op success.
    """
    inspection = load_for_update(session, inspection_id)
    if inspection is None or not is_participant(principal, inspection):
        raise inspection_not_found()
    return submit_locked(session, principal, inspection, if_match, settings, show_current, reference_cache)


def submit_locked(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    if_match: str | None,
    settings: Settings,
    show_current: ShowCurrent,
    reference_cache: NotifiedCache | None = None,
) -> Inspection:
    """``submit_inspection`` for an inspection this transaction already holds ``FOR UPDATE`` (loaded with its
    collections) and whose caller is one of its officers — the one-request create-and-submit path."""
    sent_version = rules.require_if_match(if_match)
    if inspection.state == rules.SUBMITTED and sent_version in (inspection.version, inspection.submitted_from_version):
        return inspection
    if sent_version != inspection.version:
        raise stale_version(inspection, sent_version, show_current)
    before, findings = apply_submission(session, principal, inspection, sent_version, settings, reference_cache)
    session.add_all(findings)
    # The new findings joined ``inspection.findings`` (Finding.inspection's back-populates) after the earlier
    # submissions' ones, and the flush gave them ids from the sequence in that order: the collection is
    # already what its ``order_by=Finding.id`` reload would read (one statement fewer).
    session.flush()
    refresh_link_flags(session, inspection, settings=settings)
    stored = store_submission_penalties(session, inspection, principal, cache=reference_cache)
    record_penalty_audit(session, inspection, stored)
    record_submit_audit(session, inspection, before)
    bump_change(session, inspection)
    return inspection


def record_submit_audit(session: Session, inspection: Inspection, before: dict[str, Any]) -> None:
    record_audit(
        session,
        "inspection.submit",
        "inspection",
        inspection.id,
        before=before,
        after={
            "state": inspection.state,
            "version": inspection.version,
            "submission": inspection.submission_count,
            "findings": {f.item_key: f.verdict for f in inspection.current_findings},
        },
    )


def apply_submission(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    sent_version: int,
    settings: Settings,
    reference: NotifiedCache | None = None,
) -> tuple[dict[str, Any], list[Finding]]:
    """Check ``inspection`` against its checklist as it applies on the day and, when complete, apply the
    submission to it (state, version, the context it was judged in): the audit's ``before`` and the new findings,
    not yet added to any session. Reads only (alerts, zones, parameters, reduction lists, photos); raises
    ``ValidationFailed`` (422 ``inspection_incomplete``) listing every problem. Shared by the two-step submission
    and the one-request create-and-submit (whose inspection is not in the session yet)."""
    target = rules.next_state("submit", inspection.state)
    alert = server_alert(session, inspection, reference)
    context = inspection_context(session, inspection, alert, reference)
    alert_items = items_for(session, inspection.site, alert.level, inspection.local_date, cache=reference).items
    photos = linked_photos(session, inspection)
    check = check_against_checklist(inspection, context, photos, alert_items=alert_items)
    errors = _submission_errors(inspection, check, photos, settings)
    if errors:
        raise ValidationFailed(
            f"检查记录不完整或有误，共 {len(errors)} 处，详见 errors。",
            f"The inspection is incomplete or invalid in {len(errors)} place(s); see errors.",
            code="inspection_incomplete",
            errors=errors,
        )

    before = {"state": inspection.state, "version": inspection.version}
    inspection.submission_count += 1
    inspection.findings_revision = 0  # a new submission starts without amendments
    findings = new_findings(inspection, check)
    inspection.state = target
    inspection.submitted_at = datetime.now(UTC)
    inspection.submitted_by_id = principal.user_id
    inspection.submitted_from_version = sent_version
    inspection.alert_level_in_force = alert.level
    inspection.site_context = {
        "context": context,
        "alert": {
            "level": alert.level,
            "alert_ids": list(alert.alert_ids),
            "claimed_by_phone": inspection.alert_level,
            "changes_during_inspection": [{"at": c.at.isoformat(), "level": c.level} for c in alert.changes],
        },
        "parameters": check.parameters,
        "applicable_items": check.applicable_items,
        "not_applicable_items": check.not_applicable_items,
        "not_answered_items": check.not_answered_items,
    }
    inspection.version += 1
    return before, findings
