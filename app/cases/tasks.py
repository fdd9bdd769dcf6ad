"""Re-inspection tasks: an open order to correct whose deadline has passed is a task for the inspectors of the
site's jurisdiction (a query over due orders: nothing to materialise, nothing to go stale).

A task ends when a supervisor approves the re-inspection (orders.record_reinspection_outcome). The phone
starts the re-inspection with ``reinspection_of`` = the task's ``reinspection_of`` (the inspection whose
order it checks); on approval it joins the order's case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.models import Case, CorrectionOrder
from app.inspections.models import Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.localtime import today_local
from app.sites.models import Site


@dataclass(frozen=True)
class ReinspectionTask:
    order_id: int
    site_id: int
    site_name: str
    site_address: str | None
    jurisdiction_code: str
    reinspection_of: uuid.UUID
    item_keys: tuple[str, ...]
    order_decided_on: date
    deadline: date
    days_overdue: int
    started: tuple[uuid.UUID, ...]  # re-inspections already begun (draft, submitted or returned)


def due_tasks(session: Session, principal: Principal, today: date | None = None) -> list[ReinspectionTask]:
    """Open orders past their deadline at sites in the caller's jurisdictions, oldest deadline first."""
    today = today or today_local()
    rows = session.execute(
        select(CorrectionOrder, Site, Jurisdiction.code)
        .join(Case, Case.id == CorrectionOrder.case_id)
        .join(Site, Site.id == Case.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(
            CorrectionOrder.status == "open",
            CorrectionOrder.deadline < today,
            scope_clause(principal.jurisdiction_paths),
        )
        .order_by(CorrectionOrder.deadline, CorrectionOrder.id)
    ).all()
    earlier_ids = [order.inspection_id for order, _, _ in rows]
    started: dict[uuid.UUID, list[uuid.UUID]] = {}
    if earlier_ids:
        for inspection_id, of_id in session.execute(
            select(Inspection.id, Inspection.reinspection_of_id).where(
                Inspection.reinspection_of_id.in_(earlier_ids),
                Inspection.state.in_(("draft", "submitted", "returned")),
            )
        ).all():
            started.setdefault(of_id, []).append(inspection_id)
    return [
        ReinspectionTask(
            order_id=order.id,
            site_id=site.id,
            site_name=site.name,
            site_address=site.address,
            jurisdiction_code=code,
            reinspection_of=order.inspection_id,
            item_keys=tuple(order.item_keys),
            order_decided_on=order.decided_on,
            deadline=order.deadline,
            days_overdue=(today - order.deadline).days,
            started=tuple(sorted(started.get(order.inspection_id, []))),
        )
        for order, site, code in rows
    ]


def present_task(task: ReinspectionTask) -> dict[str, Any]:
    return {
        "order_id": task.order_id,
        "kind": "reinspection",
        "site": {
            "id": task.site_id,
            "name": task.site_name,
            "address": task.site_address,
            "jurisdiction": task.jurisdiction_code,
        },
        "reinspection_of": task.reinspection_of,
        "item_keys": list(task.item_keys),
        "order_decided_on": task.order_decided_on,
        "deadline": task.deadline,
        "days_overdue": task.days_overdue,
        "started": list(task.started),
    }
