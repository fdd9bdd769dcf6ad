"""Statistics on generated data: exact totals, scope, rollups kept current, numbers that say their units."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from app.stats.rollup import refresh_dirty
from tests.factories import bearer, issue_tokens
from tests.factories_bulk import load_generated

# The sums a statistic must equal: current penalty lines of inspections out of draft, straight from the base tables.
BASE_SUMS = """
SELECT COALESCE(sum(l.amount_fen) FILTER (WHERE l.kind = 'fiscal_deduction'), 0) AS fiscal,
       COALESCE(sum(l.amount_fen) FILTER (WHERE l.kind = 'statutory_fine'), 0) AS fine
  FROM penalty_lines l
  JOIN penalty_computations c ON c.id = l.computation_id AND c.is_current
  JOIN inspections i ON i.id = l.inspection_id AND i.state <> 'draft'
  JOIN sites s ON s.id = i.site_id JOIN jurisdictions j ON j.id = s.jurisdiction_id
 WHERE j.path LIKE :prefix || '%'
"""
BASE_COUNT = """
SELECT count(*) FROM inspections i JOIN sites s ON s.id = i.site_id JOIN jurisdictions j ON j.id = s.jurisdiction_id
 WHERE i.state <> 'draft' AND j.path LIKE :prefix || '%'
"""


@pytest.fixture()
def generated(session, owner_database_url):  # noqa: ANN001, ANN201
    return load_generated(session, owner_database_url)


def _get(client, session, username: str, url: str) -> Any:  # noqa: ANN001
    return client.get(url, headers=bearer(issue_tokens(session, username)))


def _base(session, prefix: str) -> tuple[int, int, int]:  # noqa: ANN001
    fiscal, fine = session.execute(text(BASE_SUMS), {"prefix": prefix}).one()
    count = session.execute(text(BASE_COUNT), {"prefix": prefix}).scalar_one()
    return int(fiscal), int(fine), int(count)


def test_province_totals_equal_the_sum_of_current_penalty_lines(client, session, generated) -> None:
    fiscal, fine, count = _base(session, "/410000/")
    assert count > 1000 and fiscal > 0 and fine > 0
    body = _get(client, session, "sup.henan", "/api/v1/stats/inspections?by=total").get_json()
    totals = body["totals"]
    assert (totals["fiscal_deduction_fen"], totals["statutory_fine_fen"], totals["inspections"]) == (
        fiscal,
        fine,
        count,
    )
    assert totals["fiscal_deduction_yuan"] == f"{fiscal // 100}.{fiscal % 100:02d}"
    # every figure says its time zone, unit and scope
    assert body["time_zone"] == "Asia/Shanghai"
    assert body["currency"]["unit"] == "fen" and body["currency"]["display_unit"] == "yuan"
    assert body["scope"]["jurisdictions"] == ["410000"]
    assert body["freshness"]["max_staleness_seconds"] == 60


def test_rolling_up_by_county_and_by_month_reconciles_with_the_total(client, session, generated) -> None:
    by_county = _get(client, session, "sup.henan", "/api/v1/stats/inspections?by=jurisdiction&level=county")
    by_month = _get(client, session, "sup.henan", "/api/v1/stats/inspections?by=month")
    total = _get(client, session, "sup.henan", "/api/v1/stats/inspections").get_json()["totals"]
    for response in (by_county, by_month):
        rows = response.get_json()["rows"]
        assert len(rows) > 1
        for field in ("inspections", "passed", "fiscal_deduction_fen", "statutory_fine_fen", "failed_findings"):
            assert sum(r[field] for r in rows) == total[field]
    county = {r["key"]: r for r in by_county.get_json()["rows"]}
    fiscal, fine, count = _base(session, "/410000/410800/410822/")
    assert county["410822"]["name_zh"] == "博爱县"
    assert (county["410822"]["fiscal_deduction_fen"], county["410822"]["inspections"]) == (fiscal, count)


def test_a_boai_supervisor_sees_boai_only(client, session, generated) -> None:
    body = _get(client, session, "sup.boai", "/api/v1/stats/inspections?by=jurisdiction&level=county").get_json()
    assert [r["key"] for r in body["rows"]] == ["410822"]
    fiscal, fine, count = _base(session, "/410000/410800/410822/")
    assert (body["totals"]["fiscal_deduction_fen"], body["totals"]["inspections"]) == (fiscal, count)
    shanyang = _base(session, "/410000/410800/410811/")
    assert shanyang[2] > 0  # 山阳区 has inspections, and none of them is counted
    townships = _get(client, session, "sup.boai", "/api/v1/stats/inspections?by=jurisdiction&level=township")
    assert all(r["key"].startswith("410822") for r in townships.get_json()["rows"])
    # another county's subtree is not found for this caller
    assert _get(client, session, "sup.boai", "/api/v1/stats/inspections?jurisdiction=410811").status_code == 404
    for url in ("/api/v1/stats/items", "/api/v1/stats/inspectors", "/api/v1/stats/repeat-sites?min_failed=1"):
        rows = _get(client, session, "sup.boai", url).get_json()["rows"]
        assert rows, url
        if "jurisdiction_code" in rows[0]:
            assert all(r["jurisdiction_code"].startswith("410822") for r in rows)


def test_items_count_every_current_finding(client, session, generated) -> None:
    rows = _get(client, session, "sup.henan", "/api/v1/stats/items?limit=1000").get_json()["rows"]
    failed = session.execute(
        text(
            "SELECT count(*) FROM findings f JOIN inspections i ON i.id = f.inspection_id"
            " AND f.submission_no = i.submission_count WHERE i.state <> 'draft' AND f.verdict = 'fail'"
        )
    ).scalar_one()
    assert sum(r["failed"] for r in rows) == failed


def test_a_moved_site_is_counted_in_its_new_county_after_the_refresh(client, session, generated) -> None:
    site_id, inspections = session.execute(
        text(
            "SELECT s.id, count(*) FROM sites s JOIN inspections i ON i.site_id = s.id JOIN jurisdictions j"
            " ON j.id = s.jurisdiction_id WHERE j.path LIKE '/410000/410800/410811/%' AND i.state <> 'draft'"
            " GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 1"
        )
    ).one()
    boai = session.execute(text("SELECT id FROM jurisdictions WHERE code = '410822'")).scalar_one()
    before = _base(session, "/410000/410800/410822/")
    session.execute(text("UPDATE sites SET jurisdiction_id = :j WHERE id = :s"), {"j": boai, "s": site_id})
    session.commit()
    assert session.execute(text("SELECT count(*) FROM stats_dirty")).scalar_one() > 0
    refresh_dirty(session)
    session.commit()
    after = _base(session, "/410000/410800/410822/")
    assert after[2] == before[2] + inspections
    body = _get(client, session, "sup.boai", "/api/v1/stats/inspections").get_json()
    assert (body["totals"]["inspections"], body["totals"]["fiscal_deduction_fen"]) == (after[2], after[0])
    assert body["freshness"]["pending_groups"] == 0


def test_a_range_that_is_neither_months_nor_weeks_is_refused(client, session, generated) -> None:
    response = _get(client, session, "sup.henan", "/api/v1/stats/inspections?date_from=2025-01-03&date_to=2025-02-11")
    assert response.status_code == 422
    assert response.get_json()["code"] == "unaligned_range"
    weeks = _get(
        client, session, "sup.henan", "/api/v1/stats/inspections?by=week&date_from=2025-01-06&date_to=2025-02-09"
    )
    assert weeks.status_code == 200
    assert weeks.get_json()["period"]["grain"] == "week"
    assert all("2025-01-06" <= r["key"] <= "2025-02-09" for r in weeks.get_json()["rows"])


def test_inspectors_may_not_read_statistics(client, session, generated) -> None:
    assert _get(client, session, "insp.boai", "/api/v1/stats/inspections").status_code == 403
