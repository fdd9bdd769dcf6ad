"""Penalties: findings to statutory fines, fiscal deductions and measures, from versioned rule data.

Pure (no Flask, no SQLAlchemy): ``rule_spec`` (typed rule versions: ``RuleVersion`` with an amount that is
``Fixed | Range | ToBeSet``; ``AmountSetting``), ``rules`` (load and validate ``checklists/penalties/*.yaml`` into
``RuleVersion`` values), ``domain`` (the engine's values: ``FindingInput``, ``PenaltyContext``, lines),
``amounts`` (integer-fen arithmetic), ``discretion``, ``explanation`` (the zh/en sentences), ``lines`` (one line
per rule; overrides) and ``engine`` (``compute_penalties``).
Use cases (flush, never commit): ``catalogue`` (rule sync, stored rules), ``settings`` (jurisdiction settings,
rules in force), ``context`` (the engine's inputs for an inspection), ``records`` (rows ↔ lines) and
``computation`` (compute, recompute, override). ``presenters`` shapes responses for ``routes``.
"""
