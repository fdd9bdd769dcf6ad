"""Document settings per jurisdiction (inherited downwards; the nearest jurisdiction that sets a value wins).

No source gives these values for Henan (documents.md §0.3, §3, §4): the issuing authority's name, the 复议
body and the court to name (行政复议法第二十四条 / 行政诉讼法 depend on who decides), the 陈述申辩 period, the
hearing "较大数额" (办法2023 第八十九条 is known only second-hand), the payment channel, and the type codes
of the 按日连续处罚 and 财政扣缴 documents. Until a jurisdiction sets them, issuing what needs them is refused.
The number pattern defaults to Henan's observed one and the prefix to 豫 + the county code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.documents.kinds import KINDS
from app.documents.models import DocumentSettings
from app.documents.numbering import DEFAULT_PATTERN, default_prefix, pattern_problem
from app.errors import FieldError, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes, get_jurisdiction_in_scope

TEXT_SETTINGS = ("authority_name", "number_prefix", "number_pattern", "review_body", "court", "payment_text", "address")
INT_SETTINGS = ("statement_period_days",)
SETTING_NAMES = (*TEXT_SETTINGS, *INT_SETTINGS, "type_codes", "hearing_threshold_fen")
PARTY_KINDS = ("unit", "individual")
# Column widths: the counter's authority (200) and prefix (40), the pattern (numbering.MAX_PATTERN_LENGTH).
TEXT_LIMITS = {"authority_name": 200, "number_prefix": 40, "number_pattern": 60}


@dataclass(frozen=True)
class EffectiveDocumentSettings:
    values: dict[str, Any]
    sources: dict[str, str]  # setting -> code of the jurisdiction that set it ("default" for defaults)
    county_code: str | None = None
    type_codes: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    @property
    def pattern(self) -> str:
        return str(self.values.get("number_pattern") or DEFAULT_PATTERN)

    @property
    def prefix(self) -> str | None:
        return self.values.get("number_prefix") or default_prefix(self.county_code)

    def type_code(self, kind: str) -> str | None:
        return self.type_codes.get(kind) or KINDS[kind].default_type_code

    def hearing_threshold(self, party_kind: str) -> int | None:
        value = (self.values.get("hearing_threshold_fen") or {}).get(party_kind)
        return int(value) if value is not None else None


def _county_code(codes: list[str]) -> str | None:
    # GB/T 2260: a county-level code is 6 digits not ending in 00.
    counties = [c for c in codes if len(c) == 6 and not c.endswith("00")]
    return counties[-1] if counties else None


def effective_document_settings(session: Session, jurisdiction_path: str) -> EffectiveDocumentSettings:
    """What applies at a jurisdiction: each setting from the nearest jurisdiction that sets it."""
    codes = chain_codes(jurisdiction_path)
    rows = dict(
        session.execute(
            select(Jurisdiction.code, DocumentSettings.settings)
            .join(DocumentSettings, DocumentSettings.jurisdiction_id == Jurisdiction.id)
            .where(Jurisdiction.code.in_(codes))
        )
        .tuples()
        .all()
    )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    type_codes: dict[str, str] = {}
    for code in codes:
        for name, value in (rows.get(code) or {}).items():
            if name == "type_codes":
                type_codes.update(value)
            elif name == "hearing_threshold_fen":
                values.setdefault(name, {}).update(value)
            else:
                values[name] = value
            sources[name] = code
    return EffectiveDocumentSettings(values, sources, _county_code(codes), type_codes)


def _problem(path: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(path, code, zh, en)


def check_settings(data: dict[str, Any]) -> list[FieldError]:
    """Shape of a settings body: known names, texts, positive integers, known kinds, a usable pattern."""
    errors = []
    for name, value in data.items():
        if name not in SETTING_NAMES:
            errors.append(_problem(name, "unknown_setting", f"未知设置：{name}", f"Unknown setting: {name}"))
        elif name in TEXT_SETTINGS and not (
            isinstance(value, str) and value.strip() and len(value) <= TEXT_LIMITS.get(name, 400)
        ):
            limit = TEXT_LIMITS.get(name, 400)
            errors.append(_problem(name, "bad_text", f"须为不超过{limit}字的非空文本", f"Non-empty text ≤ {limit}"))
        elif name in INT_SETTINGS and not (isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 60):
            errors.append(_problem(name, "bad_days", "须为 1 至 60 的整数", "Must be an integer 1..60"))
        elif name == "type_codes" and not (
            isinstance(value, dict)
            and all(
                k in KINDS and KINDS[k].numbered and isinstance(v, str) and v.strip() and len(v) <= 40
                for k, v in value.items()
            )
        ):
            errors.append(
                _problem(name, "bad_type_codes", "须为编号文书类型到类型字的映射", "Map numbered kinds to codes")
            )
        elif name == "hearing_threshold_fen" and not (
            isinstance(value, dict)
            and all(
                k in PARTY_KINDS and isinstance(v, int) and not isinstance(v, bool) and v > 0 for k, v in value.items()
            )
        ):
            errors.append(
                _problem(name, "bad_threshold", "须为 unit/individual 到金额（分）的映射", "Map unit/individual to fen")
            )
    pattern = data.get("number_pattern")
    if isinstance(pattern, str) and pattern_problem(pattern):
        errors.append(
            _problem(
                "number_pattern", "bad_pattern", "文号格式须含 {n} 与 {year} 且可用", "The pattern needs {n} and {year}"
            )
        )
    return errors


@dataclass(frozen=True)
class JurisdictionDocumentSettings:
    jurisdiction: Jurisdiction
    own: dict[str, Any] | None
    effective: EffectiveDocumentSettings


def _own_row(session: Session, jurisdiction: Jurisdiction) -> DocumentSettings | None:
    return session.scalar(select(DocumentSettings).where(DocumentSettings.jurisdiction_id == jurisdiction.id))


def get_document_settings(session: Session, principal: Principal, code: str) -> JurisdictionDocumentSettings:
    """A jurisdiction's own document settings and what applies there."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    row = _own_row(session, jurisdiction)
    return JurisdictionDocumentSettings(
        jurisdiction, row.settings if row else None, effective_document_settings(session, jurisdiction.path)
    )


def put_document_settings(
    session: Session, principal: Principal, code: str, data: dict[str, Any]
) -> JurisdictionDocumentSettings:
    """Replace a jurisdiction's document settings (admin; audited with before/after)."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    errors = check_settings(data)
    if errors:
        raise ValidationFailed(
            "文书设置无效", "Invalid document settings", errors=errors, code="document_settings_invalid"
        )
    session.execute(select(Jurisdiction.id).where(Jurisdiction.id == jurisdiction.id).with_for_update())
    row = _own_row(session, jurisdiction)
    before = None if row is None else dict(row.settings)
    if row is None:
        row = DocumentSettings(jurisdiction_id=jurisdiction.id, settings={}, version=0)
        session.add(row)
    row.settings = dict(data)
    row.version = (row.version or 0) + 1
    row.updated_by = principal.username
    row.updated_at = datetime.now(UTC)
    session.flush()
    record_audit(session, "document_settings.update", "jurisdiction", jurisdiction.code, before=before, after=data)
    return JurisdictionDocumentSettings(
        jurisdiction, row.settings, effective_document_settings(session, jurisdiction.path)
    )
