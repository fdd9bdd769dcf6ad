"""Demo cases for ``make run``: five construction sites, one case in each stage. DEMO ONLY.

Built through the real use cases (a submitted inspection with failed dust measures, the penalty computation,
a supervisor's approval that opens the case, then each transition), dated back from today so the order to
correct of the case in 调查取证 is overdue and shows as a re-inspection task. Decisions in the demo record a
written waiver of 陈述申辩/听证 (``rights_waived``), so no 陈述申辩 period has to be made up for the demo.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.auth.principal import Principal
from app.cases.actions import transition_case
from app.cases.models import Case
from app.cases.orders import issue_order
from app.checklists.models import ChecklistVersion
from app.inspections.models import CHANGE_SEQ, Finding, Inspection, InspectionOfficer
from app.inspections.review import approve_inspection
from app.jurisdictions.models import Jurisdiction
from app.localtime import LOCAL_TZ, today_local
from app.penalties.computation import compute_penalties_for_inspection
from app.sites.models import Site

CHECKLIST_KEY = "construction_dust.henan"
FAILED_ITEMS = ("hoarding", "material_cover")
# site code -> the steps after the approval that opened its case (action, days before today, extra body)
DEMO_CASES: list[tuple[str, list[tuple[str, int, dict[str, Any]]]]] = [
    ("DEMO-CS-001", []),
    ("DEMO-CS-002", [("approve_filing", 36, {}), ("order", 35, {"deadline_days_ago": 10})]),
    ("DEMO-CS-003", [("approve_filing", 36, {}), ("serve_notice", 2, {})]),
    (
        "DEMO-CS-004",
        [
            ("approve_filing", 36, {}),
            ("serve_notice", 30, {}),
            ("decide", 20, {"fine_fen": 6_000_000, "rights_waived": True, "measures": ["责令改正"]}),
            ("serve_decision", 19, {}),
        ],
    ),
    (
        "DEMO-CS-005",
        [
            ("approve_filing", 36, {}),
            ("serve_notice", 30, {}),
            ("decide", 20, {"fine_fen": 6_000_000, "rights_waived": True}),
            ("serve_decision", 19, {}),
            ("record_payment", 10, {"amount_fen": 6_000_000}),
            ("close", 9, {}),
        ],
    ),
]
INSPECTED_DAYS_AGO = 38


def _principal(session: Session, username: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return None
    paths = tuple(j.path for j in user.jurisdictions)
    return Principal(user.id, user.username, user.role, paths)


def _inspection(
    session: Session, site: Site, checklist: ChecklistVersion, inspector: Principal, officer: Principal
) -> Inspection:
    day = today_local() - timedelta(days=INSPECTED_DAYS_AGO)
    started = datetime.combine(day, time(9, 30), tzinfo=LOCAL_TZ)
    inspection = Inspection(
        id=uuid.uuid4(),
        site_id=site.id,
        checklist_version_id=checklist.id,
        checklist_key=checklist.key,
        checklist_version=checklist.version,
        checklist_hash=checklist.content_hash,
        state="draft",  # officers are added to a draft; submitted below (evidence triggers, 0010)
        version=1,
        change_seq=session.execute(select(CHANGE_SEQ.next_value())).scalar_one(),
        created_by_id=inspector.user_id,
        started_at=started,
        ended_at=started + timedelta(hours=1),
        note="演示数据 / demo data",
        last_put_hash="0" * 64,
        last_put_version=1,
    )
    session.add(inspection)
    session.flush()
    for position, who in enumerate((inspector, officer)):
        session.add(
            InspectionOfficer(inspection_id=inspection.id, user_id=who.user_id, position=position, name=who.username)
        )
    session.flush()
    inspection.state, inspection.version, inspection.submission_count = "submitted", 2, 1
    inspection.submitted_at, inspection.submitted_by_id = started + timedelta(hours=2), inspector.user_id
    inspection.submitted_from_version = 1
    session.flush()
    items = {i["key"]: i for i in (checklist.content or {}).get("items", [])}
    for key in FAILED_ITEMS:
        item = items[key]
        session.add(
            Finding(
                inspection_id=inspection.id,
                submission_no=1,
                item_key=key,
                checklist_key=checklist.key,
                checklist_version=checklist.version,
                checklist_hash=checklist.content_hash,
                verdict="fail",
                explanation={"zh": "演示：现场不合格", "en": "demo: failed on site"},
                severity=item.get("severity"),
                source_refs=list(item.get("source") or []),
                penalty_keys=list(item.get("penalties") or []),
                answer={"verdict": "fail"},
            )
        )
    session.flush()
    session.expire(inspection, ["findings", "officers"])
    return inspection


def load_demo_cases(session: Session) -> list[str]:
    """Create the demo cases once (nothing when any case exists or the checklists are not synced)."""
    if session.scalar(select(Case.id).limit(1)) is not None:
        return []
    checklist = session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.key == CHECKLIST_KEY, ChecklistVersion.is_current.is_(True))
    )
    inspector = _principal(session, "demo.inspector")
    officer = _principal(session, "demo.inspector2")
    supervisor = _principal(session, "demo.supervisor")
    if checklist is None or inspector is None or officer is None or supervisor is None:
        return ["demo cases skipped (checklists not synced or demo users missing)"]
    report = []
    for code, steps in DEMO_CASES:
        site = session.scalar(select(Site).join(Jurisdiction).where(Site.code == code))
        if site is None:
            continue
        inspection = _inspection(session, site, checklist, inspector, officer)
        compute_penalties_for_inspection(session, inspection)
        approve_inspection(session, supervisor, inspection.id, "演示：证据充分", '"2"', lambda _i: {})
        case = session.scalar(select(Case).where(Case.site_id == site.id))
        if case is None:
            continue
        for action, days_ago, extra in steps:
            on = today_local() - timedelta(days=days_ago)
            etag = f'"{case.version}"'
            if action == "order":
                deadline = today_local() - timedelta(days=extra["deadline_days_ago"])
                body = {"decided_on": on, "served_on": on, "deadline": deadline}
                case, _ = issue_order(session, supervisor, case.id, body, etag)
            else:
                case = transition_case(session, supervisor, case.id, {"action": action, "on_date": on, **extra}, etag)
        report.append(f"demo case {case.id} at {code}: {case.stage}")
    return report
