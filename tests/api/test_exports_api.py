"""Exports on generated data: CSV with a BOM and Chinese headers, XLSX read back, scope, audit, no row cap."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import text

from tests.factories import bearer, issue_tokens
from tests.factories_bulk import load_generated

ALL_STATES = "draft,submitted,returned,approved,rejected"


@pytest.fixture()
def generated(session, owner_database_url):  # noqa: ANN001, ANN201
    return load_generated(session, owner_database_url)


def _get(client, session, username: str, url: str):  # noqa: ANN001, ANN202
    return client.get(url, headers=bearer(issue_tokens(session, username)))


def _count(session, sql: str, prefix: str = "/410000/") -> int:  # noqa: ANN001
    return int(session.execute(text(sql), {"prefix": prefix}).scalar_one())


INSPECTIONS_IN = (
    "SELECT count(*) FROM inspections i JOIN sites s ON s.id = i.site_id JOIN jurisdictions j"
    " ON j.id = s.jurisdiction_id WHERE j.path LIKE :prefix || '%'"
)


def test_csv_export_of_every_inspection_has_a_bom_chinese_headers_and_every_row(client, session, generated) -> None:
    response = _get(client, session, "sup.henan", f"/api/v1/exports/inspections.csv?state={ALL_STATES}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "检查编号 (inspection id)"
    assert "财政扣款（元） (fiscal deduction (yuan))" in rows[0]
    expected = _count(session, INSPECTIONS_IN)
    assert len(rows) - 1 == expected == int(response.headers["X-Export-Rows"]) == generated.counts.inspections
    # money columns: fen, then the same amount in yuan
    fen_at = rows[0].index("财政扣款（分） (fiscal deduction (fen))")
    total = sum(int(r[fen_at]) for r in rows[1:])
    assert total == _count(
        session,
        "SELECT COALESCE(sum(l.amount_fen), 0) FROM penalty_lines l JOIN penalty_computations c"
        " ON c.id = l.computation_id AND c.is_current WHERE l.kind = 'fiscal_deduction'",
    )
    assert all(r[fen_at + 1] == f"{int(r[fen_at]) // 100}.{int(r[fen_at]) % 100:02d}" for r in rows[1:])


def test_xlsx_export_reads_back_with_openpyxl(client, session, generated) -> None:
    response = _get(client, session, "sup.boai", "/api/v1/exports/findings.xlsx?state=approved,submitted")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("检查编号 (inspection id)", "检查日期（北京时间） (date (Asia/Shanghai))")
    expected = _count(
        session,
        "SELECT count(*) FROM findings f JOIN inspections i ON i.id = f.inspection_id"
        " AND f.submission_no = i.submission_count JOIN sites s ON s.id = i.site_id JOIN jurisdictions j"
        " ON j.id = s.jurisdiction_id WHERE i.state IN ('approved', 'submitted') AND j.path LIKE :prefix || '%'",
        "/410000/410800/410822/",
    )
    assert len(rows) - 1 == expected > 0
    # a 博爱县 supervisor's export holds 博爱县 rows only
    assert {r[4][:6] for r in rows[1:]} == {"410822"}


def test_penalty_lines_export_is_the_current_computation_only(client, session, generated) -> None:
    response = _get(client, session, "sup.henan", f"/api/v1/exports/penalty-lines.csv?state={ALL_STATES}")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    current = _count(
        session,
        "SELECT count(*) FROM penalty_lines l JOIN penalty_computations c ON c.id = l.computation_id AND c.is_current",
    )
    everything = _count(session, "SELECT count(*) FROM penalty_lines")
    assert len(rows) - 1 == current < everything


def test_every_export_is_audited_with_its_row_count(client, session, generated) -> None:
    response = _get(client, session, "sup.boai", "/api/v1/exports/inspections.csv?state=approved")
    response.get_data()
    entry = session.execute(
        text("SELECT actor_username, after FROM audit_log WHERE action = 'export.download' ORDER BY id DESC LIMIT 1")
    ).one()
    assert entry.actor_username == "sup.boai"
    assert entry.after["rows"] == int(response.headers["X-Export-Rows"])
    assert entry.after["kind"] == "inspections" and entry.after["format"] == "csv"
    assert entry.after["filter"]["states"] == ["approved"]


def test_export_filters_and_scope_are_the_review_queues(client, session, generated) -> None:
    assert _get(client, session, "sup.boai", "/api/v1/exports/inspections.csv?jurisdiction=410811").status_code == 404
    assert _get(client, session, "sup.boai", "/api/v1/exports/inspections.csv?colour=red").status_code == 422
    assert _get(client, session, "insp.boai", "/api/v1/exports/inspections.csv").status_code == 403
    assert _get(client, session, "sup.henan", "/api/v1/exports/cases.csv").status_code == 404
