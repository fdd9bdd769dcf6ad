"""Importing a reduction list (CSV or XLSX, Chinese headers): all rows or none, every error per row, audited."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.list_rows import Cell, ListRow, parse_table
from app.alerts.models import ReductionEntry, ReductionList, ReductionMeasure
from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import Conflict, FieldError, UnsupportedMediaType, ValidationFailed
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.sites.models import Site

CSV_TYPES = ("text/csv", "application/csv")
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ListMeta:
    jurisdiction_code: str
    title: str
    doc_ref: str
    version: str
    effective_from: date
    effective_to: date | None = None
    illustrative: bool = False


def read_table(data: bytes, mimetype: str) -> list[list[Cell]]:
    """The first sheet (XLSX) or the CSV (UTF-8, with or without BOM; GB18030 as bureaus' Excel exports)."""
    if mimetype in XLSX_TYPES:
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ValidationFailed(
                "无法读取 XLSX 文件。", f"Cannot read the XLSX file: {exc}", code="unreadable_file"
            ) from exc
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    if mimetype in CSV_TYPES:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise ValidationFailed("CSV 编码无法识别。", "Unknown CSV encoding.", code="unreadable_file")
        return [list(r) for r in csv.reader(io.StringIO(text))]
    raise UnsupportedMediaType("请以 text/csv 或 XLSX 上传减排清单", "Send the list as text/csv or an XLSX spreadsheet")


def _match_sites(session: Session, rows: list[ListRow], scope_path: str) -> tuple[dict[int, Site], list[FieldError]]:
    """Each row's site (by 场所编号, else 统一社会信用代码), which must lie in the list's jurisdiction."""
    codes = sorted({r.site_code for r in rows if r.site_code})
    credits = sorted({r.credit_code for r in rows if r.credit_code and not r.site_code})
    by_code = {s.code: s for s in session.scalars(select(Site).where(Site.code.in_(codes)))} if codes else {}
    by_credit: dict[str, list[Site]] = {}
    if credits:
        for s in session.scalars(select(Site).where(Site.operator_credit_code.in_(credits))):
            by_credit.setdefault(s.operator_credit_code or "", []).append(s)
    found: dict[int, Site] = {}
    errors: list[FieldError] = []
    for r in rows:
        if r.site_code:
            site = by_code.get(r.site_code)
            header, value = "场所编号", r.site_code
        else:
            matches = by_credit.get(r.credit_code or "", [])
            header, value = "统一社会信用代码", r.credit_code or ""
            if len(matches) > 1:
                errors.append(
                    FieldError(
                        f"rows.{r.row_no}.{header}",
                        "ambiguous_site",
                        f"该信用代码对应多个场所，请填写场所编号：{value}",
                        f"several sites have this credit code; give the site code: {value}",
                    )
                )
                continue
            site = matches[0] if matches else None
        if site is None or not site.jurisdiction.path.startswith(scope_path):
            errors.append(
                FieldError(
                    f"rows.{r.row_no}.{header}",
                    "site_not_found",
                    f"辖区内没有该场所：{value}",
                    f"no such site in the list's jurisdiction: {value}",
                )
            )
            continue
        found[r.row_no] = site
    return found, errors


def import_reduction_list(
    session: Session, principal: Principal, meta: ListMeta, data: bytes, mimetype: str
) -> ReductionList:
    """Store one list version: every row valid or nothing stored (422 listing each row's errors); audited."""
    jurisdiction = get_jurisdiction_in_scope(session, meta.jurisdiction_code, principal)
    if meta.effective_to is not None and meta.effective_to < meta.effective_from:
        raise ValidationFailed(
            "失效日期早于生效日期。",
            "effective_to is before effective_from.",
            errors=[FieldError("effective_to", "invalid_period", "失效日期早于生效日期", "before effective_from")],
        )
    table = read_table(data, mimetype)
    rows, errors = parse_table(table)
    sites: dict[int, Site] = {}
    if not errors:
        sites, errors = _match_sites(session, rows, jurisdiction.path)
    if errors:
        raise ValidationFailed(
            f"减排清单有 {len(errors)} 处错误，未导入任何数据。",
            f"The list has {len(errors)} error(s); nothing was imported.",
            code="reduction_list_invalid",
            errors=errors,
        )
    digest = hashlib.sha256(data).hexdigest()
    same = session.scalar(
        select(ReductionList).where(
            ReductionList.jurisdiction_id == jurisdiction.id,
            ReductionList.version == meta.version,
        )
    )
    if same is not None:
        if same.source_sha256 == digest and same.effective_from == meta.effective_from:
            return same  # a retried upload
        raise Conflict(
            f"该辖区已有 {meta.version} 版清单；新清单请使用新的版本号。",
            f"Version {meta.version} already exists for this jurisdiction; a new list needs a new version.",
            code="reduction_list_version_exists",
        )
    lst = ReductionList(
        jurisdiction=jurisdiction,
        title=meta.title,
        doc_ref=meta.doc_ref,
        version=meta.version,
        effective_from=meta.effective_from,
        effective_to=meta.effective_to,
        illustrative=meta.illustrative,
        source_sha256=digest,
        row_count=len(rows),
        imported_by_id=principal.user_id,
    )
    session.add(lst)
    entries: dict[int, ReductionEntry] = {}
    for r in rows:
        site = sites[r.row_no]
        entry = entries.get(site.id)
        if entry is None:
            entry = ReductionEntry(
                reduction_list=lst, site=site, grade=r.grade, industry=r.industry, low_voc_substituted=r.low_voc
            )
            session.add(entry)
            entries[site.id] = entry
        session.add(
            ReductionMeasure(
                entry=entry,
                trigger=r.trigger,
                kind=r.kind,
                target=r.target,
                percent=r.percent,
                starts_on=r.starts_on,
                ends_on=r.ends_on,
                # 000#35: every measure traceable; a row without its own basis cites the list and its row.
                source=r.source or f"{meta.doc_ref}（{meta.version}版）第{r.row_no}行",
                row_no=r.row_no,
            )
        )
    session.flush()
    after: dict[str, Any] = {
        "jurisdiction": jurisdiction.code,
        "title": meta.title,
        "doc_ref": meta.doc_ref,
        "version": meta.version,
        "effective_from": meta.effective_from.isoformat(),
        "effective_to": meta.effective_to.isoformat() if meta.effective_to else None,
        "illustrative": meta.illustrative,
        "sha256": digest,
        "rows": len(rows),
        "sites": len(entries),
    }
    record_audit(session, "reduction_list.import", "reduction_list", lst.id, after=after)
    return lst


def list_reduction_lists(session: Session, principal: Principal) -> list[ReductionList]:
    """List versions of the caller's jurisdictions, those below, and those above (a city's list applies to
    its districts), newest first."""
    rows = session.scalars(
        select(ReductionList).order_by(ReductionList.effective_from.desc(), ReductionList.id.desc()).limit(200)
    ).all()
    return [
        r
        for r in rows
        if principal.covers(r.jurisdiction.path)
        or any(p.startswith(r.jurisdiction.path) for p in principal.jurisdiction_paths)
    ]
