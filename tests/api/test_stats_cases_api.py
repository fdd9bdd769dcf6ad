"""Case statistics on generated data: every stage present, totals equal the cases' own amounts, overdue orders
equal the supervisors' overdue list, scope and the aligned-range rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from app.auth.principal import Principal
from app.localtime import today_local
from app.stats.case_queries import case_rows
from app.stats.envelope import StatsRequest, build_filter
from app.stats.rollup import refresh_dirty
from tests.factories import bearer, issue_tokens
from tests.factories_bulk import load_generated

CASE_SUMS = """
SELECT count(*) AS cases,
       count(*) FILTER (WHERE c.stage <> 'closed') AS open_cases,
       count(*) FILTER (WHERE c.stage = 'closed') AS closed_cases,
       COALESCE(sum(c.proposed_fine_fen), 0) AS proposed,
       COALESCE(sum(c.decided_fine_fen), 0) AS decided,
       COALESCE(sum(c.paid_fen), 0) AS paid
  FROM cases c JOIN jurisdictions j ON j.id = c.jurisdiction_id
 WHERE j.path LIKE :prefix || '%'
"""
STAGES = """
SELECT c.stage, count(*) FROM cases c JOIN jurisdictions j ON j.id = c.jurisdiction_id
 WHERE j.path LIKE :prefix || '%' GROUP BY c.stage
"""
FISCAL_SUMS = """
SELECT count(*), COALESCE(sum(f.amount_fen), 0),
       COALESCE(sum(f.amount_fen) FILTER (WHERE f.status IN ('notified', 'settled')), 0),
       COALESCE(sum(f.amount_fen) FILTER (WHERE f.status = 'settled'), 0)
  FROM fiscal_deductions f JOIN jurisdictions j ON j.id = f.subdistrict_id
 WHERE j.path LIKE :prefix || '%'
"""

SCOPES = {"sup.henan": "/410000/", "sup.boai": "/410000/410800/410822/"}  # tests/factories_bulk.py's users


@pytest.fixture()
def generated(session, owner_database_url):  # noqa: ANN001, ANN201
    return load_generated(session, owner_database_url)


def _get(client, session, username: str, url: str) -> Any:  # noqa: ANN001
    return client.get(url, headers=bearer(issue_tokens(session, username)))


def _sums(session, sql: str, prefix: str) -> list[int]:  # noqa: ANN001
    return [int(v) for v in session.execute(text(sql), {"prefix": prefix}).one()]


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_generated_workload_has_cases_in_every_stage_with_orders_and_deductions(session, generated) -> None:
    stages = dict(session.execute(text(STAGES), {"prefix": "/410000/"}).all())
    assert set(stages) == {"filing", "investigation", "notice", "decision", "execution", "closed"}
    assert generated.counts.cases == sum(stages.values())
    orders = dict(session.execute(text("SELECT status, count(*) FROM correction_orders GROUP BY status")).all())
    assert set(orders) == {"open", "complied", "refused"}
    fiscal = dict(session.execute(text("SELECT status, count(*) FROM fiscal_deductions GROUP BY status")).all())
    assert set(fiscal) == {"open", "notified", "settled"}
    # the stage a case is at matches the dates it has
    wrong = session.execute(
        text(
            "SELECT count(*) FROM cases WHERE (stage = 'execution' AND decision_served_on IS NULL)"
            " OR (stage = 'filing' AND filed_on IS NOT NULL) OR (stage = 'closed' AND closed_on IS NULL)"
            " OR (paid_fen IS NOT NULL AND decided_fine_fen IS NULL)"
        )
    ).scalar_one()
    assert wrong == 0


def test_province_totals_equal_the_sum_of_the_cases_amounts(client, session, generated) -> None:
    body = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases?by=total"))
    totals = body["totals"]
    cases, open_cases, closed, proposed, decided, paid = _sums(session, CASE_SUMS, "/410000/")
    assert cases > 20 and paid > 0
    assert (totals["cases"], totals["open_cases"], totals["closed_cases"]) == (cases, open_cases, closed)
    assert (
        totals["statutory_fine_proposed_fen"],
        totals["statutory_fine_decided_fen"],
        totals["statutory_fine_paid_fen"],
    ) == (proposed, decided, paid)
    assert totals["statutory_fine_paid_yuan"] == f"{paid // 100}.{paid % 100:02d}"
    stages = dict(session.execute(text(STAGES), {"prefix": "/410000/"}).all())
    assert totals["open_by_stage"] == {s: stages[s] for s in ("filing", "investigation", "notice", "decision",
                                                              "execution")}  # fmt: skip
    count, fiscal, notified, settled = _sums(session, FISCAL_SUMS, "/410000/")
    assert (
        totals["fiscal_deductions"],
        totals["fiscal_deduction_proposed_fen"],
        totals["fiscal_deduction_notified_fen"],
        totals["fiscal_deduction_settled_fen"],
    ) == (count, fiscal, notified, settled)
    assert fiscal > notified > settled > 0
    assert body["rows"] == [{**totals, "key": "all"}]
    assert body["time_zone"] == "Asia/Shanghai" and body["currency"]["unit"] == "fen"
    assert body["freshness"]["source"] == "rollup" and body["scope"]["jurisdictions"] == ["410000"]


def test_overdue_orders_are_the_correction_items_of_the_overdue_list(client, session, generated) -> None:
    totals = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases"))["totals"]
    listed = _ok(_get(client, session, "sup.henan", "/api/v1/cases/overdue"))["items"]
    corrections = [i for i in listed if i["kind"] == "correction"]
    assert totals["overdue_orders"] == len(corrections) > 0
    assert totals["orders"] > totals["overdue_orders"]


def test_by_township_and_by_month_reconcile_with_the_total(client, session, generated) -> None:
    total = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases"))["totals"]
    by_township = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases?by=jurisdiction&level=township"))
    by_month = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases?by=month"))
    for body in (by_township, by_month):
        assert len(body["rows"]) > 1
        for field in ("cases", "open_cases", "statutory_fine_decided_fen", "statutory_fine_paid_fen",
                      "fiscal_deduction_proposed_fen", "overdue_orders"):  # fmt: skip
            assert sum(r[field] for r in body["rows"]) == total[field], field
    township = next(r for r in by_township["rows"] if r["key"].startswith("410822"))
    assert township["name_zh"] and township["name_zh"] != "（未细分到该级）"
    cases, *_ = _sums(session, CASE_SUMS, f"/410000/410800/410822/{township['key']}/")
    assert township["cases"] == cases
    # a whole-month range answers the month's row
    month = by_month["rows"][len(by_month["rows"]) // 2]
    start = month["key"]
    year, mon = int(start[:4]), int(start[5:7])
    end = f"{year + mon // 12}-{mon % 12 + 1:02d}-01"
    last = session.execute(text("SELECT CAST(:d AS date) - 1"), {"d": end}).scalar_one().isoformat()
    ranged = _ok(_get(client, session, "sup.henan", f"/api/v1/stats/cases?date_from={start}&date_to={last}"))
    assert ranged["totals"]["cases"] == month["cases"]
    assert ranged["totals"]["fiscal_deduction_proposed_fen"] == month["fiscal_deduction_proposed_fen"]


def test_a_boai_supervisor_sees_boai_cases_only(client, session, generated) -> None:
    body = _ok(_get(client, session, "sup.boai", "/api/v1/stats/cases?by=jurisdiction&level=county"))
    assert [r["key"] for r in body["rows"]] == ["410822"]
    cases, *_, paid = _sums(session, CASE_SUMS, "/410000/410800/410822/")
    assert (body["totals"]["cases"], body["totals"]["statutory_fine_paid_fen"]) == (cases, paid)
    outside = _get(client, session, "sup.boai", "/api/v1/stats/cases?jurisdiction=410811")
    assert outside.status_code == 404 and outside.content_type == "application/problem+json"


def test_an_unaligned_range_is_refused(client, session, generated) -> None:
    response = _get(client, session, "sup.henan", "/api/v1/stats/cases?date_from=2026-01-03&date_to=2026-01-20")
    assert response.status_code == 422 and response.get_json()["code"] == "unaligned_range"


def test_inspectors_get_no_case_statistics(client, session, generated) -> None:
    response = _get(client, session, "insp.boai", "/api/v1/stats/cases")
    assert response.status_code == 403


# --- The rollups (stats_cases, stats_case_deadlines; migration 0031) equal the live computation ----------------


def _live(session, username: str, *, by: str, level: str, date_from=None, date_to=None, jurisdiction=None):  # noqa: ANN001, ANN201
    """What the endpoint answered before the rollups: ``case_rows`` over the base tables."""
    principal = Principal(0, username, "supervisor", (SCOPES[username],))
    req = StatsRequest(
        date_from=date.fromisoformat(date_from) if date_from else None,
        date_to=date.fromisoformat(date_to) if date_to else None,
        jurisdiction=jurisdiction,
    )
    flt = build_filter(session, principal, req, by="month" if by == "month" else None)
    return case_rows(
        session, principal.jurisdiction_paths, flt.jurisdiction_path, flt.window, by=by, level=level,
        today=today_local(),
    )  # fmt: skip


def _answered(body: dict[str, Any]) -> dict[str, dict[str, int]]:
    out = {}
    for row in body["rows"]:
        figures = {k: v for k, v in row.items() if isinstance(v, int)}
        figures.update({f"open_{s}": n for s, n in row["open_by_stage"].items()})
        out[row["key"]] = figures
    return out


@pytest.mark.parametrize(
    ("username", "query"),
    [
        ("sup.henan", "by=total"),
        ("sup.henan", "by=jurisdiction&level=city"),
        ("sup.henan", "by=jurisdiction&level=township"),
        ("sup.henan", "by=month"),
        ("sup.henan", "by=jurisdiction&level=county&date_from=2024-03-01&date_to=2025-06-30"),
        ("sup.henan", "by=total&date_from=2025-01-01&date_to=2025-12-31"),
        ("sup.henan", "by=month&date_from=2025-02-01&date_to=2025-11-30"),
        ("sup.henan", "by=total&date_from=2025-03-03&date_to=2025-05-25"),  # ISO weeks
        ("sup.henan", "by=jurisdiction&level=township&jurisdiction=410822"),
        ("sup.boai", "by=jurisdiction&level=township"),
        ("sup.boai", "by=jurisdiction&level=city"),
        ("sup.boai", "by=month&date_from=2024-01-01&date_to=2026-10-31"),
    ],
)
def test_the_rollup_answers_what_the_base_tables_do(client, session, generated, username, query) -> None:
    body = _ok(_get(client, session, username, f"/api/v1/stats/cases?{query}"))
    args = dict(p.split("=") for p in query.split("&"))
    live = _live(
        session, username, by=args["by"], level=args.get("level", "county"), date_from=args.get("date_from"),
        date_to=args.get("date_to"), jurisdiction=args.get("jurisdiction"),
    )  # fmt: skip
    got = _answered(body)
    assert got and sum(r["cases"] for r in got.values()) > 0
    assert set(got) == set(live)
    for key, figures in live.items():
        assert {m: got[key][m] for m in figures} == figures, key


def test_a_case_change_reaches_the_rollup_at_the_next_refresh(client, session, generated) -> None:
    """A case closed and its open order complied with: marked dirty by the triggers of 0031 in the writer's
    transaction, stale until the refresh (pending_groups says so), then equal to the base tables."""
    case_id = session.execute(
        text(
            "SELECT c.id FROM cases c JOIN jurisdictions j ON j.id = c.jurisdiction_id"
            " WHERE c.stage <> 'closed' AND EXISTS (SELECT 1 FROM correction_orders o WHERE o.case_id = c.id AND"
            " o.status = 'open') ORDER BY c.id LIMIT 1"
        )
    ).scalar_one()
    before = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases"))["totals"]
    session.execute(
        text("UPDATE cases SET stage = 'closed', closed_on = current_date, close_reason = 'test' WHERE id = :i"),
        {"i": case_id},
    )
    session.execute(text("UPDATE correction_orders SET status = 'complied' WHERE case_id = :i"), {"i": case_id})
    session.commit()
    stale = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases"))
    assert stale["freshness"]["pending_groups"] > 0
    assert stale["totals"]["closed_cases"] == before["closed_cases"]
    while refresh_dirty(session).groups:
        session.commit()
    session.commit()
    after = _ok(_get(client, session, "sup.henan", "/api/v1/stats/cases"))
    assert after["freshness"]["pending_groups"] == 0
    assert after["totals"]["closed_cases"] == before["closed_cases"] + 1
    assert after["totals"]["open_cases"] == before["open_cases"] - 1
    live = _live(session, "sup.henan", by="total", level="county")["all"]
    assert {m: after["totals"][m] for m in live if m in after["totals"]} == {
        m: v for m, v in live.items() if m in after["totals"]
    }


def test_the_case_figures_of_one_page_of_townships(client, session, generated) -> None:
    base = "/api/v1/stats/cases?by=jurisdiction&level=township"
    whole = _ok(_get(client, session, "sup.henan", base))
    overdue = _ok(_get(client, session, "sup.henan", f"{base}&sort=-overdue_orders&limit=3"))
    assert overdue["page"] == {"sort": "-overdue_orders", "offset": 0, "limit": 3, "total_rows": len(whole["rows"])}
    assert [r["overdue_orders"] for r in overdue["rows"]] == sorted(
        (r["overdue_orders"] for r in whole["rows"] if r["key"]), reverse=True
    )[:3]
    assert overdue["totals"] == whole["totals"]
    # the console asks for the case figures of the sub-districts on its page of inspection figures
    keys = [r["key"] for r in whole["rows"][1:4]]
    chosen = _ok(_get(client, session, "sup.henan", base + "".join(f"&keys={k}" for k in keys)))
    assert chosen["rows"] == whole["rows"][1:4]
    assert all(r["name_zh"] for r in chosen["rows"])
    refused = _get(client, session, "sup.henan", f"{base}&sort=-pass_rate")  # no pass rate among case figures
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
