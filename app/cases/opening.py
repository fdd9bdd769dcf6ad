"""An approved inspection with failed findings opens a case, or joins the open case of the same party and
site; a re-inspection joins the case of the order it re-inspects. Called by inspections.review when a
supervisor approves, in the same transaction. Also opens the inspection's fiscal deduction (000§五(二))."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.changes import add_event
from app.cases.fiscal import open_fiscal_deduction
from app.cases.models import Case, CaseInspection
from app.cases.orders import record_reinspection_outcome
from app.cases.party import party_dict, party_from_site
from app.cases.queries import case_of_inspection
from app.cases.transitions import OPEN_STAGES
from app.inspections.models import Inspection
from app.sites.models import Site


def _open_case_for(session: Session, site: Site, party_key: str) -> Case | None:
    return session.scalars(
        select(Case).where(Case.site_id == site.id, Case.party_key == party_key, Case.stage.in_(OPEN_STAGES))
    ).first()


def open_or_join_case(session: Session, principal: Principal, inspection: Inspection) -> Case | None:
    """The case the approved inspection belongs to now (None: nothing failed and nothing re-inspected).

    Idempotent: a retried approval finds the inspection already in its case."""
    already = case_of_inspection(session, inspection.id)
    if already is not None:
        return already
    open_fiscal_deduction(session, inspection)
    failed = [f for f in inspection.current_findings if f.verdict == "fail"]
    earlier_case = case_of_inspection(session, inspection.reinspection_of_id) if inspection.reinspection_of_id else None
    if earlier_case is not None and earlier_case.stage == "closed":
        earlier_case = None
    if not failed and earlier_case is None:
        return None
    # One opener at a time per site: two approvals at once must not open two cases for one party.
    session.execute(select(Site.id).where(Site.id == inspection.site_id).with_for_update())
    party = party_from_site(inspection.site)
    case = earlier_case or _open_case_for(session, inspection.site, party.key)
    role = "reinspection" if inspection.reinspection_of_id else "initial"
    if case is None:
        case = Case(
            site_id=inspection.site_id,
            jurisdiction_id=inspection.site.jurisdiction_id,
            stage="filing",
            party_key=party.key,
            party_kind=party.kind,
            party_name=party.name,
            party_credit_code=party.credit_code,
            party_legal_representative=party.legal_representative,
            party_address=party.address,
            party_id_number=party.id_number,
            opened_by_id=principal.user_id,
        )
        session.add(case)
        session.flush()
        add_event(
            session,
            case,
            "opened",
            inspection.local_date,
            principal.user_id,
            {"inspection_id": str(inspection.id), "party": party_dict(party, masked=False)},
        )
        record_audit(
            session,
            "case.open",
            "case",
            case.id,
            after={"stage": case.stage, "inspection": str(inspection.id), "party": party_dict(party, masked=True)},
        )
    else:
        case.version += 1
        add_event(
            session, case, "inspection_joined", inspection.local_date, principal.user_id,
            {"inspection_id": str(inspection.id), "role": role},
        )  # fmt: skip
        record_audit(session, "case.join", "case", case.id, after={"inspection": str(inspection.id), "role": role})
    session.add(CaseInspection(case_id=case.id, inspection_id=inspection.id, role=role))
    session.flush()
    record_reinspection_outcome(session, principal, case, inspection)
    session.refresh(case, ["inspections", "orders"])
    return case
