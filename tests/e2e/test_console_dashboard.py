"""The console's dashboard in a real headless Chromium against a real gunicorn, on the generated workload: a
province supervisor opens it and sees the statistics API's figures for the months chosen (cards, the table by
sub-district, the inline-SVG charts), and downloads a CSV export with the bearer token. Screenshots at
1280×800 and 768×1024 go to var/screenshots/."""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.browser import screenshot_path
from tests.e2e.console_support import LAPTOP, TABLET, Watched, api_json
from tests.e2e.lossy_proxy import Gunicorn, Phone
from tests.factories import PASSWORD
from tests.factories_bulk import load_generated


@pytest.fixture()
def generated(session, owner_database_url):  # noqa: ANN001, ANN201
    return load_generated(session, owner_database_url)


@pytest.fixture()
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN", accept_downloads=True)
    try:
        yield context
    finally:
        context.close()


def _token(server: Gunicorn, username: str) -> str:
    phone = Phone(server.port)
    phone.login(username, PASSWORD)
    assert phone.token is not None
    return phone.token


def _stats(server: Gunicorn, token: str, path: str, **query: str) -> Any:
    status, body, _ = api_json(server.port, "GET", f"/api/v1/stats/{path}?{urlencode(query)}", token)
    assert status == 200, body
    return body


def test_supervisor_sees_the_apis_figures_and_downloads_a_csv(
    browser_context: BrowserContext, server: Gunicorn, generated
) -> None:  # noqa: ANN001
    watched = Watched(browser_context)
    page = watched.page
    page.goto(f"http://127.0.0.1:{server.port}/console/")
    page.fill("#username", "sup.henan")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#topbar:not([hidden])")

    page.click("a[href='#/dashboard']")
    page.wait_for_selector("#fig-inspections")
    page.wait_for_selector("#table-jurisdiction")

    # The page asks for whole months (the API's aligned-range rule): first day of the first, last of the last.
    first, last = page.input_value("#dash-from"), page.input_value("#dash-to")
    year, month = (int(x) for x in last.split("-"))
    period = {"date_from": f"{first}-01", "date_to": f"{last}-{calendar.monthrange(year, month)[1]:02d}"}
    token = _token(server, "sup.henan")
    total = _stats(server, token, "inspections", by="total", **period)["totals"]
    cases = _stats(server, token, "cases", by="total", **period)["totals"]
    by_township = _stats(server, token, "inspections", by="jurisdiction", level="township", **period)["rows"]
    case_months = _stats(server, token, "cases", by="month", **period)["rows"]
    assert total["inspections"] > 0 and cases["cases"] > 0

    expect(page.locator("#fig-inspections")).to_have_text(str(total["inspections"]))
    expect(page.locator("#fig-failed-findings")).to_have_text(str(total["failed_findings"]))
    expect(page.locator("#fig-proposed-fine")).to_have_text(f"¥{total['statutory_fine_yuan']}")
    expect(page.locator("#fig-decided")).to_have_text(f"¥{cases['statutory_fine_decided_yuan']}")
    expect(page.locator("#fig-paid")).to_have_text(f"¥{cases['statutory_fine_paid_yuan']}")
    expect(page.locator("#fig-open-cases")).to_have_text(str(cases["open_cases"]))
    expect(page.locator("#fig-overdue")).to_have_text(str(cases["overdue_orders"]))
    expect(page.locator("#fig-pass-rate")).to_have_text(f"{float(total['pass_rate']) * 100:.1f}%")

    # One table row per sub-district the API answers (one page of 50, most failed findings first), with its
    # inspections and the case figures of the same sub-district.
    rows = page.locator("#table-jurisdiction tbody tr")
    assert len(by_township) <= 50
    expect(rows).to_have_count(len(by_township))
    expect(page.locator("#places-range")).to_have_text(f"第 1–{len(by_township)} 条，共 {len(by_township)} 条")
    busiest = max(by_township, key=lambda r: r["inspections"])
    row = rows.filter(has_text=busiest["name_zh"])
    expect(row.locator("td").first).to_have_text(str(busiest["inspections"]))
    worst = _stats(server, token, "inspections", by="jurisdiction", level="township", sort="-failed_findings", **period)
    expect(rows.first.locator("th")).to_have_text(worst["rows"][0]["name_zh"])
    case_of = {
        r["key"]: r for r in _stats(server, token, "cases", by="jurisdiction", level="township", **period)["rows"]
    }
    first_cases = case_of.get(worst["rows"][0]["key"], {})
    expect(rows.first.locator("td").nth(5)).to_have_text(str(first_cases.get("open_cases", 0)))
    expect(rows.first.locator("td").nth(8)).to_have_text(str(first_cases.get("overdue_orders", 0)))

    # Pages of 20, lowest pass rate first: the API's pages, turned with the pager.
    page.select_option("#places-sort", "pass_rate")
    page.select_option("#places-size", "20")
    lowest = _stats(server, token, "inspections", by="jurisdiction", level="township", sort="pass_rate", **period)
    expect(page.locator("#places-range")).to_have_text(f"第 1–20 条，共 {len(lowest['rows'])} 条")
    expect(rows).to_have_count(20)
    expect(rows.first.locator("th")).to_have_text(lowest["rows"][0]["name_zh"])
    expect(page.locator("#places-prev")).to_be_disabled()
    page.click("#places-next")
    rest = lowest["rows"][20:]
    expect(rows).to_have_count(len(rest))
    expect(page.locator("#places-range")).to_have_text(f"第 21–{len(lowest['rows'])} 条，共 {len(lowest['rows'])} 条")
    expect(rows.first.locator("th")).to_have_text(rest[0]["name_zh"] or "（未细分到该级）")
    expect(page.locator("#places-next")).to_be_disabled()
    page.click("#places-prev")
    expect(rows).to_have_count(20)
    page.select_option("#places-sort", "-failed_findings")
    page.select_option("#places-size", "50")
    expect(rows).to_have_count(len(by_township))

    # The charts are inline SVG (no library): the paid bars add up to the fines paid.
    assert page.evaluate("document.querySelector('#chart-money').namespaceURI") == "http://www.w3.org/2000/svg"
    paid = page.eval_on_selector_all(
        "#chart-money rect.bar[data-series=paid]", "bars => bars.map(b => Number(b.dataset.value))"
    )
    assert sum(paid) == cases["statutory_fine_paid_fen"] == sum(r["statutory_fine_paid_fen"] for r in case_months)
    expect(page.locator("#chart-pass-rate rect.bar")).not_to_have_count(0)
    expect(page.locator("#chart-findings rect.bar")).not_to_have_count(0)

    page.screenshot(path=str(screenshot_path("dashboard-1280x800")))
    page.set_viewport_size(TABLET)
    page.screenshot(path=str(screenshot_path("dashboard-768x1024")))
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.set_viewport_size(LAPTOP)

    # The CSV export, fetched with the bearer token and saved from a blob: one row per inspection in the months.
    with page.expect_download() as info:
        page.click("#export-inspections-csv")
    download = info.value
    assert download.suggested_filename == f"inspections-{period['date_from']}-{period['date_to']}.csv"
    data = download.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(table) - 1 == total["inspections"]
    # No CSP violation, no script error (Leaflet's stylesheet is the map's, fetched by setup: not this page's).
    assert [p for p in watched.problems if "/static/vendor/" not in p] == []
