"""Builders for penalty tests: 山阳区 geography, a site, a submitted inspection with failed findings.

Inspections are built directly from the models (not through the phone flow) so each test states exactly
which items failed; the penalty hook is then called as the submit flow calls it.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checklists.models import ChecklistVersion
from app.inspections.models import CHANGE_SEQ, Finding, Inspection
from app.penalties.computation import inspection_penalties, recompute_inspection_penalties
from app.penalties.presenters import penalties_view
from app.penalties.rules import DEFAULT_RULES_DIR
from app.sites.models import Site
from tests.factories import make_user
from tests.factories_geo import make_geography, make_site

CST = timezone(timedelta(hours=8))
# 2026-11-20 09:00 Beijing time; 01:00 UTC, so a UTC date would be the same day but a late-evening start
# (see test on date) would not.
STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=CST)
JIAODONG_POINT = (113.27, 35.25)  # inside 焦东街道 410811001 and inside the 山阳区 fireworks ban area
DUST_KEYS = ["fiscal.dust_measure_failed", "fine.air_law_115_construction_dust", "fine.henan_76_construction_dust"]
FIREWORKS_SALE_KEYS = ["fiscal.fireworks_in_ban_area", "fine.fireworks_reg_36_unlicensed_sale"]
LEAVES_KEYS = ["fiscal.open_burning_waste_leaves"]


@dataclass
class FailedItem:
    item_key: str
    penalty_keys: list[str]
    severity: str = "medium"
    source_refs: list[str] = field(default_factory=lambda: ["000§五(二)"])
    answer: dict[str, Any] = field(default_factory=dict)


def make_penalty_world(session: Session) -> None:
    """Boundaries (焦东/焦西 sub-districts of 山阳区) and zones on top of the ``tree`` fixture."""
    make_geography(session)


def make_construction_site(session: Session, at: tuple[float, float] = JIAODONG_POINT, **overrides: Any) -> Site:
    return make_site(session, at[0], at[1], **overrides)


def make_fireworks_shop(session: Session, at: tuple[float, float] = JIAODONG_POINT) -> Site:
    return make_site(
        session,
        at[0],
        at[1],
        kind="fireworks_point",
        name="某烟花零售点",
        operator={"type": "individual", "name": "王某"},
        attributes={"point_type": "shop"},
    )


def _checklist_row(session: Session, key: str) -> ChecklistVersion:
    row = session.scalar(select(ChecklistVersion).where(ChecklistVersion.key == key))
    if row is None:
        row = ChecklistVersion(
            key=key,
            version="1",
            content_hash=uuid.uuid4().hex + uuid.uuid4().hex,
            content={"key": key, "items": []},
            title_zh=key,
            title_en=key,
            site_kinds=["construction_site"],
            source_file=None,
            is_current=True,
        )
        session.add(row)
        session.flush()
    return row


def make_inspection(
    session: Session,
    site: Site,
    failed: list[FailedItem],
    *,
    started_at: datetime = STARTED,
    state: str = "submitted",
    alert_level: str = "none",
    checklist_key: str = "test.checklist",
    created_by: int | None = None,
) -> Inspection:
    """A submitted inspection (submission 1) whose findings are the ``failed`` items."""
    if created_by is None:
        created_by = make_user(session, f"insp_{uuid.uuid4().hex[:8]}", "inspector", ["410811"]).id
    checklist = _checklist_row(session, checklist_key)
    inspection = Inspection(
        id=uuid.uuid4(),
        site_id=site.id,
        checklist_version_id=checklist.id,
        checklist_key=checklist.key,
        checklist_version=checklist.version,
        checklist_hash=checklist.content_hash,
        state=state,
        version=2,
        change_seq=session.execute(select(CHANGE_SEQ.next_value())).scalar_one(),
        created_by_id=created_by,
        started_at=started_at,
        ended_at=started_at + timedelta(hours=1),
        alert_level=alert_level,
        alert_level_in_force=alert_level,  # as submission records the server's level
        last_put_hash="0" * 64,
        last_put_version=1,
        submission_count=1 if state != "draft" else 0,
        submitted_at=started_at + timedelta(hours=2) if state != "draft" else None,
    )
    session.add(inspection)
    session.flush()
    for item in failed:
        session.add(
            Finding(
                inspection_id=inspection.id,
                submission_no=1,
                item_key=item.item_key,
                checklist_key=checklist.key,
                checklist_version=checklist.version,
                checklist_hash=checklist.content_hash,
                verdict="fail",
                explanation={"zh": "不合格", "en": "failed"},
                severity=item.severity,
                source_refs=item.source_refs,
                penalty_keys=item.penalty_keys,
                answer=item.answer,
            )
        )
    session.flush()
    session.expire(inspection, ["findings"])
    return inspection


def dust_failures(*items: str) -> list[FailedItem]:
    return [FailedItem(item, DUST_KEYS, source_refs=["000§五(二)", "000#17"]) for item in items]


def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped penalty rule files."""
    target = tmp_path / "penalties"
    shutil.copytree(DEFAULT_RULES_DIR, target)
    return target


def edit_rule(rules_dir: Path, key: str, change: Any) -> None:
    """Apply ``change(entry)`` to every entry with ``key`` in the copied rule files."""
    for path in rules_dir.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        hit = False
        for entry in data["rules"]:
            if entry["key"] == key:
                change(entry)
                hit = True
        if hit:
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
            return
    raise KeyError(key)


def penalties_view_of(session: Session, inspection: Inspection) -> dict[str, Any]:
    """The breakdown the API shows for an inspection."""
    return penalties_view(inspection_penalties(session, inspection))


def recompute_view(
    session: Session, inspection: Inspection, reason: str, factors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Recompute (no acting user) and return the breakdown the API shows."""
    return penalties_view(recompute_inspection_penalties(session, inspection, reason, factors))
