"""Jurisdiction-set values of checklist parameters that no plan fixes (``jurisdiction_configurable``).

The most specific jurisdiction in a site's chain wins (a county overrides its city). Audited; flushes, never commits.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.checklists.models import ChecklistParameterValue
from app.checklists.spec import ChecklistSpec
from app.checklists.versions import get_current_checklist
from app.errors import FieldError, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import get_jurisdiction_by_code
from app.notified_cache import NotifiedCache


def set_checklist_parameter(
    session: Session, jurisdiction_code: str, checklist_key: str, name: str, value: Any, *, reason: str | None = None
) -> ChecklistParameterValue:
    """Set a jurisdiction's value for a ``jurisdiction_configurable`` checklist parameter (audited, with the
    administrator's reason when given)."""
    jurisdiction = get_jurisdiction_by_code(session, jurisdiction_code)
    checklist = get_current_checklist(session, checklist_key)
    spec = ChecklistSpec.from_doc(checklist.content).parameter(name)
    if spec is None:  # the schema makes every declared parameter jurisdiction_configurable
        raise ValidationFailed(
            f"检查表 {checklist_key} 没有可由辖区设定的参数 {name}。",
            f"Checklist {checklist_key} has no jurisdiction-configurable parameter {name}.",
            errors=[FieldError("name", "unknown_parameter", f"未知参数：{name}", f"unknown parameter: {name}")],
        )
    if spec.type == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValidationFailed(
            "参数值须为数字。",
            "The parameter value must be a number.",
            errors=[FieldError("value", "not_a_number", "须为数字", "must be a number")],
        )
    # The checklist schema's parameter types: a value is a number or a string (a declared type narrows it).
    if (spec.type == "string" and not isinstance(value, str)) or (
        spec.type is None and (isinstance(value, bool) or not isinstance(value, (int, float, str)))
    ):
        raise ValidationFailed(
            "参数值须为文本。" if spec.type == "string" else "参数值须为数字或文本。",
            "The parameter value must be a string."
            if spec.type == "string"
            else "The value must be a number or a string.",
            errors=[FieldError("value", "wrong_type", "类型不符", "wrong type")],
        )
    if isinstance(value, str) and not value.strip():
        raise ValidationFailed(
            "参数值不能为空。",
            "The parameter value must not be blank.",
            errors=[FieldError("value", "blank", "不能为空", "must not be blank")],
        )
    row = session.scalar(
        select(ChecklistParameterValue).where(
            ChecklistParameterValue.jurisdiction_id == jurisdiction.id,
            ChecklistParameterValue.checklist_key == checklist_key,
            ChecklistParameterValue.name == name,
        )
    )
    before = {"value": row.value} if row is not None else None
    if row is None:
        row = ChecklistParameterValue(
            jurisdiction_id=jurisdiction.id, checklist_key=checklist_key, name=name, value=value
        )
        session.add(row)
    else:
        row.value = value
    session.flush()
    record_audit(
        session,
        "checklist.parameter_set",
        "checklist_parameter",
        row.id,
        before=before,
        after={
            "jurisdiction": jurisdiction_code,
            "checklist_key": checklist_key,
            "name": name,
            "value": value,
            **({"reason": reason} if reason is not None else {}),
        },
    )
    return row


def clear_checklist_parameter(
    session: Session, jurisdiction_code: str, checklist_key: str, name: str, *, reason: str | None = None
) -> bool:
    """Remove a jurisdiction's own value (the one above it, or the default, applies again; audited) → whether
    there was one."""
    jurisdiction = get_jurisdiction_by_code(session, jurisdiction_code)
    row = session.scalar(
        select(ChecklistParameterValue).where(
            ChecklistParameterValue.jurisdiction_id == jurisdiction.id,
            ChecklistParameterValue.checklist_key == checklist_key,
            ChecklistParameterValue.name == name,
        )
    )
    if row is None:
        return False
    before = {"value": row.value}
    session.delete(row)
    session.flush()
    record_audit(
        session,
        "checklist.parameter_cleared",
        "checklist_parameter",
        row.id,
        before=before,
        after={
            "jurisdiction": jurisdiction_code,
            "checklist_key": checklist_key,
            "name": name,
            "value": None,
            **({"reason": reason} if reason is not None else {}),
        },
    )
    return True


def checklist_parameters_by_key(
    session: Session, jurisdiction_codes: list[str], checklist_keys: list[str]
) -> dict[str, dict[str, Any]]:
    """``checklist_parameters_for`` of several checklists in one query: ``{key: {name: value}}``."""
    out: dict[str, dict[str, Any]] = {key: {} for key in checklist_keys}
    if not jurisdiction_codes or not checklist_keys:
        return out
    rows = session.execute(
        select(ChecklistParameterValue.checklist_key, ChecklistParameterValue.name, ChecklistParameterValue.value)
        .join(Jurisdiction, Jurisdiction.id == ChecklistParameterValue.jurisdiction_id)
        .where(Jurisdiction.code.in_(jurisdiction_codes), ChecklistParameterValue.checklist_key.in_(checklist_keys))
        .order_by(func.length(Jurisdiction.path))
    )
    for key, name, value in rows:
        out[key][name] = value
    return out


def checklist_parameters_for(
    session: Session, jurisdiction_codes: list[str], checklist_key: str, cache: NotifiedCache | None = None
) -> dict[str, Any]:
    """Parameter values set along a jurisdiction chain; the most specific jurisdiction (longest path) wins.
    ``cache``: kept per process (app/reference_cache.py); each caller gets its own copy."""
    if cache is None:
        return checklist_parameters_by_key(session, jurisdiction_codes, [checklist_key])[checklist_key]
    key = ("parameters", checklist_key, *jurisdiction_codes)
    cached: dict[str, Any] = cache.get_or_load(
        key, lambda: checklist_parameters_by_key(session, jurisdiction_codes, [checklist_key])[checklist_key]
    )
    return copy.deepcopy(cached)
