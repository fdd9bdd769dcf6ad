"""Checklist ``applies_when`` conditions (JSON Logic): allowed operators, readable names, well-formedness.

Pure module (no Flask, no SQLAlchemy). A condition reads the context described in ``applicability``; the
names it may read are the context names, the site attributes of the checklist's site kinds
(``site_kinds.yaml``) and the checklist's own parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.checklists.groups import split_key
from app.checklists.spec import ChecklistSpec

#: JSON Logic operators a checklist condition may use (a subset every JSON Logic port implements).
ALLOWED_OPERATORS = frozenset(
    {
        "and",
        "or",
        "!",
        "!!",
        "==",
        "!=",
        "===",
        "!==",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "var",
        "if",
        "some",
        "all",
        "none",
        "missing",
        "missing_some",
    }
)
#: Top-level context names a condition may read with ``var`` (besides site.attributes.*, params.* and answers.*).
CONTEXT_NAMES = frozenset({"site.kind", "zones", "date", "month", "alert_level", "alert_rank", "jurisdictions"})
#: Fields of an answer a condition may read as ``answers.<item_key>.<field>`` (the phone's answer shape).
ANSWER_FIELDS = ("verdict", "values", "code", "choice", "count", "text")


def answer_refs(cond: Any) -> list[str]:
    """Item keys whose answers a condition reads (``answers.<item_key>[.<field>]``), in order, once each."""
    keys: list[str] = []
    for name, relative in iter_vars(cond):
        if not relative and name.startswith("answers."):
            parts = name.split(".")
            key = parts[1] if len(parts) > 1 else ""
            if len(parts) > 3 and split_key(".".join(parts[1:4])) is not None:
                key = ".".join(parts[1:4])  # one object's answer to a group item (app/checklists/groups.py)
            if key and key not in keys:
                keys.append(key)
    return keys


def condition_vocabulary(site_kinds: dict[str, Any], checklist: ChecklistSpec) -> set[str]:
    """Every ``var`` name a condition of ``checklist`` may read."""
    names = set(CONTEXT_NAMES) | {"site", "site.attributes", "params"}
    kinds = site_kinds.get("kinds", {})
    for kind in checklist.site_kinds:
        props = kinds.get(kind, {}).get("attributes", {}).get("properties", {})
        names.update(f"site.attributes.{name}" for name in props)
    names.update(f"params.{p.name}" for p in checklist.parameters)
    for item in checklist.items:
        names.add(f"answers.{item.key}")
        names.update(f"answers.{item.key}.{f}" for f in ANSWER_FIELDS)
    return names


def iter_vars(cond: Any, *, relative: bool = False) -> Iterable[tuple[str, bool]]:
    """Yield ``(var_name, is_relative)`` for every ``var`` in a JSON Logic expression.

    Inside the second argument of ``some``/``all``/``none`` the data is the current element, so names
    there are relative and not checked against the context vocabulary.
    """
    if isinstance(cond, list):
        for c in cond:
            yield from iter_vars(c, relative=relative)
        return
    if not isinstance(cond, dict) or len(cond) != 1:
        return
    ((op, args),) = cond.items()
    if op == "var":
        name = args[0] if isinstance(args, list) and args else args
        yield (str(name) if name is not None else ""), relative
        return
    if op in {"some", "all", "none"} and isinstance(args, list) and len(args) == 2:
        yield from iter_vars(args[0], relative=relative)
        yield from iter_vars(args[1], relative=True)
        return
    yield from iter_vars(args if isinstance(args, list) else [args], relative=relative)


def condition_problems(
    cond: Any, vocabulary: set[str], zones: set[str], alert_levels: set[str]
) -> list[tuple[str, str]]:
    """Problems with a condition as ``(zh, en)`` messages; empty when well-formed."""
    problems: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
            return
        if not isinstance(node, dict):
            return
        if len(node) != 1:
            problems.append(("JSON Logic 对象必须恰有一个运算符", "a JSON Logic object must have exactly one operator"))
            return
        ((op, args),) = node.items()
        if op not in ALLOWED_OPERATORS:
            problems.append((f"不允许的运算符 {op!r}", f"operator {op!r} is not allowed"))
            return
        if op == "var":
            return
        arglist = args if isinstance(args, list) else [args]
        if (
            op == "in"
            and len(arglist) == 2
            and isinstance(arglist[0], str)
            and arglist[1] == {"var": "zones"}
            and arglist[0] not in zones
        ):
            problems.append((f"未知区域类别 {arglist[0]!r}", f"unknown zone kind {arglist[0]!r}"))
        if op in {"==", "!=", "===", "!=="} and len(arglist) == 2 and {"var": "alert_level"} in arglist:
            other = arglist[1] if arglist[0] == {"var": "alert_level"} else arglist[0]
            if isinstance(other, str) and other not in alert_levels:
                problems.append((f"未知预警级别 {other!r}", f"unknown alert level {other!r}"))
        walk(arglist)

    walk(cond)
    for name, relative in iter_vars(cond):
        if relative:
            continue
        if name not in vocabulary:
            problems.append(
                (f"条件引用了未知的上下文变量 {name!r}", f"condition reads unknown context variable {name!r}")
            )
    return problems
