"""Use case: export the inspections, findings or penalty lines the review queue's filters select, in scope.

No row cap. The rows are streamed from a server-side cursor through a bounded-memory writer, so the memory an
export takes does not grow with its size. Every export is audited before its first byte leaves (who, what
filters, how many rows, in which format): the row count is taken in the same request, just before streaming.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import NotFound
from app.exports.columns import COLUMNS, SHEET_NAMES, cells, headers
from app.exports.queries import ROW_QUERIES, count_rows
from app.exports.writers import csv_chunks, xlsx_chunks
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.localtime import today_local
from app.review.queries import QueueFilter

MIME = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
YIELD_PER = 5000


@dataclass(frozen=True)
class ExportPlan:
    export_id: uuid.UUID
    kind: str
    fmt: str
    rows: int
    statement: Select[Any]
    filename: str
    mimetype: str


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def plan_export(
    session: Session, principal: Principal, kind: str, fmt: str, flt: QueueFilter, *, jurisdiction_code: str | None
) -> ExportPlan:
    """Count the rows and audit the export (the caller commits, then streams ``export_chunks``)."""
    if kind not in ROW_QUERIES or fmt not in MIME:
        raise NotFound("没有这种导出", f"No export {kind}.{fmt}", code="export_not_found")
    if jurisdiction_code is not None:
        flt = replace(flt, jurisdiction_path=get_jurisdiction_in_scope(session, jurisdiction_code, principal).path)
    statement = ROW_QUERIES[kind](principal.jurisdiction_paths, flt)
    rows = count_rows(session, statement)
    export_id = uuid.uuid4()
    record_audit(
        session,
        "export.download",
        "export",
        export_id,
        after={
            "kind": kind,
            "format": fmt,
            "rows": rows,
            "filter": {k: _plain(v) for k, v in asdict(flt).items()},
            "scope": list(principal.jurisdiction_paths),
            "by": principal.username,
        },
    )
    filename = f"lantian-{kind}-{today_local().isoformat()}.{fmt}"
    return ExportPlan(export_id, kind, fmt, rows, statement, filename, MIME[fmt])


def export_chunks(session: Session, plan: ExportPlan, on_row: Callable[[], None] | None = None) -> Iterator[bytes]:
    """The file's bytes, in chunks, from a server-side cursor (``YIELD_PER`` rows at a time)."""
    columns = COLUMNS[plan.kind]
    result = session.execute(plan.statement.execution_options(yield_per=YIELD_PER))
    rows = (cells(columns, tuple(r)) for r in result)
    if plan.fmt == "csv":
        yield from csv_chunks(headers(columns), rows, on_row)
    else:
        yield from xlsx_chunks(SHEET_NAMES[plan.kind], headers(columns), rows, on_row)
