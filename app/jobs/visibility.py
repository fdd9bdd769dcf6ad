"""PURE: which jobs an administrator may see and act on (no Flask, no SQLAlchemy).

A job is about one thing in one place, or about the system. A photo's derivatives belong where the photo may
be seen (its scope paths), a document's rendering to the document's jurisdiction; periodic upkeep (stalled
jobs, stale uploads, statistics) belongs to no jurisdiction and is the province-level administrators'
(an administrator whose jurisdictions include a root of the tree). A job outside the caller's scope does not
exist for the caller (404), as everywhere in the API. ``app.jobs.listing`` applies the rule in SQL (its
``_SUBJECT`` names each task's subject).
"""

from __future__ import annotations

from collections.abc import Sequence


def sees_system_jobs(jurisdiction_paths: Sequence[str]) -> bool:
    """Jobs of no jurisdiction are for an administrator of a root jurisdiction ("/410000/")."""
    return any(path.count("/") == 2 for path in jurisdiction_paths)


#: Statuses in which an administrator may act (procrastinate: a failed job is retried, a queued one cancelled).
RETRYABLE = frozenset({"failed"})
CANCELLABLE = frozenset({"todo"})
