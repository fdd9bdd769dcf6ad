"""``DocumentFacts`` from what exists today: an inspection, its current penalty computation, the site's
operator as the party, the jurisdiction's document settings, and the request fields only a case will know
later (what to correct and by when, the on-site statement and signature, the service record, the decided
amount, the days of a daily penalty). A case-based builder can replace this module without touching the
rendering or the issuing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checklists.groups import ObjectRef, item_doc
from app.documents.facts import (
    AuthorityFacts,
    BasisFacts,
    DailyFacts,
    DocumentFacts,
    DocumentRef,
    InspectionFacts,
    ItemFacts,
    LineFacts,
    OfficerFacts,
    OnSiteFacts,
    OrderFacts,
    PartyFacts,
    PhotoFacts,
    ServiceFacts,
)
from app.documents.settings import EffectiveDocumentSettings
from app.documents.signatures import latest_signature
from app.inspections.models import Inspection
from app.penalties.models import PenaltyLineRow
from app.penalties.records import current_computation
from app.photos.models import Photo


@dataclass(frozen=True)
class References:
    """Earlier documents this one cites, already loaded and checked by the caller."""

    order: DocumentRef | None = None
    notice: DocumentRef | None = None
    decision: DocumentRef | None = None
    replaces: DocumentRef | None = None
    served: tuple[DocumentRef, ...] = ()


def _prompts(inspection: Inspection) -> dict[str, str]:
    content = inspection.checklist.content if inspection.checklist is not None else {}
    out = {}
    for item in content.get("items") or []:
        prompt = item.get("prompt") or {}
        out[str(item.get("key"))] = str(prompt.get("zh") or item.get("key"))
    for finding in inspection.current_findings:
        # A repeatable group's item, per object: the object's name before the prompt (app/checklists/groups.py).
        ref = ObjectRef.from_dict(finding.object_ref)
        item = item_doc(content, finding.item_key) if ref is not None else None
        if ref is not None and item is not None:
            out[finding.item_key] = f"{ref.name()[0]}：{(item.get('prompt') or {}).get('zh') or finding.item_key}"
    return out


def _uuids(values: list[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue  # not a photo id: nothing to print
    return out


def inspection_facts(session: Session, inspection: Inspection) -> InspectionFacts:
    site = inspection.site
    findings = inspection.current_findings
    photo_ids = {pid for f in findings for pid in _uuids(f.photo_ids)}
    shas = dict(
        session.execute(select(Photo.id, Photo.sha256).where(Photo.id.in_(photo_ids))).tuples().all()
        if photo_ids
        else []
    )
    prompts = _prompts(inspection)
    items = []
    for f in findings:
        explanation = (f.explanation or {}).get("zh") or ""
        prompt = prompts.get(f.item_key, f.item_key)
        text = f"{prompt}：{explanation}" if explanation and f.verdict == "fail" else prompt
        photos = tuple(PhotoFacts(str(pid), shas[pid], f.item_key) for pid in _uuids(f.photo_ids) if pid in shas)
        items.append(ItemFacts(f.item_key, f.verdict, text, f.value, photos))
    officers = tuple(OfficerFacts(o.name or str(o.user_id), o.badge_number) for o in inspection.officers)
    return InspectionFacts(
        inspection_id=str(inspection.id),
        site_name=site.name,
        place=site.address or site.name,
        started_at=inspection.started_at,
        ended_at=inspection.ended_at,
        officers=officers,
        items=tuple(items),
    )


def line_facts(row: PenaltyLineRow) -> LineFacts:
    return LineFacts(
        rule_key=row.rule_key,
        kind=row.kind,
        title=str((row.title or {}).get("zh") or row.rule_key),
        basis=tuple(BasisFacts(str(b.get("ref")), str(b.get("text") or "")) for b in row.basis or []),
        amount_fen=row.amount_fen,
        status=row.status,
        blocking_reasons=tuple(row.blocking_reasons or ()),
        explanation=tuple((row.explanation or {}).get("zh") or ()),
        payer_type=row.payer_type,
        payer_name=row.payer_name,
        item_keys=tuple(row.item_keys or ()),
    )


def _date(raw: Any) -> date | None:
    return date.fromisoformat(raw) if isinstance(raw, str) else raw if isinstance(raw, date) else None


def _datetime(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if isinstance(raw, str) else raw if isinstance(raw, datetime) else None


def _onsite(session: Session, inspection: Inspection, given: dict[str, Any]) -> OnSiteFacts | None:
    """The request's on-site fields; the signature (or witnessed refusal) the phone recorded fills what the
    request leaves out."""
    signature = latest_signature(session, inspection.id)
    if not given and signature is None:
        return None
    return OnSiteFacts(
        present_name=given.get("present_name") or (signature.signer_name if signature else None),
        present_role=given.get("present_role"),
        statement=given.get("statement"),
        signature=given.get("signature") or (signature.status if signature else None),
        witness=given.get("witness") or (signature.witness if signature else None),
        signature_sha256=given.get("signature_sha256") or (signature.photo_sha256 if signature else None),
        signature_photo_id=str(signature.photo_id) if signature else None,
    )


def build_facts(
    session: Session,
    inspection: Inspection,
    kind: str,
    fields: dict[str, Any],
    settings: EffectiveDocumentSettings,
    refs: References,
    *,
    case_id: str | None = None,
) -> DocumentFacts:
    """The facts of a ``kind`` document about ``inspection`` (request ``fields`` as the schema loaded them)."""
    site = inspection.site
    party_kind = "unit" if site.operator_type == "company" else "individual"
    party = PartyFacts(
        kind=party_kind,
        name=site.operator_name,
        credit_code=site.operator_credit_code,
        address=fields.get("party_address") or site.address,
        legal_representative=fields.get("legal_representative"),
    )
    authority = AuthorityFacts(
        name=settings.get("authority_name"),
        review_body=settings.get("review_body"),
        court=settings.get("court"),
        statement_period_days=settings.get("statement_period_days"),
        hearing_threshold_fen=settings.hearing_threshold(party_kind),
        payment_text=settings.get("payment_text"),
        address=settings.get("address"),
    )
    computation = current_computation(session, inspection.id)
    lines = tuple(line_facts(r) for r in computation.lines) if computation is not None else ()
    order_in = fields.get("order") or {}
    onsite_in = fields.get("onsite") or {}
    daily_in = fields.get("daily") or {}
    service_in = fields.get("service") or {}
    daily = None
    if daily_in.get("order_served_on") and daily_in.get("reinspected_on"):
        per_day = daily_in.get("per_day_fen")
        if per_day is None:
            per_day = sum(line.amount_fen or 0 for line in lines if line.kind == "statutory_fine")
        daily = DailyFacts(_date(daily_in["order_served_on"]), _date(daily_in["reinspected_on"]), int(per_day))  # type: ignore[arg-type]
    return DocumentFacts(
        kind=kind,
        authority=authority,
        party=party,
        inspection=inspection_facts(session, inspection),
        lines=lines,
        decided_amount_fen=fields.get("decided_amount_fen"),
        order=OrderFacts(order_in.get("text"), _date(order_in.get("deadline")), bool(order_in.get("immediately")))
        if order_in
        else None,
        onsite=_onsite(session, inspection, onsite_in),
        daily=daily,
        service=ServiceFacts(
            served=refs.served,
            method=service_in.get("method"),
            served_at=_datetime(service_in.get("served_at")),
            place=service_in.get("place"),
            recipient=service_in.get("recipient"),
            signer=service_in.get("signer"),
            relation=service_in.get("relation"),
            witness=service_in.get("witness"),
            servers=tuple(service_in.get("servers") or ()),
            note=service_in.get("note"),
        )
        if service_in or refs.served
        else None,
        order_ref=refs.order,
        notice_ref=refs.notice,
        decision_ref=refs.decision,
        replaces_ref=refs.replaces,
        case_id=case_id,
    )
