"""Jobs as the console's admin page lists them: procrastinate's rows, their events (created, finished), the
last recorded error, and the subject (photo, document) that places a job in a jurisdiction.

procrastinate's tables are not models of ours (``app.jobs.models`` says why), so this reads them with SQL.
Newest first, keyset-paged on the id. Read-only; the caller scopes nothing itself: ``app.jobs.visibility``
decides, here turned into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import String

from app.auth.principal import Principal
from app.errors import NotFound
from app.jobs.errors import last_errors
from app.jobs.visibility import sees_system_jobs


@dataclass(frozen=True)
class JobRow:
    id: int
    task_name: str
    status: str
    queue_name: str
    attempts: int
    args: dict[str, Any]
    scheduled_at: datetime | None
    created_at: datetime | None
    finished_at: datetime | None
    subject_paths: list[str] | None
    last_error: str | None = None
    last_error_at: datetime | None = None
    error_count: int = 0
    progress: float | None = None  # no task of ours reports progress yet (procrastinate keeps none)


# A job's subject's jurisdiction paths (NULL: a job about no jurisdiction, or whose subject is gone).
_SUBJECT = """
    CASE
      WHEN j.task_name = 'make_derivatives' AND j.args->>'photo_id' ~ '^[0-9a-fA-F-]{36}$'
        THEN (SELECT p.scope_paths FROM photos p WHERE p.id = (j.args->>'photo_id')::uuid)
      WHEN j.task_name = 'render_document' AND j.args->>'document_id' ~ '^[0-9a-fA-F-]{36}$'
        THEN (SELECT ARRAY[jr.path]::varchar[] FROM documents d JOIN jurisdictions jr ON jr.id = d.jurisdiction_id
               WHERE d.id = (j.args->>'document_id')::uuid)
    END
"""

_SELECT = f"""
SELECT * FROM (
  SELECT j.id, j.task_name, j.status::text AS status, j.queue_name, j.attempts, j.args, j.scheduled_at,
         (SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type = 'deferred') AS created_at,
         (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id
            AND e.type IN ('succeeded', 'failed', 'cancelled', 'aborted')) AS finished_at,
         {_SUBJECT} AS subject_paths
    FROM procrastinate_jobs j
   WHERE (CAST(:status AS text) IS NULL OR j.status::text = :status)
     AND (CAST(:task AS text) IS NULL OR j.task_name = :task)
     AND (CAST(:job_id AS bigint) IS NULL OR j.id = :job_id)
     AND (CAST(:before_id AS bigint) IS NULL OR j.id < :before_id)
) jobs
WHERE (subject_paths IS NULL AND :system)
   OR EXISTS (SELECT 1 FROM unnest(subject_paths) s, unnest(:prefixes) p WHERE s LIKE p)
ORDER BY id DESC
LIMIT :limit
"""


def _like_prefix(path: str) -> str:
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _query(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    task: str | None = None,
    job_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[JobRow]:
    stmt = text(_SELECT).bindparams(bindparam("prefixes", type_=ARRAY(String)))
    rows = session.execute(
        stmt,
        {
            "status": status,
            "task": task,
            "job_id": job_id,
            "before_id": before_id,
            "limit": limit,
            "system": sees_system_jobs(principal.jurisdiction_paths),
            "prefixes": [_like_prefix(p) for p in principal.jurisdiction_paths],
        },
    ).mappings()
    jobs = [JobRow(**dict(r)) for r in rows]
    errors = last_errors(session, [j.id for j in jobs])
    counts = _error_counts(session, [j.id for j in jobs])
    return [
        JobRow(
            **{
                **j.__dict__,
                "last_error": errors[j.id].error if j.id in errors else None,
                "last_error_at": errors[j.id].failed_at if j.id in errors else None,
                "error_count": counts.get(j.id, 0),
            }
        )
        for j in jobs
    ]


def _error_counts(session: Session, job_ids: list[int]) -> dict[int, int]:
    if not job_ids:
        return {}
    stmt = text("SELECT job_id, count(*) FROM job_errors WHERE job_id = ANY(:ids) GROUP BY job_id")
    return {int(r[0]): int(r[1]) for r in session.execute(stmt, {"ids": job_ids})}


@dataclass(frozen=True)
class JobPage:
    items: list[JobRow]
    next_before_id: int | None


def list_jobs(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    task: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> JobPage:
    """Jobs the caller may see, newest first; ``next_before_id`` pages on (None: no more)."""
    rows = _query(session, principal, status=status, task=task, before_id=before_id, limit=limit + 1)
    more = len(rows) > limit
    items = rows[:limit]
    return JobPage(items, items[-1].id if more and items else None)


def job_not_found(job_id: int) -> NotFound:
    return NotFound(
        f"任务 {job_id} 不存在或不在您的辖区内。",
        f"Job {job_id} not found in your jurisdictions.",
        code="job_not_found",
    )


def get_job(session: Session, principal: Principal, job_id: int) -> JobRow:
    """One job the caller may see, else 404."""
    rows = _query(session, principal, job_id=job_id, limit=1)
    if not rows:
        raise job_not_found(job_id)
    return rows[0]
