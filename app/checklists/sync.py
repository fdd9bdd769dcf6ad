"""Validate the checklist files and sync them into immutable stored versions (``flask checklists validate|sync``).

Rows are immutable (DB trigger, migration 0003); only ``is_current`` flips. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.checklists.canonical import content_hash
from app.checklists.files import checklist_files, load_checklist_file
from app.checklists.models import ChecklistVersion
from app.checklists.validation import validate_catalogue
from app.errors import FieldError, ValidationFailed
from app.penalties.rules import all_keys, load_rules

# Arbitrary constant: serialises concurrent `flask checklists sync` runs (pg_advisory_xact_lock).
_SYNC_LOCK_ID = 0x4C54_434B  # "LTCK"


def validate_checklist_files(checklists_dir: str | Path, sources_dir: str | Path | None = None) -> list[FieldError]:
    """Every problem in the catalogue (schema, keys, seed refs, conditions, penalty refs). Empty = valid."""
    root = Path(checklists_dir)
    try:
        penalty_keys: set[str] | None = all_keys(load_rules(root / "penalties"))
    except ValidationFailed as exc:  # the penalty files themselves are broken: report those problems too
        return [FieldError(f"penalties/{e.path}", e.code, e.message_zh, e.message_en) for e in exc.errors]
    return validate_catalogue(root, sources_dir, penalty_keys)


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)  # "key@version hash"
    reinstated: list[str] = field(default_factory=list)  # an older content became current again
    retired: list[str] = field(default_factory=list)  # key no longer has a file: no current version
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.reinstated or self.retired)

    def lines(self) -> list[str]:
        out = [f"created {x}" for x in self.created] + [f"made current again {x}" for x in self.reinstated]
        out += [f"retired {x}" for x in self.retired] + [f"unchanged {x}" for x in self.unchanged]
        return out


@dataclass(frozen=True)
class _Planned:
    """One checklist file and the stored version with the same content, if any."""

    file_name: str
    doc: dict[str, Any]
    digest: str
    existing: ChecklistVersion | None


def _label(row: ChecklistVersion) -> str:
    return f"{row.key}@{row.version} {row.content_hash[:12]}"


def _summary(row: ChecklistVersion) -> dict[str, Any]:
    return {
        "key": row.key,
        "version": row.version,
        "content_hash": row.content_hash,
        "source_file": row.source_file,
        "is_current": row.is_current,
    }


def _set_current(session: Session, row: ChecklistVersion) -> ChecklistVersion | None:
    """Make ``row`` the current version of its key; returns the version it replaced."""
    previous = session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.key == row.key, ChecklistVersion.is_current.is_(True))
    )
    if previous is not None and previous.id != row.id:
        previous.is_current = False
        session.flush()  # clear the old flag before setting the new one (partial unique index)
    row.is_current = True
    session.flush()
    return previous


def _plan(session: Session, root: Path) -> list[_Planned]:
    """Each file with its stored twin; refuses (nothing written) a changed content that kept its version."""
    plans: list[_Planned] = []
    errors: list[FieldError] = []
    for path in checklist_files(root):
        doc = load_checklist_file(path)
        digest = content_hash(doc)
        existing = session.scalar(select(ChecklistVersion).where(ChecklistVersion.content_hash == digest))
        if existing is None:
            clash = session.scalar(
                select(ChecklistVersion).where(
                    ChecklistVersion.key == doc["key"], ChecklistVersion.version == str(doc["version"])
                )
            )
            if clash is not None:
                errors.append(
                    FieldError(
                        f"{path.name}.version",
                        "version_not_bumped",
                        f"{doc['key']} 的内容已改变，但版本号仍为 {doc['version']}（已存内容 {clash.content_hash[:12]}）：请提高 version",
                        f"{doc['key']} changed but its version is still {doc['version']} "
                        f"(stored content {clash.content_hash[:12]}): bump `version`",
                    )
                )
        plans.append(_Planned(path.name, doc, digest, existing))
    if errors:
        raise ValidationFailed(
            "检查表内容已改变但版本号未提高，未同步任何内容",
            "A changed checklist kept its version; nothing was synced",
            errors=errors,
            code="checklist_version_not_bumped",
        )
    return plans


def _store(session: Session, plan: _Planned, report: SyncReport) -> None:
    """Store a new content as a new current version, or make an older stored twin current again."""
    doc, existing = plan.doc, plan.existing
    if existing is None:
        row = ChecklistVersion(
            key=doc["key"],
            version=str(doc["version"]),
            content_hash=plan.digest,
            content=doc,
            title_zh=doc["title"]["zh"],
            title_en=doc["title"]["en"],
            site_kinds=list(doc["site_kinds"]),
            source_file=plan.file_name,
            is_current=False,
        )
        session.add(row)
        session.flush()
        previous = _set_current(session, row)
        record_audit(
            session,
            "checklist.version_create",
            "checklist_version",
            row.id,
            before=_summary(previous) if previous else None,
            after=_summary(row),
        )
        report.created.append(_label(row))
    elif not existing.is_current:
        previous = _set_current(session, existing)
        record_audit(
            session,
            "checklist.version_reinstate",
            "checklist_version",
            existing.id,
            before=_summary(previous) if previous else None,
            after=_summary(existing),
        )
        report.reinstated.append(_label(existing))
    else:
        report.unchanged.append(_label(existing))


def _retire_missing(session: Session, keys_in_files: set[str], report: SyncReport) -> None:
    """A key without a file any more keeps its versions but loses its current one."""
    for row in session.scalars(
        select(ChecklistVersion).where(
            ChecklistVersion.is_current.is_(True), ChecklistVersion.key.not_in(keys_in_files)
        )
    ):
        before = _summary(row)
        row.is_current = False
        record_audit(session, "checklist.retire", "checklist_version", row.id, before=before, after=_summary(row))
        report.retired.append(_label(row))


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
        raise ValidationFailed(
            "检查表文件未通过校验，未同步任何内容",
            "Checklist files are invalid; nothing was synced",
            errors=errors,
            code="checklists_invalid",
        )
    session.execute(select(func.pg_advisory_xact_lock(_SYNC_LOCK_ID)))
    plans = _plan(session, root)
    report = SyncReport()
    for plan in plans:
        _store(session, plan, report)
    _retire_missing(session, {plan.doc["key"] for plan in plans}, report)
    session.flush()
    return report
