"""PURE: which heavy-pollution alert level is in force at a place and a moment.

No Flask, no SQLAlchemy. Declarations (``AlertRecord``) are append-only: a change of level is a new record
that ``supersedes`` an earlier one, and its start ends the earlier interval (Air Law Art. 95: "预警等级根据情况变化
及时调整"; a downgrade or lift is a separate notice). Only the province or a prefecture-level city declares
(河南省大气污染防治条例第六十二条), so a record applies to its jurisdiction and everything below it.

Boundaries: an interval includes its start minute and excludes its end (an alert "from 12:00" is in force at
12:00; one superseded at 19:00 is no longer in force at 19:00). Where two declarations overlap (province and
city), the higher level is in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.vocabulary import ALERT_RANK


@dataclass(frozen=True)
class AlertRecord:
    id: int
    jurisdiction_code: str
    level: str  # none (a lift) | blue | yellow | orange | red
    starts_at: datetime
    ends_at: datetime | None = None
    supersedes_id: int | None = None


@dataclass(frozen=True)
class Interval:
    record: AlertRecord
    start: datetime
    end: datetime | None  # exclusive; None: until further notice

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)


@dataclass(frozen=True)
class InForce:
    """The level at a moment and the declarations that put it there (highest rank first)."""

    level: str
    alert_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LevelChange:
    at: datetime
    level: str


def intervals(records: Iterable[AlertRecord]) -> list[Interval]:
    """Each record's effective interval: its own end, cut short by the first record superseding it."""
    records = list(records)
    successors: dict[int, datetime] = {}
    for r in records:
        if r.supersedes_id is not None:
            prev = successors.get(r.supersedes_id)
            successors[r.supersedes_id] = r.starts_at if prev is None else min(prev, r.starts_at)
    out = []
    for r in records:
        end = r.ends_at
        cut = successors.get(r.id)
        if cut is not None and (end is None or cut < end):
            end = cut
        if end is None or end > r.starts_at:
            out.append(Interval(r, r.starts_at, end))
    return out


def level_in_force(records: Iterable[AlertRecord], chain: Sequence[str], moment: datetime) -> InForce:
    """The highest level declared for any jurisdiction of ``chain`` (root → leaf codes) at ``moment``."""
    codes = set(chain)
    live = [
        iv.record
        for iv in intervals(records)
        if iv.record.jurisdiction_code in codes and iv.record.level != "none" and iv.contains(moment)
    ]
    if not live:
        return InForce("none")
    live.sort(key=lambda r: (-ALERT_RANK.get(r.level, 0), r.id))
    return InForce(live[0].level, tuple(r.id for r in live))


def changes_during(
    records: Sequence[AlertRecord], chain: Sequence[str], start: datetime, end: datetime
) -> list[LevelChange]:
    """Level changes strictly after ``start`` and before ``end`` (e.g. an upgrade mid-inspection)."""
    codes = set(chain)
    moments = sorted(
        {
            t
            for iv in intervals(records)
            if iv.record.jurisdiction_code in codes
            for t in (iv.start, iv.end)
            if t is not None and start < t < end
        }
    )
    out: list[LevelChange] = []
    current = level_in_force(records, chain, start).level
    for t in moments:
        level = level_in_force(records, chain, t).level
        if level != current:
            out.append(LevelChange(t, level))
            current = level
    return out


def highest_during(records: Sequence[AlertRecord], chain: Sequence[str], start: datetime, end: datetime) -> str:
    """The highest level in force at any moment of [start, end) (a day's planning view)."""
    levels = [level_in_force(records, chain, start).level] + [
        c.level for c in changes_during(records, chain, start, end)
    ]
    return max(levels, key=lambda lv: ALERT_RANK.get(lv, 0))


def episode_start(records: Sequence[AlertRecord], chain: Sequence[str], moment: datetime) -> datetime | None:
    """When the alert in force at ``moment`` began: back through upgrades and downgrades to the first
    declaration of the episode (a lift ends an episode). None when no alert is in force."""
    found = level_in_force(records, chain, moment)
    if not found.alert_ids:
        return None
    by_id = {r.id: r for r in records}
    starts = []
    for alert_id in found.alert_ids:
        r = by_id[alert_id]
        while r.supersedes_id is not None and r.supersedes_id in by_id and by_id[r.supersedes_id].level != "none":
            r = by_id[r.supersedes_id]
        starts.append(r.starts_at)
    return min(starts)


def in_force_records(records: Iterable[AlertRecord], moment: datetime) -> list[AlertRecord]:
    """Every declaration (not a lift) whose interval contains ``moment``."""
    return [iv.record for iv in intervals(records) if iv.record.level != "none" and iv.contains(moment)]
