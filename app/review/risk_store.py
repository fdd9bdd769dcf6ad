"""Keeping the stored review-queue risk current: recompute the inspections the triggers marked dirty.

Why stored: ordering a province's queue by a score computed per row (seven correlated subqueries each) over
120,000 submitted inspections took longer than 30 s at 1 M inspections (bench/README.md, "Province scale").
``review_risk`` keeps each inspection's facts and score; the queue reads a page as an index range.

How it stays exact: triggers (migration 0027) mark an inspection in ``review_dirty`` in the writer's own
transaction whenever anything its facts come from changes (the inspection, officers, findings, photo links,
photos, penalty computations and lines, its site, its jurisdiction). The queue never trusts a stored row of a
dirty inspection: it computes those live (``app.review.queries.queue_page``). ``refresh_dirty`` (the
``refresh_review_risk`` job, every minute) recomputes the dirty ones from committed rows and clears their marks
in one transaction. A photo's reuse by another inspection (the same sha256, or a perceptual hash within
REVIEW_NEAR_DUPLICATE_MAX_BITS) is marked as the photo (``review_dirty_photos``) and expanded here to every
inspection linking the same or a similar photo: that reason shows on the *other* inspections within a minute.

The score depends on the settings (weights, thresholds, REVIEW_NEAR_DUPLICATE_MAX_BITS): the stored rows are
trusted only while ``review_risk_state.scored_with`` is the fingerprint of the settings in force. A deployment
with other settings (and the upgrade that created the table) finds a different fingerprint: the queue is
computed live until the job has marked every inspection dirty under the new fingerprint and recomputed them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.inspections.models import Inspection
from app.jurisdictions.models import Jurisdiction
from app.review.models import ReviewRisk, ReviewRiskState
from app.review.queries import current_failed, facts_columns, score_sql
from app.review.risk import RiskSettings
from app.sites.models import Site

#: Stored columns filled from the facts query, in the table's order (score last, computed from them).
_COLUMNS = [c.name for c in ReviewRisk.__table__.c]


def settings_fingerprint(settings: RiskSettings) -> str:
    """A stable digest of everything the stored facts and score depend on."""
    return hashlib.sha256(json.dumps(asdict(settings), sort_keys=True, default=str).encode()).hexdigest()[:32]


def stored_scores_trusted(session: Session, settings: RiskSettings) -> bool:
    """True when the stored rows were computed with ``settings`` (then only dirty inspections need live facts)."""
    scored_with = session.scalar(select(ReviewRiskState.scored_with).where(ReviewRiskState.id == 1))
    return scored_with == settings_fingerprint(settings)


@dataclass(frozen=True)
class RefreshResult:
    inspections: int  # recomputed in this batch
    photos: int = 0  # dirty photos expanded to the inspections linking them or a similar photo
    marked_all: bool = False  # the settings changed: every inspection was marked dirty

    @property
    def done(self) -> bool:
        return not (self.inspections or self.photos or self.marked_all)


def recompute(session: Session, inspection_ids: Sequence[uuid.UUID], settings: RiskSettings) -> None:
    """Upsert the stored facts and score of these inspections from the base tables (the live facts query)."""
    if not inspection_ids:
        return
    # The planner prices the per-row subqueries high enough to JIT-compile them: seconds of LLVM for a batch
    # that runs in under one without it (EXPLAIN ANALYZE at 100,000 inspections: 4.4 s of 5.2 s was JIT).
    session.execute(text("SET LOCAL jit = off"))
    facts = (
        select(
            *facts_columns(settings),
            current_failed().label("has_failed"),
            Jurisdiction.path.label("jurisdiction_path"),
        )
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(Inspection.id.in_(list(inspection_ids)))
        .subquery("facts")
    )
    values = [facts.c[c] for c in _COLUMNS if c != "score"] + [score_sql(facts, settings)]
    stmt = pg_insert(ReviewRisk).from_select(_COLUMNS, select(*values))
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReviewRisk.inspection_id], set_={c: stmt.excluded[c] for c in _COLUMNS[1:]}
    )
    session.execute(stmt)


def _expand_photos(session: Session, settings: RiskSettings, batch: int) -> int:
    """Dirty photos → every inspection linking the same bytes or a near-duplicate (marked dirty)."""
    # Marks are appended (0038): one photo may come back several times.
    photo_ids = _unique(
        session.scalars(
            text(
                "DELETE FROM review_dirty_photos WHERE photo_id IN (SELECT photo_id FROM review_dirty_photos"
                " ORDER BY marked_at LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING photo_id"
            ),
            {"n": batch},
        ).all()
    )
    if photo_ids:
        session.execute(
            text(
                "INSERT INTO review_dirty (inspection_id)"
                " SELECT l.inspection_id FROM photos p JOIN photos o ON o.sha256 = p.sha256"
                "   JOIN inspection_photo_links l ON l.photo_id = o.id WHERE p.id = ANY(:ids)"
                " UNION"
                " SELECT l.inspection_id FROM photos p JOIN photos o ON o.phash IS NOT NULL"
                "   AND bit_count(CAST(p.phash # o.phash AS bit(64))) <= :bits"
                "   JOIN inspection_photo_links l ON l.photo_id = o.id WHERE p.id = ANY(:ids) AND p.phash IS NOT NULL"
            ),
            {"ids": list(photo_ids), "bits": settings.near_duplicate_max_bits},
        )
    return len(photo_ids)


def refresh_dirty(session: Session, settings: RiskSettings, *, batch: int = 2000) -> RefreshResult:
    """One batch (the caller commits, and calls again until ``done``): under new settings, mark everything
    dirty; else expand dirty photos, then recompute up to ``batch`` dirty inspections and clear their marks.
    Inspections another refresh holds are skipped."""
    fingerprint = settings_fingerprint(settings)
    scored_with = session.scalar(select(ReviewRiskState.scored_with).where(ReviewRiskState.id == 1).with_for_update())
    if scored_with != fingerprint:
        session.execute(text("INSERT INTO review_dirty (inspection_id) SELECT id FROM inspections"))
        session.execute(text("DELETE FROM review_dirty_photos"))  # every inspection is recomputed anyway
        upsert = pg_insert(ReviewRiskState).values(id=1, scored_with=fingerprint)
        session.execute(
            upsert.on_conflict_do_update(index_elements=[ReviewRiskState.id], set_={"scored_with": fingerprint})
        )
        return RefreshResult(inspections=0, marked_all=True)
    photos = _expand_photos(session, settings, batch)
    ids = _unique(
        session.scalars(
            text(
                "DELETE FROM review_dirty WHERE inspection_id IN (SELECT inspection_id FROM review_dirty"
                " ORDER BY marked_at LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING inspection_id"
            ),
            {"n": batch},
        ).all()
    )
    recompute(session, ids, settings)
    return RefreshResult(inspections=len(ids), photos=photos)


def _unique(ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


def any_dirty(session: Session) -> bool:
    """Whether any inspection waits for the refresh (else the queue reads stored rows only)."""
    return bool(session.scalar(text("SELECT EXISTS (SELECT 1 FROM review_dirty)")))


def pending_inspections(session: Session) -> int:
    """Inspections whose stored risk waits for the next refresh (computed live meanwhile)."""
    return int(session.scalar(text("SELECT count(DISTINCT inspection_id) FROM review_dirty")) or 0)
