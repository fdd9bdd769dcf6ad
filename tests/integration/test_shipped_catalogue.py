"""The shipped-files fixtures (tests/factories_catalogue.py) leave the database exactly as the real syncs do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.checklists.files import DEFAULT_CHECKLISTS_DIR
from app.checklists.models import ChecklistVersion
from app.checklists.sync import sync_checklists
from app.penalties.catalogue import sync_penalty_rules
from app.penalties.models import PenaltyRuleVersion
from tests.factories_catalogue import install_shipped_checklists, install_shipped_penalty_rules

WRITTEN_AT = {"created_at", "at"}  # set by the database clock


def _database(session) -> dict[str, list[dict[str, Any]]]:  # noqa: ANN001
    out = {}
    for model in (PenaltyRuleVersion, ChecklistVersion, AuditEntry):
        table = model.__table__
        out[table.name] = [
            {k: v for k, v in row.items() if k not in WRITTEN_AT}
            for row in session.execute(select(table).order_by(table.c.id)).mappings()
        ]
    return out


def test_installing_the_shipped_files_leaves_the_database_as_the_real_syncs(session, truncate_tables) -> None:
    sync_penalty_rules(session)
    sync_checklists(session, DEFAULT_CHECKLISTS_DIR)
    session.commit()
    synced = _database(session)
    assert synced["penalty_rule_versions"] and synced["checklist_versions"] and synced["audit_log"]

    truncate_tables()
    install_shipped_penalty_rules(session)
    install_shipped_checklists(session)
    session.commit()
    assert _database(session) == synced  # ids included: same rows, same audit entries, same order
