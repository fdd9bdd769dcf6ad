"""The rule catalogue: validate and sync the rule files, the stored rule versions, the rules in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.errors import FieldError
from app.notified_cache import NotifiedCache
from app.penalties.models import PenaltyRuleVersion
from app.penalties.rule_spec import RuleVersion
from app.penalties.rules import DEFAULT_RULES_DIR, load_rules, validate_rules

# Arbitrary constant: serialises concurrent `flask penalties sync` runs (pg_advisory_xact_lock).
_SYNC_LOCK_ID = 0x4C54_504E  # "LTPN"


def validate_penalty_rules(rules_dir: str | Path = DEFAULT_RULES_DIR) -> list[FieldError]:
    """Every problem in the penalty rule files (schema + cross-rule checks). Empty = valid."""
    return validate_rules(Path(rules_dir))


@dataclass
class RuleSyncReport:
    created: list[str] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.reinstated or self.retired)

    def lines(self) -> list[str]:
        out = [f"created {x}" for x in self.created] + [f"made current again {x}" for x in self.reinstated]
        return out + [f"retired {x}" for x in self.retired] + [f"unchanged {self.unchanged} rule version(s)"]


def _rule_label(row: PenaltyRuleVersion) -> str:
    return f"{row.key}@{row.version} {row.rule_hash[:12]}"


def _rule_summary(row: PenaltyRuleVersion) -> dict[str, Any]:
    return {
        "key": row.key,
        "version": row.version,
        "rule_hash": row.rule_hash,
        "source_file": row.source_file,
        "is_current": row.is_current,
    }


def sync_penalty_rules(session: Session, rules_dir: str | Path = DEFAULT_RULES_DIR) -> RuleSyncReport:
    """Store every rule entry whose hash is new as a new immutable version; retire entries no longer in the files.

    Validates first (``ValidationFailed`` lists every problem; nothing is written). Rows are never changed or
    deleted: a changed entry is a new row (same key, new ``rule_hash``), the previous row stays readable and
    lines computed with it keep citing it.
    """
    rules = load_rules(Path(rules_dir))
    session.execute(select(func.pg_advisory_xact_lock(_SYNC_LOCK_ID)))
    report = RuleSyncReport()
    hashes = {rule.rule_hash for rule in rules}
    stored = {
        row.rule_hash: row
        for row in session.scalars(select(PenaltyRuleVersion).where(PenaltyRuleVersion.rule_hash.in_(hashes)))
    }
    for rule in rules:
        digest = rule.rule_hash
        row = stored.get(digest)
        if row is None:
            row = PenaltyRuleVersion(
                key=rule.key,
                version=rule.version,
                rule_hash=digest,
                kind=rule.kind,
                amount_status=rule.amount_status,
                verified=rule.verified.status,
                effective_from=rule.effective.start,
                effective_to=rule.effective.end,
                content=dict(rule.doc),
                source_file=rule.source_file,
                is_current=True,
            )
            session.add(row)
            session.flush()
            stored[digest] = row
            record_audit(
                session, "penalty_rule.version_create", "penalty_rule_version", row.id, after=_rule_summary(row)
            )
            report.created.append(_rule_label(row))
        elif not row.is_current:
            before = _rule_summary(row)
            row.is_current = True
            session.flush()
            record_audit(
                session,
                "penalty_rule.version_reinstate",
                "penalty_rule_version",
                row.id,
                before=before,
                after=_rule_summary(row),
            )
            report.reinstated.append(_rule_label(row))
        else:
            report.unchanged += 1
    for row in session.scalars(
        select(PenaltyRuleVersion).where(
            PenaltyRuleVersion.is_current.is_(True), PenaltyRuleVersion.rule_hash.not_in(hashes)
        )
    ):
        before = _rule_summary(row)
        row.is_current = False
        record_audit(
            session,
            "penalty_rule.version_retire",
            "penalty_rule_version",
            row.id,
            before=before,
            after=_rule_summary(row),
        )
        report.retired.append(_rule_label(row))
    session.flush()
    return report


def _row_rule(row: PenaltyRuleVersion) -> RuleVersion:
    # The stored hash is the version's identity (lines cite it); the content is the entry as written.
    return RuleVersion.from_doc(row.content, source_file=row.source_file, rule_hash=row.rule_hash, row_id=row.id)


def stored_rules(session: Session, cache: NotifiedCache | None = None) -> list[RuleVersion]:
    """The current rule versions (every version of every key), typed once, as the engine takes them.

    When nothing has been synced yet (a fresh database that skipped `flask penalties sync`), the shipped files
    are synced first, in the caller's transaction, so every computed line cites a stored version. ``cache``
    (app/reference_cache.py) keeps the typed rules between requests; rules synced by this very
    transaction are not kept (it may still roll back).
    """
    if cache is not None:
        cached: list[RuleVersion] | None = cache.get(_RULES_KEY)
        if cached is not None:
            return cached
        generation = cache.generation()
    current = (
        select(PenaltyRuleVersion)
        .where(PenaltyRuleVersion.is_current.is_(True))
        .order_by(PenaltyRuleVersion.key, PenaltyRuleVersion.effective_from)
    )
    rows = list(session.scalars(current))
    synced = not rows
    if synced:
        sync_penalty_rules(session, DEFAULT_RULES_DIR)
        rows = list(session.scalars(current))
    rules = [_row_rule(r) for r in rows]
    if cache is not None and not synced:
        cache.put(_RULES_KEY, rules, generation)
    return rules


_RULES_KEY = ("stored_rules",)
