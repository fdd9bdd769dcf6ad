"""Files and rows that disagree ("file and row never disagree after a crash"), and crash leftovers:
``flask photos gc`` reports them and, asked to, deletes the files (never rows: rows are evidence)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.photos.models import Photo
from app.photos.storage import PhotoStore

__all__ = ["GcReport", "delete_orphans", "find_orphans"]


@dataclass
class GcReport:
    originals_without_rows: list[str] = field(default_factory=list)
    rows_without_originals: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    derivatives_without_rows: list[tuple[str, str]] = field(default_factory=list)
    temp_leftovers: list[str] = field(default_factory=list)
    stale_partials: list[tuple[str, int]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.originals_without_rows
            or self.rows_without_originals
            or self.derivatives_without_rows
            or self.temp_leftovers
            or self.stale_partials
        )

    def lines(self) -> list[str]:
        out = [
            f"originals without a row: {len(self.originals_without_rows)}",
            *(f"  orphan original {sha}" for sha in self.originals_without_rows),
            f"rows without an original (EVIDENCE MISSING): {len(self.rows_without_originals)}",
            *(f"  photo {pid} expects {sha}" for pid, sha in self.rows_without_originals),
            f"derivatives without a row: {len(self.derivatives_without_rows)}",
            *(f"  orphan derivative {sha}/{name}" for sha, name in self.derivatives_without_rows),
            f"temp leftovers: {len(self.temp_leftovers)}",
            *(f"  temp {path}" for path in self.temp_leftovers),
            f"stale partial uploads: {len(self.stale_partials)}",
            *(f"  partial {uid} ({size} bytes)" for uid, size in self.stale_partials),
        ]
        return out


def _old_enough(store: PhotoStore, sha256: str, min_age: timedelta) -> bool:
    """Skip originals younger than ``min_age``: an upload may be between publish and commit."""
    if not min_age:
        return True
    mtime = store.original_modified_at(sha256)
    if mtime is None:  # deleted meanwhile
        return False
    return datetime.now(UTC).timestamp() - mtime >= min_age.total_seconds()


def find_orphans(
    session: Session,
    store: PhotoStore,
    *,
    min_age: timedelta = timedelta(hours=1),
    partial_age: timedelta = timedelta(days=7),
) -> GcReport:
    """Files and rows that disagree, plus crash leftovers. Reads only."""
    referenced = set(session.scalars(select(Photo.sha256).distinct()))
    report = GcReport()
    on_disk: set[str] = set()
    for sha in store.iter_originals():
        on_disk.add(sha)
        if sha not in referenced and _old_enough(store, sha, min_age):
            report.originals_without_rows.append(sha)
    missing = referenced - on_disk
    if missing:
        report.rows_without_originals = [
            (pid, sha)
            for pid, sha in session.execute(
                select(Photo.id, Photo.sha256).where(Photo.sha256.in_(missing)).order_by(Photo.created_at)
            )
        ]
    # Derivatives are only made for committed rows, so no grace period is needed here.
    report.derivatives_without_rows = [(sha, name) for sha, name in store.iter_derivatives() if sha not in referenced]
    report.temp_leftovers = [str(p) for p in store.spool.iter_temp_leftovers(min_age)]
    report.stale_partials = list(store.spool.iter_partials(partial_age))
    return report


def delete_orphans(store: PhotoStore, report: GcReport) -> int:
    """Delete the files a report lists (never rows: rows are evidence). → files removed."""
    removed = 0
    for sha in report.originals_without_rows:
        store.delete_original(sha)
        removed += 1
    for sha, name in report.derivatives_without_rows:
        store.delete_derivative(sha, name)
        removed += 1
    for path in report.temp_leftovers:
        Path(path).unlink(missing_ok=True)
        removed += 1
    for upload_id, _ in report.stale_partials:
        store.spool.abort_partial(upload_id)
        removed += 1
    return removed
