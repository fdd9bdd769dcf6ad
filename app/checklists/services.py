"""Checklist catalogue in the database: validate + sync files into immutable versions, serve them, resolve for a site.

Callers (inspection feature, routes, CLI) use:

- ``validate_checklist_files(checklists_dir) -> list[FieldError]``
- ``sync_checklists(session, checklists_dir) -> SyncReport``            (validates first; audited)
- ``get_current_checklist(session, key) -> ChecklistVersion``           (NotFound)
- ``get_checklist_version(session, key, version) -> ChecklistVersion``  (NotFound)
- ``get_checklist_by_hash(session, content_hash) -> ChecklistVersion``  (NotFound)
- ``current_hash(session, key) / version_hash(session, key, version) -> str | None``  (hash column only)
- ``encoded_checklist(session, content_hash) -> EncodedBody``          (canonical JSON + gzip, cached by hash)
- ``resolve_checklists_for_context(session, context, key=None) -> dict``
- ``resolve_checklists_for_site(session, site, on_date=None, alert_level=None, key=None) -> dict``
- ``set_checklist_parameter(session, jurisdiction_code, checklist_key, name, value) -> ChecklistParameterValue``
- ``checklist_parameters_for(session, jurisdiction_codes, checklist_key) -> dict``

Rows are immutable (DB trigger, migration 0003); only ``is_current`` flips. Services flush, never commit.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.checklists.applicability import checklist_applies, normalise_context, resolve_checklist
from app.checklists.catalogue import (
    SCHEMA_PATH,
    canonical_json,
    checklist_files,
    content_hash,
    load_checklist_file,
    load_site_kinds,
    validate_catalogue,
)
from app.checklists.models import ChecklistParameterValue, ChecklistVersion
from app.errors import FieldError, NotFound, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import get_jurisdiction_by_code
from app.localtime import today_local
from app.sites.services import site_context

# Arbitrary constant: serialises concurrent `flask checklists sync` runs (pg_advisory_xact_lock).
_SYNC_LOCK_ID = 0x4C54_434B  # "LTCK"


# ----------------------------------------------------------------------------------------- validation

def _rules_dir(checklists_dir: Path) -> Path:
    return checklists_dir / "penalties"


def validate_checklist_files(checklists_dir: str | Path, sources_dir: str | Path | None = None) -> list[FieldError]:
    """Every problem in the catalogue (schema, keys, seed refs, conditions, penalty refs). Empty = valid."""
    from app.penalties.rules import all_keys, load_rules

    root = Path(checklists_dir)
    try:
        penalty_keys: set[str] | None = all_keys(load_rules(_rules_dir(root)))
    except ValidationFailed as exc:  # the penalty files themselves are broken: report those problems too
        return [FieldError(f"penalties/{e.path}", e.code, e.message_zh, e.message_en) for e in exc.errors]
    return validate_catalogue(root, sources_dir, penalty_keys)


# --------------------------------------------------------------------------------------------- sync

@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)      # "key@version hash"
    reinstated: list[str] = field(default_factory=list)   # an older content became current again
    retired: list[str] = field(default_factory=list)      # key no longer has a file: no current version
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.reinstated or self.retired)

    def lines(self) -> list[str]:
        out = [f"created {x}" for x in self.created] + [f"made current again {x}" for x in self.reinstated]
        out += [f"retired {x}" for x in self.retired] + [f"unchanged {x}" for x in self.unchanged]
        return out


def _label(row: ChecklistVersion) -> str:
    return f"{row.key}@{row.version} {row.content_hash[:12]}"


def _summary(row: ChecklistVersion) -> dict[str, Any]:
    return {"key": row.key, "version": row.version, "content_hash": row.content_hash,
            "source_file": row.source_file, "is_current": row.is_current}


def _set_current(session: Session, row: ChecklistVersion) -> ChecklistVersion | None:
    """Make ``row`` the current version of its key; returns the version it replaced."""
    previous = session.scalar(select(ChecklistVersion).where(
        ChecklistVersion.key == row.key, ChecklistVersion.is_current.is_(True)))
    if previous is not None and previous.id != row.id:
        previous.is_current = False
        session.flush()  # clear the old flag before setting the new one (partial unique index)
    row.is_current = True
    session.flush()
    return previous


def sync_checklists(session: Session, checklists_dir: str | Path, sources_dir: str | Path | None = None) -> SyncReport:
    """Store every checklist file whose content hash is new as a new immutable version and make it current.

    Validates the whole catalogue first (ValidationFailed lists every problem; nothing is written).
    A file whose content changed but whose ``version`` did not is refused (``version_not_bumped``):
    inspections cite key + version, so one version string must never name two contents.
    A file whose content equals an older stored version makes that version current again.
    A key without a file any more keeps its versions but loses its current one (retired).
    """
    root = Path(checklists_dir)
    errors = validate_checklist_files(root, sources_dir)
    if errors:
        raise ValidationFailed("检查表文件未通过校验，未同步任何内容", "Checklist files are invalid; nothing was synced",
                               errors=errors, code="checklists_invalid")
    session.execute(select(func.pg_advisory_xact_lock(_SYNC_LOCK_ID)))

    docs = [(path.name, load_checklist_file(path)) for path in checklist_files(root)]
    plans: list[tuple[str, dict, str, ChecklistVersion | None]] = []
    for name, doc in docs:
        digest = content_hash(doc)
        existing = session.scalar(select(ChecklistVersion).where(ChecklistVersion.content_hash == digest))
        if existing is None:
            clash = session.scalar(select(ChecklistVersion).where(
                ChecklistVersion.key == doc["key"], ChecklistVersion.version == str(doc["version"])))
            if clash is not None:
                errors.append(FieldError(
                    f"{name}.version", "version_not_bumped",
                    f"{doc['key']} 的内容已改变，但版本号仍为 {doc['version']}（已存内容 {clash.content_hash[:12]}）：请提高 version",
                    f"{doc['key']} changed but its version is still {doc['version']} "
                    f"(stored content {clash.content_hash[:12]}): bump `version`"))
        plans.append((name, doc, digest, existing))
    if errors:
        raise ValidationFailed("检查表内容已改变但版本号未提高，未同步任何内容",
                               "A changed checklist kept its version; nothing was synced",
                               errors=errors, code="checklist_version_not_bumped")

    report = SyncReport()
    for name, doc, digest, existing in plans:
        if existing is None:
            row = ChecklistVersion(
                key=doc["key"], version=str(doc["version"]), content_hash=digest, content=doc,
                title_zh=doc["title"]["zh"], title_en=doc["title"]["en"], site_kinds=list(doc["site_kinds"]),
                source_file=name, is_current=False)
            session.add(row)
            session.flush()
            previous = _set_current(session, row)
            record_audit(session, "checklist.version_create", "checklist_version", row.id,
                         before=_summary(previous) if previous else None, after=_summary(row))
            report.created.append(_label(row))
        elif not existing.is_current:
            previous = _set_current(session, existing)
            record_audit(session, "checklist.version_reinstate", "checklist_version", existing.id,
                         before=_summary(previous) if previous else None, after=_summary(existing))
            report.reinstated.append(_label(existing))
        else:
            report.unchanged.append(_label(existing))

    keys_in_files = {doc["key"] for _, doc in docs}
    for row in session.scalars(select(ChecklistVersion).where(
            ChecklistVersion.is_current.is_(True), ChecklistVersion.key.not_in(keys_in_files))):
        before = _summary(row)
        row.is_current = False
        record_audit(session, "checklist.retire", "checklist_version", row.id, before=before, after=_summary(row))
        report.retired.append(_label(row))
    session.flush()
    return report


# ------------------------------------------------------------------------------------------ reading

def checklist_not_found(key: str, version: str | None = None) -> NotFound:
    """NotFound for checklist ``key`` (or for ``key`` at ``version``)."""
    if version is None:
        return NotFound(f"检查表 {key} 不存在。", f"Checklist {key} not found.", code="checklist_not_found")
    return NotFound(f"检查表 {key} 无版本 {version}。", f"Checklist {key} has no version {version}.",
                    code="checklist_version_not_found")


def current_hash(session: Session, key: str) -> str | None:
    """Content hash of the current version of ``key`` (reads only the hash column, for ETag checks)."""
    return session.scalar(select(ChecklistVersion.content_hash).where(
        ChecklistVersion.key == key, ChecklistVersion.is_current.is_(True)))


def version_hash(session: Session, key: str, version: str) -> str | None:
    """Content hash of ``key`` at ``version`` (hash column only)."""
    return session.scalar(select(ChecklistVersion.content_hash).where(
        ChecklistVersion.key == key, ChecklistVersion.version == version))


def get_current_checklist(session: Session, key: str) -> ChecklistVersion:
    """The current version of checklist ``key``."""
    row = session.scalar(select(ChecklistVersion).where(
        ChecklistVersion.key == key, ChecklistVersion.is_current.is_(True)))
    if row is None:
        raise checklist_not_found(key)
    return row


def get_checklist_version(session: Session, key: str, version: str) -> ChecklistVersion:
    """Checklist ``key`` at ``version`` (current or not: old versions stay readable forever)."""
    row = session.scalar(select(ChecklistVersion).where(
        ChecklistVersion.key == key, ChecklistVersion.version == version))
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
    rows = session.execute(select(
        ChecklistVersion.key, ChecklistVersion.version, ChecklistVersion.content_hash,
        ChecklistVersion.title_zh, ChecklistVersion.title_en, ChecklistVersion.site_kinds,
    ).where(ChecklistVersion.is_current.is_(True)).order_by(ChecklistVersion.key))
    return [{"key": r.key, "version": r.version, "content_hash": r.content_hash,
             "title": {"zh": r.title_zh, "en": r.title_en}, "site_kinds": r.site_kinds} for r in rows]


def index_hash(index: list[dict[str, Any]]) -> str:
    """ETag of the index: changes whenever any current version changes."""
    return hashlib.sha256("\n".join(f"{e['key']} {e['content_hash']}" for e in index).encode()).hexdigest()


# ----------------------------------------------------------------------------------- encoded bodies

@dataclass(frozen=True)
class EncodedBody:
    """A JSON document ready to send: canonical bytes, their gzip, and the hash used as ETag."""

    digest: str
    raw: bytes
    gzipped: bytes


def encode_body(doc: Any, digest: str | None = None) -> EncodedBody:
    raw = canonical_json(doc)
    return EncodedBody(digest or hashlib.sha256(raw).hexdigest(), raw, gzip.compress(raw, compresslevel=9, mtime=0))


class _BodyCache:
    """Bounded in-process LRU of encoded bodies keyed by content hash: safe forever, content is immutable."""

    def __init__(self, size: int = 128) -> None:
        self._items: OrderedDict[str, EncodedBody] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, digest: str) -> EncodedBody | None:
        with self._lock:
            body = self._items.get(digest)
            if body is not None:
                self._items.move_to_end(digest)
            return body

    def put(self, body: EncodedBody) -> None:
        with self._lock:
            self._items[body.digest] = body
            self._items.move_to_end(body.digest)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_bodies = _BodyCache()


def encoded_checklist(session: Session, digest: str) -> EncodedBody:
    """The stored content with hash ``digest`` as canonical JSON (+ gzip); loaded and encoded once per process."""
    cached = _bodies.get(digest)
    if cached is not None:
        return cached
    content = session.scalar(select(ChecklistVersion.content).where(ChecklistVersion.content_hash == digest))
    if content is None:
        raise NotFound("检查表版本不存在。", "Checklist version not found.", code="checklist_version_not_found")
    body = encode_body(content, digest)
    _bodies.put(body)
    return body


_schema_cache: dict[tuple[str, float], EncodedBody] = {}


def encoded_checklist_schema(path: Path = SCHEMA_PATH) -> EncodedBody:
    """The checklist JSON Schema as served at /api/v1/schemas/checklist (re-read when the file changes)."""
    stamp = (str(path), path.stat().st_mtime)
    body = _schema_cache.get(stamp)
    if body is None:
        body = encode_body(json.loads(path.read_text(encoding="utf-8")))
        _schema_cache.clear()
        _schema_cache[stamp] = body
    return body


# ------------------------------------------------------------------------------ jurisdiction params

def set_checklist_parameter(session: Session, jurisdiction_code: str, checklist_key: str, name: str,
                            value: Any) -> ChecklistParameterValue:
    """Set a jurisdiction's value for a ``jurisdiction_configurable`` checklist parameter (audited)."""
    jurisdiction = get_jurisdiction_by_code(session, jurisdiction_code)
    checklist = get_current_checklist(session, checklist_key)
    spec = (checklist.content.get("parameters") or {}).get(name)
    if spec is None or not spec.get("jurisdiction_configurable"):
        raise ValidationFailed(
            f"检查表 {checklist_key} 没有可由辖区设定的参数 {name}。",
            f"Checklist {checklist_key} has no jurisdiction-configurable parameter {name}.",
            errors=[FieldError("name", "unknown_parameter", f"未知参数：{name}", f"unknown parameter: {name}")])
    if spec.get("type") == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValidationFailed("参数值须为数字。", "The parameter value must be a number.",
                               errors=[FieldError("value", "not_a_number", "须为数字", "must be a number")])
    row = session.scalar(select(ChecklistParameterValue).where(
        ChecklistParameterValue.jurisdiction_id == jurisdiction.id,
        ChecklistParameterValue.checklist_key == checklist_key, ChecklistParameterValue.name == name))
    before = {"value": row.value} if row is not None else None
    if row is None:
        row = ChecklistParameterValue(jurisdiction_id=jurisdiction.id, checklist_key=checklist_key, name=name, value=value)
        session.add(row)
    else:
        row.value = value
    session.flush()
    record_audit(session, "checklist.parameter_set", "checklist_parameter", row.id, before=before,
                 after={"jurisdiction": jurisdiction_code, "checklist_key": checklist_key, "name": name, "value": value})
    return row


def checklist_parameters_by_key(session: Session, jurisdiction_codes: list[str],
                                checklist_keys: list[str]) -> dict[str, dict[str, Any]]:
    """``checklist_parameters_for`` of several checklists in one query: ``{key: {name: value}}``."""
    out: dict[str, dict[str, Any]] = {key: {} for key in checklist_keys}
    if not jurisdiction_codes or not checklist_keys:
        return out
    rows = session.execute(
        select(ChecklistParameterValue.checklist_key, ChecklistParameterValue.name, ChecklistParameterValue.value)
        .join(Jurisdiction, Jurisdiction.id == ChecklistParameterValue.jurisdiction_id)
        .where(Jurisdiction.code.in_(jurisdiction_codes), ChecklistParameterValue.checklist_key.in_(checklist_keys))
        .order_by(func.length(Jurisdiction.path)))
    for key, name, value in rows:
        out[key][name] = value
    return out


def checklist_parameters_for(session: Session, jurisdiction_codes: list[str], checklist_key: str) -> dict[str, Any]:
    """Parameter values set along a jurisdiction chain; the most specific jurisdiction (longest path) wins."""
    return checklist_parameters_by_key(session, jurisdiction_codes, [checklist_key])[checklist_key]


# ---------------------------------------------------------------------------------------- resolving

def resolve_checklists_for_context(session: Session, context: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """Resolve every current checklist covering the context's site kind.

    Returns ``{"context": ..., "checklists": [resolved...], "not_applicable": [{key, version, content_hash,
    reasons}]}``. Each resolved checklist is ``resolve_checklist`` output plus ``content_hash``; it carries the
    jurisdiction's parameter values, every applicable item with ``applies_because`` and raw ``applies_when``,
    and ``not_applicable`` items with their raw conditions, so a phone can re-evaluate offline.
    """
    ctx = normalise_context(context)
    query = select(ChecklistVersion).where(
        ChecklistVersion.is_current.is_(True),
        ChecklistVersion.site_kinds.contains([ctx["site"]["kind"]]),
    ).order_by(ChecklistVersion.key)
    if key is not None:
        query = query.where(ChecklistVersion.key == key)
    vocabulary = load_site_kinds()
    applicable: list[ChecklistVersion] = []
    skipped: list[dict[str, Any]] = []
    for row in session.scalars(query):
        applies, reasons = checklist_applies(row.content, ctx)
        if applies:
            applicable.append(row)
        else:
            skipped.append({"key": row.key, "version": row.version, "content_hash": row.content_hash,
                            "title": row.content.get("title"), "reasons": reasons})
    params = checklist_parameters_by_key(session, ctx["jurisdictions"], [row.key for row in applicable])
    resolved: list[dict[str, Any]] = []
    for row in applicable:
        out = resolve_checklist(row.content, {**ctx, "params": params[row.key]}, vocabulary=vocabulary)
        out["content_hash"] = row.content_hash
        resolved.append(out)
    public_ctx = {k: v for k, v in ctx.items() if k != "params"}
    return {"context": public_ctx, "checklists": resolved, "not_applicable": skipped}


def resolve_checklists_for_site(session: Session, site: Any, on_date: date | None = None,
                                alert_level: str | None = None, key: str | None = None) -> dict[str, Any]:
    """The checklists that apply at ``site`` on ``on_date`` (default today, Asia/Shanghai) under ``alert_level``."""
    on_date = on_date or today_local()
    # kind, attributes, kinds of the zones in force on ``on_date``, jurisdiction chain
    ctx = site_context(session, site, on_date)
    ctx["date"] = on_date.isoformat()
    ctx["alert_level"] = alert_level or "none"
    result = resolve_checklists_for_context(session, ctx, key=key)
    if key is not None and not result["checklists"] and not result["not_applicable"]:
        raise checklist_not_found(key)
    return result


__all__ = [
    "ChecklistVersion", "EncodedBody", "SyncReport", "canonical_json", "checklist_not_found",
    "checklist_parameters_for",
    "current_hash", "encoded_checklist", "encoded_checklist_schema", "get_checklist_by_hash",
    "get_checklist_version", "get_current_checklist", "index_hash", "list_current_checklists",
    "resolve_checklists_for_context", "resolve_checklists_for_site", "set_checklist_parameter",
    "sync_checklists", "validate_checklist_files", "version_hash",
]
