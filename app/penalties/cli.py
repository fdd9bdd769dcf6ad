"""``flask penalties validate | sync``.

- ``validate`` prints every problem in ``<CHECKLISTS_DIR>/penalties/*.yaml`` and exits 1 when there is any.
- ``sync`` validates, then stores each rule entry whose ``rule_hash`` is new as a new immutable
  ``PenaltyRuleVersion`` and retires entries no longer in the files (old versions stay readable; computed
  inspection lines keep citing them). Idempotent; ``make run`` runs it on every start.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask.cli import AppGroup

from app.cli_support import Catalogue, add_catalogue_commands
from app.penalties.catalogue import sync_penalty_rules, validate_penalty_rules

penalties_cli = AppGroup("penalties", help="Penalty rules: validate and sync checklists/penalties/*.yaml.")


def _folder(rules_dir: Path | None) -> Path:
    return Path(rules_dir) if rules_dir else Path(current_app.config["CHECKLISTS_DIR"]) / "penalties"


add_catalogue_commands(
    penalties_cli,
    Catalogue(
        name="penalty rules",
        file_label="penalty rule",
        actor="penalties-sync",
        folder=_folder,
        count_files=lambda root: len(sorted(root.glob("*.yaml"))),
        validate=validate_penalty_rules,
        sync=sync_penalty_rules,
    ),
    dir_help="Penalty rules folder (default: CHECKLISTS_DIR/penalties).",
    validate_help="Validate every penalty rule file (schema, periods, policy defaults, companion measures).",
    sync_help="Validate, then store new or changed rule entries as new versions (no-op when nothing changed).",
)
