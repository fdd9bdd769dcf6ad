"""Builders for inspection tests: the shipped catalogue, a site, officers, PUT bodies and answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.checklists.applicability import resolve_checklist
from app.checklists.models import ChecklistVersion
from app.checklists.spec import ChecklistSpec
from app.inspections.submission import inspection_context
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_checklists
from tests.factories_checklists import make_site, shipped_version

DUST = "construction_dust.henan"
NRMM = "nrmm_labels"
STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=8)))
ENDED = STARTED + timedelta(hours=1)


@dataclass
class World:
    site_id: int
    inspector: int
    colleague: int
    other_inspector: int
    supervisor: int
    other_supervisor: int
    headers: dict[str, dict[str, str]]


def make_world(
    session: Session,
    client: FlaskClient,
    *,
    site_kind: str = "construction_site",
    attributes: dict[str, Any] | None = None,
    at: tuple[float, float] = (113.245, 35.215),
) -> World:
    """Shipped catalogue installed, one site in 焦东街道 (山阳区), two inspectors on it, one elsewhere, two supervisors
    (山阳区 and 博爱县). Call after the ``tree`` fixture."""
    install_shipped_checklists(session)
    site = make_site(
        session,
        site_kind,
        attributes if attributes is not None else {"floor_area_m2": 3000},
        at=at,
        jurisdiction_code="410811001",
    )
    users = {
        "insp_a": make_user(session, "insp_a", "inspector", ["410811"]),
        "insp_b": make_user(session, "insp_b", "inspector", ["410811"]),
        "insp_c": make_user(session, "insp_c", "inspector", ["410811"]),
        "sup_sy": make_user(session, "sup_sy", "supervisor", ["410811"]),
        "sup_ba": make_user(session, "sup_ba", "supervisor", ["410822"]),
    }
    users["insp_b"].badge_number = "豫执B-0002"
    session.commit()
    headers = {name: bearer(issue_tokens(session, name)) for name in users}
    return World(
        site_id=site.id,
        inspector=users["insp_a"].id,
        colleague=users["insp_b"].id,
        other_inspector=users["insp_c"].id,
        supervisor=users["sup_sy"].id,
        other_supervisor=users["sup_ba"].id,
        headers=headers,
    )


def passing_answer(item: dict[str, Any]) -> dict[str, Any]:
    """An answer that passes ``item`` (photos still to be added where the item always needs them)."""
    kind = item["kind"]
    if kind == "check":
        return {"verdict": "pass"}
    if kind == "measure":
        limit = (item.get("limit") or {}).get("value")  # a measure without a limit only records its reading
        value = limit if isinstance(limit, (int, float)) else item["range"]["min"]
        return {"values": [value] * item["readings"]["min_count"], "unit": item["unit"], "verdict": "pass"}
    if kind == "choice":
        return {"choice": next(o["key"] for o in item["options"] if not o["noncompliant"])}
    if kind == "code":
        return {"code": "ABC12345"}
    if kind == "count":
        return {"count": 0}
    return {"text": "已记录"}


def applicable_items(session: Session, inspection_id: str, *, with_answers: bool = False) -> list[dict[str, Any]]:
    """The items that apply to the inspection; ``with_answers``: over its stored answers, as submission resolves
    them (a repeatable group then has as many objects as the answers name)."""
    from app.inspections.models import Inspection

    inspection = session.get(Inspection, uuid.UUID(inspection_id))
    assert inspection is not None
    context = inspection_context(session, inspection)
    if with_answers:
        context["answers"] = {a.item_key: dict(a.data) for a in inspection.answers}
    return resolve_checklist(ChecklistSpec.from_doc(inspection.checklist.content), context)["items"]


def checklist_items(session: Session, key: str) -> list[dict[str, Any]]:
    row = session.scalars(
        select(ChecklistVersion).where(ChecklistVersion.key == key, ChecklistVersion.is_current.is_(True))
    ).one()
    return list(row.content["items"])


def put_body(
    world: World,
    *,
    checklist: str = DUST,
    answers: dict[str, Any] | None = None,
    officers: list[Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": world.site_id,
        "checklist_key": checklist,
        "checklist_version": shipped_version(checklist),
        "officers": officers if officers is not None else [world.inspector, "豫执B-0002"],
        "started_at": STARTED.isoformat(),
        "ended_at": ENDED.isoformat(),
        "location": {"lon": 113.245, "lat": 35.215, "accuracy_m": 8.0, "crs": "wgs84"},
        "alert_level": "none",
        "answers": answers if answers is not None else {},
    }
    body.update(overrides)
    return body


def put(
    client: FlaskClient, headers: dict[str, str], inspection_id: str, body: dict[str, Any], if_match: str | None = None
) -> TestResponse:
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers={**headers, **extra})


def submit(client: FlaskClient, headers: dict[str, str], inspection_id: str, if_match: str | None) -> TestResponse:
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.post(f"/api/v1/inspections/{inspection_id}/submit", headers={**headers, **extra})


def new_id() -> str:
    return str(uuid.uuid4())
