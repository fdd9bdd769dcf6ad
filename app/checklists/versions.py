"""Stored checklist versions: lookups by key, version and content hash, and the index of current versions.

Rows are immutable (DB trigger, migration 0003); old versions stay readable forever (inspections cite them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, class_mapper, make_transient_to_detached

from app.change_notices import ChangeListener
from app.checklists.hash_cache import CHANNEL, CurrentHashCache
from app.checklists.models import ChecklistVersion
from app.errors import NotFound
from app.notified_cache import NotifiedCache


def checklist_not_found(key: str, version: str | None = None) -> NotFound:
    """NotFound for checklist ``key`` (or for ``key`` at ``version``)."""
    if version is None:
        return NotFound(f"检查表 {key} 不存在。", f"Checklist {key} not found.", code="checklist_not_found")
    return NotFound(
        f"检查表 {key} 无版本 {version}。",
        f"Checklist {key} has no version {version}.",
        code="checklist_version_not_found",
    )


def known_current_hash(key: str, cache: CurrentHashCache | None) -> str | None:
    """The current content hash of ``key`` when the process's cache holds it, else None: no database."""
    return cache.get(key) if cache is not None else None


def current_hash(session: Session, key: str, cache: CurrentHashCache | None = None) -> str | None:
    """Content hash of the current version of ``key`` (reads only the hash column, for ETag checks), from the
    process's cache when it holds it (app/checklists/hash_cache.py)."""
    if cache is not None and (cached := cache.get(key)) is not None:
        return cached
    generation = cache.generation() if cache is not None else 0
    digest = session.scalar(
        select(ChecklistVersion.content_hash).where(ChecklistVersion.key == key, ChecklistVersion.is_current.is_(True))
    )
    if cache is not None and digest is not None:
        cache.put(key, digest, generation)
    return digest


def named_checklist_version(
    session: Session, key: str, version: str | None, digest: str | None, cache: NotifiedCache | None = None
) -> ChecklistVersion | None:
    """The version of ``key`` a PUT names by version and/or content hash (the first of ``key`` when it names
    neither). ``cache`` (``checklist_versions_cache_from_config``): a version named by version or hash is one
    immutable row (unique (key, version) and content hash; migration 0003), kept per process with its parsed
    content and handed to each session as a persistent object without a round trip; forgotten on the catalogue's
    NOTIFY like the current hashes (app/checklists/hash_cache.py), so a flip of ``is_current`` is seen too."""
    stmt = select(ChecklistVersion).where(ChecklistVersion.key == key)
    if digest:
        stmt = stmt.where(ChecklistVersion.content_hash == digest)
    if version:
        stmt = stmt.where(ChecklistVersion.version == version)
    if cache is None or not (version or digest):
        return session.scalars(stmt).first()
    cache_key = ("named", key, version or None, digest or None)
    values: dict[str, Any] | None = cache.get(cache_key)
    if values is not None:
        kept = ChecklistVersion(**values)
        make_transient_to_detached(kept)
        return session.merge(kept, load=False)
    generation = cache.generation()
    row = session.scalars(stmt).first()
    if row is not None:
        cache.put(
            cache_key, {a.key: getattr(row, a.key) for a in class_mapper(ChecklistVersion).column_attrs}, generation
        )
    return row


def checklist_versions_cache_from_config(
    config: Mapping[str, Any], listener: ChangeListener | None
) -> NotifiedCache | None:
    """Named checklist versions per process (None when ``CHECKLIST_CACHE_SECONDS`` is 0 or nothing listens)."""
    ttl = float(config.get("CHECKLIST_CACHE_SECONDS", 0))
    if ttl <= 0 or listener is None:
        return None
    return NotifiedCache(CHANNEL, ttl, listener=listener)


def version_hash(session: Session, key: str, version: str) -> str | None:
    """Content hash of ``key`` at ``version`` (hash column only)."""
    return session.scalar(
        select(ChecklistVersion.content_hash).where(ChecklistVersion.key == key, ChecklistVersion.version == version)
    )


def get_current_checklist(session: Session, key: str) -> ChecklistVersion:
    """The current version of checklist ``key``."""
    row = session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.key == key, ChecklistVersion.is_current.is_(True))
    )
    if row is None:
        raise checklist_not_found(key)
    return row


def get_checklist_version(session: Session, key: str, version: str) -> ChecklistVersion:
    """Checklist ``key`` at ``version`` (current or not: old versions stay readable forever)."""
    row = session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.key == key, ChecklistVersion.version == version)
    )
    if row is None:
        raise checklist_not_found(key, version)
    return row


def get_checklist_by_hash(session: Session, digest: str) -> ChecklistVersion:
    """The version with content hash ``digest``."""
    row = session.scalar(select(ChecklistVersion).where(ChecklistVersion.content_hash == digest))
    if row is None:
        raise NotFound("检查表版本不存在。", "Checklist version not found.", code="checklist_version_not_found")
    return row


def list_current_checklists(session: Session) -> list[dict[str, Any]]:
    """Index of current versions (no content loaded): key, version, content_hash, title, site_kinds."""
    rows = session.execute(
        select(
            ChecklistVersion.key,
            ChecklistVersion.version,
            ChecklistVersion.content_hash,
            ChecklistVersion.title_zh,
            ChecklistVersion.title_en,
            ChecklistVersion.site_kinds,
        )
        .where(ChecklistVersion.is_current.is_(True))
        .order_by(ChecklistVersion.key)
    )
    return [
        {
            "key": r.key,
            "version": r.version,
            "content_hash": r.content_hash,
            "title": {"zh": r.title_zh, "en": r.title_en},
            "site_kinds": r.site_kinds,
        }
        for r in rows
    ]


def index_hash(index: list[dict[str, Any]]) -> str:
    """ETag of the index: changes whenever any current version changes."""
    return hashlib.sha256("\n".join(f"{e['key']} {e['content_hash']}" for e in index).encode()).hexdigest()
