"""The review queue in SQL: filters, the risk facts of every inspection, the score, counts per state.

Set-based: one statement answers a page (facts per inspection as index-served correlated subqueries over the
filtered inspections, the score as a SQL expression of those facts, keyset order), one more the counts per
state. ``app.review.risk.assess`` explains the same facts; a unit test keeps the two scores equal.

At scale the same facts and score are stored per inspection (``review_risk``, ``app.review.risk_store``): a
page is then the stored rows of clean inspections (an index range) merged with the dirty ones computed by the
live statement above, and the counts are index-only and capped (``COUNT_CAP``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    Subquery,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, BIT, JSONB, array
from sqlalchemy.orm import Session, aliased

from app.inspections.models import Finding, Inspection, InspectionOfficer, InspectionPhotoLink
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.localtime import LOCAL_TZ
from app.penalties.models import PenaltyComputation, PenaltyLineRow
from app.penalties.records import MONEY_KINDS
from app.photos.models import Photo
from app.review.models import ReviewDirty, ReviewRisk
from app.review.risk import SCORED_FLAGS, UNSCORED_FLAGS, InspectionFacts, RiskSettings, flag_reason_code
from app.sites.models import Site
from app.sites.queries import geography


@dataclass(frozen=True)
class QueueFilter:
    """Validated filters (dates are Asia/Shanghai dates, inclusive; bbox WGS-84 minlon,minlat,maxlon,maxlat)."""

    states: tuple[str, ...] = ("submitted",)
    jurisdiction_path: str | None = None
    checklist: str | None = None
    site_kind: str | None = None
    site_id: int | None = None
    inspector_id: int | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    inspected_from: date | None = None
    inspected_to: date | None = None
    bbox: tuple[float, float, float, float] | None = None
    flags: tuple[str, ...] = ()
    min_amount_fen: int | None = None
    has_failed: bool | None = None


@dataclass(frozen=True)
class QueueRow:
    inspection_id: uuid.UUID
    state: str
    site_id: int
    site_name: str
    site_kind: str
    jurisdiction_code: str
    jurisdiction_name: str
    checklist_key: str
    created_by_id: int
    started_at: datetime | None
    ended_at: datetime | None
    submitted_at: datetime | None
    queued_at: datetime
    score: int
    facts: InspectionFacts


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


def current_failed() -> Any:
    return (
        select(Finding.id)
        .where(
            Finding.inspection_id == Inspection.id,
            Finding.submission_no == Inspection.submission_count,
            Finding.revision == Inspection.findings_revision,
            Finding.verdict == "fail",
        )
        .exists()
    )


def _total_amount_fen() -> ColumnElement[Any]:
    return (
        select(func.coalesce(func.sum(PenaltyLineRow.amount_fen), 0))
        .join(PenaltyComputation, PenaltyComputation.id == PenaltyLineRow.computation_id)
        .where(
            PenaltyLineRow.inspection_id == Inspection.id,
            PenaltyComputation.is_current,
            PenaltyLineRow.kind.in_(MONEY_KINDS),
        )
        .scalar_subquery()
    )


def _inspection_conditions(flt: QueueFilter) -> list[ColumnElement[bool]]:
    """The filters on the inspection and site rows themselves (joined in both the live and the stored form)."""
    conds: list[ColumnElement[bool]] = []
    if flt.checklist is not None:
        conds.append(Inspection.checklist_key == flt.checklist)
    if flt.site_id is not None:
        conds.append(Inspection.site_id == flt.site_id)
    if flt.inspector_id is not None:
        conds.append(
            or_(
                Inspection.created_by_id == flt.inspector_id,
                exists().where(
                    InspectionOfficer.inspection_id == Inspection.id, InspectionOfficer.user_id == flt.inspector_id
                ),
            )
        )
    if flt.submitted_from is not None:
        conds.append(Inspection.submitted_at >= _local_midnight(flt.submitted_from))
    if flt.submitted_to is not None:
        conds.append(Inspection.submitted_at < _local_midnight(flt.submitted_to + timedelta(days=1)))
    if flt.inspected_from is not None:
        conds.append(Inspection.started_at >= _local_midnight(flt.inspected_from))
    if flt.inspected_to is not None:
        conds.append(Inspection.started_at < _local_midnight(flt.inspected_to + timedelta(days=1)))
    if flt.bbox is not None:
        box = func.ST_MakeEnvelope(*flt.bbox, 4326)
        conds.append(or_(func.ST_Intersects(Inspection.location, box), func.ST_Intersects(Site.geom, box)))
    return conds


def filter_conditions(paths: Sequence[str] | None, flt: QueueFilter) -> list[ColumnElement[bool]]:
    """Scope and every filter except the state (counts per state use these)."""
    conds: list[ColumnElement[bool]] = [scope_clause(paths, Jurisdiction.path)]
    if flt.jurisdiction_path is not None:
        conds.append(Jurisdiction.path.startswith(flt.jurisdiction_path))
    if flt.site_kind is not None:
        conds.append(Site.kind == flt.site_kind)
    conds += _inspection_conditions(flt)
    if flt.flags:
        conds.append(
            exists().where(
                InspectionPhotoLink.inspection_id == Inspection.id,
                or_(*[InspectionPhotoLink.flags.contains([{"code": f}]) for f in flt.flags]),
            )
        )
    if flt.min_amount_fen is not None:
        conds.append(_total_amount_fen() >= flt.min_amount_fen)
    if flt.has_failed is not None:
        conds.append(current_failed() if flt.has_failed else ~current_failed())
    return conds


def _needs_inspection_join(flt: QueueFilter) -> bool:
    return bool(_inspection_conditions(flt))


def stored_conditions(paths: Sequence[str] | None, flt: QueueFilter) -> list[ColumnElement[bool]]:
    """``filter_conditions`` over a stored ``review_risk`` row (equal for an inspection that is not dirty):
    scope, jurisdiction, site kind, flags, amount and has_failed read from the row; the rest (joined
    inspection and site) as in the live form."""
    rr = ReviewRisk
    conds: list[ColumnElement[bool]] = [scope_clause(paths, rr.jurisdiction_path)]
    if flt.jurisdiction_path is not None:
        conds.append(rr.jurisdiction_path.startswith(flt.jurisdiction_path))
    if flt.site_kind is not None:
        conds.append(rr.site_kind == flt.site_kind)
    conds += _inspection_conditions(flt)
    if flt.flags:
        # flag_codes holds the code of every flag of every link: "a link carries one of these flags".
        conds.append(rr.flag_codes.overlap(cast(array(list(flt.flags)), ARRAY(String))))
    if flt.min_amount_fen is not None:
        conds.append(rr.total_amount_fen >= flt.min_amount_fen)
    if flt.has_failed is not None:
        conds.append(rr.has_failed.is_(flt.has_failed))
    return conds


def facts_columns(settings: RiskSettings) -> list[Any]:
    officer_count = select(func.count()).where(InspectionOfficer.inspection_id == Inspection.id).scalar_subquery()
    link = aliased(InspectionPhotoLink)
    failed_without_photo = (
        select(func.count())
        .select_from(Finding)
        .where(
            Finding.inspection_id == Inspection.id,
            Finding.submission_no == Inspection.submission_count,
            Finding.revision == Inspection.findings_revision,
            Finding.verdict == "fail",
            ~exists()
            .where(link.inspection_id == Inspection.id, link.item_key == Finding.item_key)
            .correlate(Inspection, Finding),
            # the evidence a reviewer added with an amendment is in the finding's answer, not in a link
            func.coalesce(func.jsonb_array_length(Finding.answer.op("->")("photos")), 0) == 0,
        )
        .scalar_subquery()
    )
    flag = func.jsonb_array_elements(func.coalesce(InspectionPhotoLink.flags, cast("[]", JSONB))).table_valued("value")
    flag_codes = (
        # a flag without a code is no flag: drop the NULLs, as the explanation does (facts_of)
        select(func.array_remove(func.array_agg(flag.c.value.op("->>")("code")), None))
        .select_from(InspectionPhotoLink)
        .join(flag, literal(True))
        .where(InspectionPhotoLink.inspection_id == Inspection.id)
        .scalar_subquery()
    )
    photo, other_photo, other_link = aliased(Photo), aliased(Photo), aliased(InspectionPhotoLink)
    reused_photos = (
        select(func.count(distinct(photo.sha256)))
        .select_from(InspectionPhotoLink)
        .join(photo, photo.id == InspectionPhotoLink.photo_id)
        .where(
            InspectionPhotoLink.inspection_id == Inspection.id,
            exists()
            .where(
                other_link.photo_id == other_photo.id,
                other_photo.sha256 == photo.sha256,
                other_link.inspection_id != Inspection.id,
            )
            .correlate(Inspection, photo),
        )
        .scalar_subquery()
    )
    near_photo, near_other, near_link = aliased(Photo), aliased(Photo), aliased(InspectionPhotoLink)
    near_duplicate_photos = (
        select(func.count(distinct(near_photo.id)))
        .select_from(InspectionPhotoLink)
        .join(near_photo, near_photo.id == InspectionPhotoLink.photo_id)
        .where(
            InspectionPhotoLink.inspection_id == Inspection.id,
            near_photo.phash.is_not(None),
            exists()
            .where(
                near_link.photo_id == near_other.id,
                near_link.inspection_id != Inspection.id,
                near_other.phash.is_not(None),
                near_other.sha256 != near_photo.sha256,  # the same bytes are reused_photo
                func.bit_count(cast(near_photo.phash.op("#")(near_other.phash), BIT(64)))
                <= settings.near_duplicate_max_bits,
            )
            .correlate(Inspection, near_photo),
        )
        .scalar_subquery()
    )
    distance = func.ST_Distance(geography(Inspection.location), geography(Site.geom))
    outside = case(
        (or_(Inspection.location.is_(None), Jurisdiction.boundary.is_(None)), None),
        else_=~func.ST_Covers(Jurisdiction.boundary, Inspection.location),
    )
    duration = func.extract("epoch", Inspection.ended_at - Inspection.started_at)
    return [
        Inspection.id.label("inspection_id"),
        Inspection.state.label("state"),
        Site.id.label("site_id"),
        Site.name.label("site_name"),
        Site.kind.label("site_kind"),
        Jurisdiction.code.label("jurisdiction_code"),
        Jurisdiction.name_zh.label("jurisdiction_name"),
        Inspection.checklist_key.label("checklist_key"),
        Inspection.created_by_id.label("created_by_id"),
        Inspection.started_at.label("started_at"),
        Inspection.ended_at.label("ended_at"),
        Inspection.submitted_at.label("submitted_at"),
        func.coalesce(Inspection.submitted_at, Inspection.created_at).label("queued_at"),
        officer_count.label("officer_count"),
        failed_without_photo.label("failed_without_photo"),
        cast(func.coalesce(flag_codes, cast(array([], type_=String), ARRAY(String))), ARRAY(String)).label(
            "flag_codes"
        ),
        reused_photos.label("reused_photos"),
        near_duplicate_photos.label("near_duplicate_photos"),
        cast(distance, Float).label("distance_m"),
        outside.label("outside_jurisdiction"),
        cast(duration, Float).label("duration_s"),
        cast(_total_amount_fen(), Integer).label("total_amount_fen"),
        Inspection.alert_level.label("alert_claimed"),
        Inspection.alert_level_in_force.label("alert_in_force"),
    ]


def facts_subquery(
    paths: Sequence[str] | None, flt: QueueFilter, settings: RiskSettings, *, dirty_only: bool = False
) -> Subquery:
    """Every inspection in scope matching ``flt`` (state included), with its risk facts; ``dirty_only``: only
    those whose stored risk is stale (``review_dirty``)."""
    stmt = (
        select(*facts_columns(settings))
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(*filter_conditions(paths, flt), Inspection.state.in_(flt.states))
    )
    if dirty_only:
        stmt = stmt.where(Inspection.id.in_(select(ReviewDirty.inspection_id)))
    return stmt.subquery("facts")


def score_sql(facts: Any, settings: RiskSettings) -> ColumnElement[int]:
    """The risk score as SQL over the facts columns: the same sum ``risk.assess`` explains."""
    w = settings.weights
    codes = facts.c.flag_codes

    def points(cond: ColumnElement[Any], value: int) -> ColumnElement[int]:
        return case((cond, literal(value)), else_=literal(0))

    parts = [
        points(facts.c.failed_without_photo > 0, w.failed_item_without_photo),
        points(facts.c.reused_photos > 0, w.reused_photo),
        points(facts.c.near_duplicate_photos > 0, w.near_duplicate_photo),
        points(facts.c.outside_jurisdiction.is_(True), w.location_outside_jurisdiction),
        points(facts.c.officer_count < settings.min_officers, w.too_few_officers),
        points(and_(facts.c.duration_s.is_not(None), facts.c.duration_s < settings.min_duration_s), w.short_inspection),
        points(facts.c.total_amount_fen >= settings.high_amount_fen, w.high_amount),
        points(
            and_(facts.c.alert_in_force.is_not(None), facts.c.alert_claimed != facts.c.alert_in_force),
            w.alert_level_mismatch,
        ),
    ]
    parts += [points(codes.contains([flag]), w.points(flag_reason_code(flag))) for flag in SCORED_FLAGS]
    known = [*SCORED_FLAGS, *sorted(UNSCORED_FLAGS)]
    parts.append(points(~codes.contained_by(cast(array(known), ARRAY(String))), w.photo_other_flag))
    limit: ColumnElement[float] = literal(float(settings.default_max_distance_m))
    if settings.max_distance_by_kind:
        limit = case(
            *[(facts.c.site_kind == kind, literal(float(m))) for kind, m in settings.max_distance_by_kind],
            else_=limit,
        )
    parts.append(points(and_(facts.c.distance_m.is_not(None), facts.c.distance_m > limit), w.location_far_from_site))
    total: ColumnElement[int] = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def facts_of(row: Any) -> InspectionFacts:
    return InspectionFacts(
        site_kind=row.site_kind,
        officer_count=int(row.officer_count),
        failed_without_photo=int(row.failed_without_photo),
        flag_codes=tuple(c for c in row.flag_codes if c is not None),
        reused_photos=int(row.reused_photos),
        near_duplicate_photos=int(row.near_duplicate_photos),
        distance_m=row.distance_m,
        outside_jurisdiction=row.outside_jurisdiction,
        duration_s=row.duration_s,
        total_amount_fen=int(row.total_amount_fen),
        alert_claimed=row.alert_claimed,
        alert_in_force=row.alert_in_force,
    )


def _row(r: Any) -> QueueRow:
    return QueueRow(
        inspection_id=r.inspection_id,
        state=r.state,
        site_id=r.site_id,
        site_name=r.site_name,
        site_kind=r.site_kind,
        jurisdiction_code=r.jurisdiction_code,
        jurisdiction_name=r.jurisdiction_name,
        checklist_key=r.checklist_key,
        created_by_id=r.created_by_id,
        started_at=r.started_at,
        ended_at=r.ended_at,
        submitted_at=r.submitted_at,
        queued_at=r.queued_at,
        score=int(r.score),
        facts=facts_of(r),
    )


def _after(score: Any, queued_at: Any, inspection_id: Any, after: tuple[int, datetime, uuid.UUID]) -> Any:
    s, t, i = after
    return or_(
        score < s,
        and_(score == s, or_(queued_at > t, and_(queued_at == t, inspection_id > i))),
    )


def _is_dirty(inspection_id: Any) -> ColumnElement[bool]:
    return exists().where(ReviewDirty.inspection_id == inspection_id)


def _live_page(
    session: Session,
    paths: Sequence[str] | None,
    flt: QueueFilter,
    settings: RiskSettings,
    *,
    limit: int,
    after: tuple[int, datetime, uuid.UUID] | None,
    dirty_only: bool,
) -> list[QueueRow]:
    facts = facts_subquery(paths, flt, settings, dirty_only=dirty_only)
    score = score_sql(facts, settings).label("score")
    scored = select(facts, score).subquery("scored")
    stmt = select(scored)
    if after is not None:
        stmt = stmt.where(_after(scored.c.score, scored.c.queued_at, scored.c.inspection_id, after))
    stmt = stmt.order_by(scored.c.score.desc(), scored.c.queued_at, scored.c.inspection_id).limit(limit)
    return [_row(r) for r in session.execute(stmt)]


def _stored_page(
    session: Session,
    paths: Sequence[str] | None,
    flt: QueueFilter,
    *,
    limit: int,
    after: tuple[int, datetime, uuid.UUID] | None,
    any_dirty: bool,
) -> list[QueueRow]:
    """The page among inspections that are not dirty, from their stored facts and score: an index range of
    ``ix_review_risk_order`` filtered by the stored scope, then the names joined for the page's rows only."""
    rr = ReviewRisk
    inner = select(*ReviewRisk.__table__.c).where(*stored_conditions(paths, flt), rr.state.in_(flt.states))
    if any_dirty:
        inner = inner.where(~_is_dirty(rr.inspection_id))
    if _needs_inspection_join(flt):
        inner = inner.join(Inspection, Inspection.id == rr.inspection_id).join(Site, Site.id == Inspection.site_id)
    if after is not None:
        inner = inner.where(_after(rr.score, rr.queued_at, rr.inspection_id, after))
    page = inner.order_by(rr.score.desc(), rr.queued_at, rr.inspection_id).limit(limit).subquery("page")
    stmt = (
        select(
            page,
            Site.id.label("site_id"),
            Site.name.label("site_name"),
            Jurisdiction.code.label("jurisdiction_code"),
            Jurisdiction.name_zh.label("jurisdiction_name"),
            Inspection.checklist_key.label("checklist_key"),
            Inspection.created_by_id.label("created_by_id"),
            Inspection.started_at.label("started_at"),
            Inspection.ended_at.label("ended_at"),
            Inspection.submitted_at.label("submitted_at"),
        )
        .select_from(page)
        .join(Inspection, Inspection.id == page.c.inspection_id)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
    )
    return [_row(r) for r in session.execute(stmt)]


def _order_key(row: QueueRow) -> tuple[int, datetime, uuid.UUID]:
    return (-row.score, row.queued_at, row.inspection_id)


def queue_page(
    session: Session,
    paths: Sequence[str] | None,
    flt: QueueFilter,
    settings: RiskSettings,
    *,
    limit: int,
    after: tuple[int, datetime, uuid.UUID] | None = None,
    stored: bool = False,
    any_dirty: bool = True,
) -> list[QueueRow]:
    """Up to ``limit`` rows by score (highest first), then queued time (oldest first), then id.

    ``stored`` (the stored scores were computed with ``settings``: ``risk_store.stored_scores_trusted``): the
    page merges the stored rows of inspections that are not dirty with the dirty ones computed live, so it
    equals the all-live page whatever the refresh job has caught up with. Otherwise everything is live.
    ``any_dirty`` False (nothing was dirty a moment ago, ``risk_store.any_dirty``): the stored rows alone, without
    building the live query (an inspection marked since reads as it was just before that write)."""
    if not stored:
        return _live_page(session, paths, flt, settings, limit=limit, after=after, dirty_only=False)
    rows = _stored_page(session, paths, flt, limit=limit, after=after, any_dirty=any_dirty)
    if any_dirty:
        rows += _live_page(session, paths, flt, settings, limit=limit, after=after, dirty_only=True)
    return sorted(rows, key=_order_key)[:limit]


#: Above this many inspections in one state, the stored count stops (the console shows "10,000+").
COUNT_CAP = 10_000


@dataclass(frozen=True)
class StateCounts:
    counts: dict[str, int]
    capped: tuple[str, ...] = ()  # states with more than the cap (COUNT_CAP) inspections (counts says the cap)


def _live_counts(
    session: Session, paths: Sequence[str] | None, flt: QueueFilter, *, dirty_only: bool
) -> dict[str, int]:
    stmt = (
        select(Inspection.state, func.count())
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(*filter_conditions(paths, flt))
        .group_by(Inspection.state)
    )
    if dirty_only:
        stmt = stmt.where(Inspection.id.in_(select(ReviewDirty.inspection_id)))
    return {state: int(n) for state, n in session.execute(stmt)}


def counts_by_state(
    session: Session,
    paths: Sequence[str] | None,
    flt: QueueFilter,
    states: Sequence[str] = (),
    *,
    stored: bool = False,
    any_dirty: bool = True,
    cap: int = COUNT_CAP,
) -> StateCounts:
    """Inspections per state in scope matching every filter but the state. Live: exact. ``stored``: the
    stored rows of inspections that are not dirty, each state counted up to COUNT_CAP + 1 (an index range),
    plus the dirty ones counted live; a state past ``cap`` is reported as ``cap`` and listed in ``capped``."""
    if not stored:
        return StateCounts(_live_counts(session, paths, flt, dirty_only=False))
    rr = ReviewRisk
    conds = [*stored_conditions(paths, flt)]
    if any_dirty:
        conds.append(~_is_dirty(rr.inspection_id))

    def capped_count(state: str) -> Any:
        rows = select(literal(1)).select_from(rr).where(*conds, rr.state == state)
        if _needs_inspection_join(flt):
            rows = rows.join(Inspection, Inspection.id == rr.inspection_id).join(Site, Site.id == Inspection.site_id)
        return select(func.count()).select_from(rows.limit(cap + 1).subquery()).scalar_subquery()

    clean = session.execute(select(*[capped_count(s).label(s) for s in states])).one()._mapping
    dirty = _live_counts(session, paths, flt, dirty_only=True) if any_dirty else {}
    counts: dict[str, int] = {}
    capped: list[str] = []
    for state in states:
        n = int(clean[state]) + dirty.get(state, 0)
        if n > cap:
            n = cap
            capped.append(state)
        counts[state] = n
    return StateCounts(counts, tuple(capped))
