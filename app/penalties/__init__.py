"""Penalty rules and the findings-to-money engine (issue 6), pure Python.

``rules`` loads and validates the rule files under ``checklists/penalties/`` against
``checklists/schema/penalty_rule.schema.json``; ``engine`` turns findings into penalty lines (statutory fines on
the violator, fiscal deductions on the responsible sub-district, non-monetary measures), each with a bilingual
breakdown. Money is integer fen throughout. No Flask, no SQLAlchemy: callers load findings, context and rules
and persist the result.
"""
