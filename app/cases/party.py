"""The party (当事人) of a case: taken from the site's operator at opening, then edited with audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.changes import begin_change, finish_change
from app.cases.models import Case
from app.cases.party_rules import party_errors
from app.cases.queries import get_case
from app.cases.transitions import require_acting_role
from app.errors import ValidationFailed
from app.sites.models import Site

PARTY_FIELDS = ("kind", "name", "credit_code", "legal_representative", "address", "id_number")


@dataclass(frozen=True)
class PartyFacts:
    kind: str  # unit | individual
    name: str
    credit_code: str | None
    legal_representative: str | None
    address: str | None
    id_number: str | None

    @property
    def key(self) -> str:
        """What identifies the party for "the open case of the same party and site"."""
        return self.credit_code or self.id_number or self.name


def party_from_site(site: Site) -> PartyFacts:
    """The site's operator as the case's party (a company is a unit, anyone else an individual)."""
    kind = "unit" if site.operator_type == "company" else "individual"
    return PartyFacts(
        kind,
        site.operator_name,
        site.operator_credit_code if kind == "unit" else None,
        None,
        site.address,
        None,
    )


def party_of(case: Case) -> PartyFacts:
    return PartyFacts(
        case.party_kind,
        case.party_name,
        case.party_credit_code,
        case.party_legal_representative,
        case.party_address,
        case.party_id_number,
    )


def mask_id_number(value: str | None) -> str | None:
    """An individual's ID number as listings show it: first 3 and last 2 characters."""
    if not value:
        return value
    return value[:3] + "*" * max(len(value) - 5, 0) + value[-2:] if len(value) > 5 else "*" * len(value)


def party_dict(party: PartyFacts, *, masked: bool) -> dict[str, Any]:
    return {
        "kind": party.kind,
        "name": party.name,
        "credit_code": party.credit_code,
        "legal_representative": party.legal_representative,
        "address": party.address,
        "id_number": mask_id_number(party.id_number) if masked else party.id_number,
    }


def edit_party(
    session: Session, principal: Principal, case_id: int, changes: dict[str, Any], if_match: str | None
) -> Case:
    """A supervisor corrects the party's details (audited with the reason when given; If-Match). The
    identifiers must pass their check characters (GB 32100, GB 11643). The party key never changes."""
    case = get_case(session, principal, case_id, for_update=True)
    require_acting_role(principal.role, "修改当事人信息", "Edit the party")
    errors = party_errors(changes)
    if errors:
        raise ValidationFailed(
            "当事人信息有误，详见 errors。", "The party's details are invalid; see errors.", errors=errors
        )
    if begin_change(case, principal, if_match, {"edit_party": changes}):
        return case
    before = party_dict(party_of(case), masked=False)
    for name in PARTY_FIELDS:
        if name in changes:
            setattr(case, f"party_{name}", changes[name])
    after = party_dict(party_of(case), masked=False)
    reason = {"reason": changes["reason"]} if changes.get("reason") else {}
    finish_change(session, case, principal, "party_edited", None, {"before": before, "after": after, **reason})
    record_audit(session, "case.party_edit", "case", case.id, before=before, after={**after, **reason})
    return case
