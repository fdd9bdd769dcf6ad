"""A jurisdiction's checklist parameters as an administrator sees and sets them (``/api/v1/checklist-parameters``).

Every parameter no plan fixes (``jurisdiction_configurable``) of the current checklists that apply in the
jurisdiction, with where its value comes from: set here, inherited from a jurisdiction above (the most specific
wins, as at resolution), the checklist's default, or unset. Setting one goes through
``app.checklists.parameters.set_checklist_parameter`` (the same checks as ``flask checklists set-param``),
scoped to the caller's jurisdictions and audited with the administrator's reason. Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.checklists.models import ChecklistParameterValue, ChecklistVersion
from app.checklists.parameters import clear_checklist_parameter, set_checklist_parameter
from app.checklists.spec import ChecklistSpec, ParameterSpec, Text
from app.checklists.versions import checklist_not_found
from app.errors import FieldError, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import get_jurisdiction_in_scope

Source = Literal["jurisdiction", "inherited", "default", "unset"]


@dataclass(frozen=True)
class ParameterSetting:
    """One parameter of one checklist in one jurisdiction: its declaration, own and inherited values."""

    checklist_key: str
    checklist_version: str
    checklist_title: Text
    spec: ParameterSpec
    own: Any  # set at this jurisdiction (None: not set here)
    inherited: Any  # from the nearest jurisdiction above that sets it
    inherited_from: str | None  # that jurisdiction's code
    updated_at: str | None  # when this jurisdiction's own value was last set

    @property
    def effective(self) -> Any:
        for value in (self.own, self.inherited, self.spec.default):
            if value is not None:
                return value
        return None

    @property
    def source(self) -> Source:
        if self.own is not None:
            return "jurisdiction"
        if self.inherited is not None:
            return "inherited"
        return "default" if self.spec.default is not None else "unset"


def chain_codes(path: str) -> list[str]:
    """The jurisdiction codes of a materialised path, root first ("/410000/410800/" → 410000, 410800)."""
    return [code for code in path.split("/") if code]


def applies_in(spec: ChecklistSpec, codes: list[str]) -> bool:
    """A checklist applies in a jurisdiction when it names no jurisdiction or one of the chain's."""
    return spec.jurisdictions is None or any(code in spec.jurisdictions for code in codes)


def list_parameter_settings(session: Session, principal: Principal, code: str) -> list[ParameterSetting]:
    """The checklist parameters of jurisdiction ``code`` (in the caller's scope, else 404), by checklist."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    codes = chain_codes(jurisdiction.path)
    values: dict[tuple[str, str], dict[str, tuple[Any, str | None]]] = {}
    rows = session.execute(
        select(
            Jurisdiction.code,
            ChecklistParameterValue.checklist_key,
            ChecklistParameterValue.name,
            ChecklistParameterValue.value,
            ChecklistParameterValue.updated_at,
        )
        .join(Jurisdiction, Jurisdiction.id == ChecklistParameterValue.jurisdiction_id)
        .where(Jurisdiction.code.in_(codes))
    )
    for jcode, key, name, value, updated_at in rows:
        values.setdefault((key, name), {})[jcode] = (value, updated_at.isoformat() if updated_at else None)
    out: list[ParameterSetting] = []
    checklists = session.scalars(
        select(ChecklistVersion).where(ChecklistVersion.is_current.is_(True)).order_by(ChecklistVersion.key)
    )
    for row in checklists:
        spec = ChecklistSpec.from_doc(row.content)
        if not spec.parameters or not applies_in(spec, codes):
            continue
        for param in spec.parameters:
            by_code = values.get((row.key, param.name), {})
            own, updated_at = by_code.get(jurisdiction.code, (None, None))
            # The nearest jurisdiction above that sets it (the chain is root first).
            above = [c for c in codes[:-1] if c in by_code and by_code[c][0] is not None]
            inherited_from = above[-1] if above else None
            out.append(
                ParameterSetting(
                    checklist_key=row.key,
                    checklist_version=row.version,
                    checklist_title=spec.title,
                    spec=param,
                    own=own,
                    inherited=by_code[inherited_from][0] if inherited_from else None,
                    inherited_from=inherited_from,
                    updated_at=updated_at,
                )
            )
    return out


def set_parameter_setting(
    session: Session, principal: Principal, code: str, checklist_key: str, name: str, value: Any, reason: str
) -> ParameterSetting:
    """Set jurisdiction ``code``'s value of one parameter, or clear it with ``None`` (in the caller's scope, else
    404; audited with the reason) → the parameter as listed afterwards."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    current = session.scalar(
        select(ChecklistVersion).where(ChecklistVersion.key == checklist_key, ChecklistVersion.is_current.is_(True))
    )
    if current is None:
        raise checklist_not_found(checklist_key)
    if not applies_in(ChecklistSpec.from_doc(current.content), chain_codes(jurisdiction.path)):
        raise ValidationFailed(
            f"检查表 {checklist_key} 不适用于辖区 {code}。",
            f"Checklist {checklist_key} does not apply in jurisdiction {code}.",
            code="checklist_not_in_jurisdiction",
            errors=[FieldError("checklist_key", "not_in_jurisdiction", "不适用于该辖区", "does not apply there")],
        )
    if value is None:  # back to the value above, or the checklist's default
        found = next(
            (
                s
                for s in list_parameter_settings(session, principal, code)
                if (s.checklist_key, s.spec.name) == (checklist_key, name)
            ),
            None,
        )
        if found is None:
            raise ValidationFailed(
                f"检查表 {checklist_key} 没有可由辖区设定的参数 {name}。",
                f"Checklist {checklist_key} has no jurisdiction-configurable parameter {name}.",
                errors=[FieldError("name", "unknown_parameter", f"未知参数：{name}", f"unknown parameter: {name}")],
            )
        clear_checklist_parameter(session, code, checklist_key, name, reason=reason)
    else:
        set_checklist_parameter(session, code, checklist_key, name, value, reason=reason)
    return next(
        s
        for s in list_parameter_settings(session, principal, code)
        if (s.checklist_key, s.spec.name) == (checklist_key, name)
    )
