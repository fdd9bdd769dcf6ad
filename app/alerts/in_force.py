"""The server's alert level at a site and moment, the site's list entry in force, and the checklist items
its measures become (decisions in ``levels`` and ``measures``; this module loads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.alerts.levels import AlertRecord, InForce, LevelChange, changes_during, highest_during, level_in_force
from app.alerts.measures import EntrySpec, MeasureSpec, alert_items
from app.alerts.models import Alert, ReductionEntry, ReductionList, ReductionMeasure
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes
from app.localtime import LOCAL_TZ, local_date
from app.notified_cache import NotifiedCache
from app.sites.models import Site


def alert_records(session: Session, chain: Sequence[str]) -> list[AlertRecord]:
    """Every declaration for a jurisdiction of ``chain`` (small: a few per city per season)."""
    rows = session.execute(
        select(Alert, Jurisdiction.code)
        .join(Jurisdiction, Jurisdiction.id == Alert.jurisdiction_id)
        .where(Jurisdiction.code.in_(list(chain)))
    ).all()
    return [AlertRecord(a.id, code, a.level, a.starts_at, a.ends_at, a.supersedes_id) for a, code in rows]


def cached_alert_records(session: Session, chain: Sequence[str], cache: NotifiedCache | None) -> list[AlertRecord]:
    """``alert_records``, kept per chain in ``cache`` (app/reference_cache.py: a declaration, change or withdrawal
    empties it, migration 0038); the level at a moment is still decided from them per request."""
    if cache is None:
        return alert_records(session, chain)
    cached: tuple[AlertRecord, ...] = cache.get_or_load(
        ("alerts", *chain), lambda: tuple(alert_records(session, chain))
    )
    return list(cached)


def level_at(session: Session, site: Site, moment: datetime) -> InForce:
    """The level in force at the site at ``moment`` (declared for its jurisdiction or any above it)."""
    chain = chain_codes(site.jurisdiction.path)
    return level_in_force(alert_records(session, chain), chain, moment)


@dataclass(frozen=True)
class InspectionAlert:
    """The level that governs an inspection (in force when it began) and any change while it ran."""

    level: str
    alert_ids: tuple[int, ...]
    changes: tuple[LevelChange, ...] = ()


def inspection_alert(
    session: Session, site: Site, started: datetime, ended: datetime | None, cache: NotifiedCache | None = None
) -> InspectionAlert:
    """The level in force when the inspection began governs it: a firm is notified of a new level within
    three hours (003#34), so an upgrade mid-inspection is recorded but does not change what was checked."""
    chain = chain_codes(site.jurisdiction.path)
    records = cached_alert_records(session, chain, cache)
    now = level_in_force(records, chain, started)
    changes = tuple(changes_during(records, chain, started, ended)) if ended is not None and ended > started else ()
    return InspectionAlert(now.level, now.alert_ids, changes)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), LOCAL_TZ)
    return start, start + timedelta(days=1)


def highest_level_on(session: Session, site: Site, day: date) -> str:
    """The highest level in force at the site at any time of ``day`` (Asia/Shanghai)."""
    chain = chain_codes(site.jurisdiction.path)
    start, end = day_bounds(day)
    return highest_during(alert_records(session, chain), chain, start, end)


def entry_spec(entry: ReductionEntry) -> EntrySpec:
    lst = entry.reduction_list
    return EntrySpec(
        site_id=entry.site_id,
        grade=entry.grade,
        industry=entry.industry,
        low_voc_substituted=entry.low_voc_substituted,
        list_title=lst.title,
        list_version=lst.version,
        list_doc_ref=lst.doc_ref,
        illustrative=lst.illustrative,
        measures=tuple(
            MeasureSpec(m.id, m.trigger, m.kind, m.source, m.target, m.percent, m.starts_on, m.ends_on)
            for m in entry.measures
        ),
    )


def site_entries(session: Session, site: Site, on: date) -> list[EntrySpec]:
    """The site's entries on the list versions in force on ``on`` (a city and a district list may both name it).

    Per jurisdiction of the site's chain the newest list version effective on ``on`` (versioned like checklists),
    then only this site's entries on those versions and their measures: one statement, whatever the size of the
    lists (loading the lists as ORM objects read every entry of every list)."""
    chain = chain_codes(site.jurisdiction.path)
    in_force = (
        select(ReductionList)
        .join(Jurisdiction, Jurisdiction.id == ReductionList.jurisdiction_id)
        .where(
            Jurisdiction.code.in_(list(chain)),
            ReductionList.effective_from <= on,
            or_(ReductionList.effective_to.is_(None), ReductionList.effective_to >= on),
        )
        .order_by(ReductionList.jurisdiction_id, ReductionList.effective_from.desc(), ReductionList.id.desc())
        .distinct(ReductionList.jurisdiction_id)
        .subquery()
    )
    e, m = ReductionEntry, ReductionMeasure
    rows = session.execute(
        select(
            e.id,
            e.grade,
            e.industry,
            e.low_voc_substituted,
            in_force.c.title,
            in_force.c.version,
            in_force.c.doc_ref,
            in_force.c.illustrative,
            m.id.label("measure_id"),
            m.trigger,
            m.kind,
            m.source,
            m.target,
            m.percent,
            m.starts_on,
            m.ends_on,
        )
        .join(e, e.list_id == in_force.c.id)
        .outerjoin(m, m.entry_id == e.id)
        .where(e.site_id == site.id)
        .order_by(in_force.c.jurisdiction_id, e.id, m.id)
    ).all()
    entries: dict[int, EntrySpec] = {}
    measures: dict[int, list[MeasureSpec]] = {}
    for r in rows:
        if r.id not in entries:
            entries[r.id] = EntrySpec(
                site.id, r.grade, r.industry, r.low_voc_substituted, r.title, r.version, r.doc_ref, r.illustrative, ()
            )
            measures[r.id] = []
        if r.measure_id is not None:
            measures[r.id].append(
                MeasureSpec(r.measure_id, r.trigger, r.kind, r.source, r.target, r.percent, r.starts_on, r.ends_on)
            )
    return [replace(spec, measures=tuple(measures[entry_id])) for entry_id, spec in entries.items()]


def cached_site_entries(session: Session, site: Site, on: date, cache: NotifiedCache | None) -> list[EntrySpec]:
    """``site_entries``, kept per site and day in ``cache`` (app/reference_cache.py: any write to the lists, their
    entries or measures empties it, migration 0038)."""
    if cache is None:
        return site_entries(session, site, on)
    cached: tuple[EntrySpec, ...] = cache.get_or_load(
        ("reduction_entries", site.id, on), lambda: tuple(site_entries(session, site, on))
    )
    return list(cached)


@dataclass(frozen=True)
class SiteAlertItems:
    level: str
    items: list[dict[str, Any]] = field(default_factory=list)
    alert_ids: tuple[int, ...] = ()


def items_for(
    session: Session,
    site: Site,
    level: str,
    on: date,
    alert_ids: tuple[int, ...] = (),
    cache: NotifiedCache | None = None,
) -> SiteAlertItems:
    """The checklist items of the site's listed measures at ``level`` and of any staggered period on ``on``."""
    items: list[dict[str, Any]] = []
    for spec in cached_site_entries(session, site, on, cache):
        items += alert_items(spec, level, on)
    return SiteAlertItems(level, items, alert_ids)


def items_at(session: Session, site: Site, moment: datetime) -> SiteAlertItems:
    """The items at ``moment``, with the server's level then."""
    found = level_at(session, site, moment)
    return items_for(session, site, found.level, local_date(moment), found.alert_ids)
