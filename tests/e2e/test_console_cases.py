"""The case page and amendments in a real headless Chromium against a real gunicorn: a supervisor amends one
item of a submitted inspection (the inspector's original stays beside the amended answer), approves it (its
failed item opens a case), follows the link to the case, meets a document blocked with its reasons, issues an
order to correct, downloads the PDF the job worker rendered (its text carries the document number), takes a
step a colleague already took (412, said and reloaded), serves the advance notice (a deadline counts down),
records the order, voids the document and waives another inspection's failed item.
Screenshots of the case page at 1280×800 and 768×1024 go to var/screenshots/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.browser import screenshot_path
from tests.e2e.console_support import (
    LAPTOP,
    PASSWORD,
    TABLET,
    Sent,
    Watched,
    api_json,
    load_demo,
    sign_in,
    submit_inspection,
    world_token,
)
from tests.e2e.lossy_proxy import Gunicorn, Phone
from tests.factories_documents import SETTINGS, pdf_text
from tests.factories_photos import drain_worker

DISTRICT = "410811"  # 山阳区, the demo sites' district and demo.supervisor's scope


def run_worker(app: Flask) -> None:
    """The job worker of ``make run`` until no job is ready (derivatives, document rendering). In a thread of
    its own: the worker runs an asyncio loop, and Playwright's sync API holds one in this thread."""
    worker = threading.Thread(target=lambda: drain_worker(app))
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive()


@pytest.fixture()
def world(session, app: Flask, server: Gunicorn) -> dict[str, Any]:  # noqa: ANN001
    demo = load_demo(session)
    phone = Phone(server.port)
    phone.login("demo.inspector", PASSWORD)
    sent = submit_inspection(phone, demo, "DEMO-CS-001", "construction_dust.henan", far_photo=False, seed=31)
    waived = submit_inspection(phone, demo, "DEMO-CS-002", "construction_dust.henan", far_photo=False, seed=41)
    run_worker(app)
    # Document settings come first (an admin's job): authority, review body, court, periods, type codes.
    admin = world_token(server, "demo.admin")
    status, body, _ = api_json(
        server.port, "PUT", f"/api/v1/documents/settings/{DISTRICT}", admin, {"settings": SETTINGS}
    )
    assert status == 200, body
    return {"demo": demo, "sent": sent, "waived": waived}


@pytest.fixture()
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN", accept_downloads=True)
    try:
        yield context
    finally:
        context.close()


def test_supervisor_amends_approves_and_runs_the_case_in_the_browser(
    browser_context: BrowserContext, server: Gunicorn, app: Flask, world: dict[str, Any]
) -> None:
    sent: Sent = world["sent"]
    watched = Watched(browser_context)
    page = watched.page
    sign_in(page, server.port, "demo.supervisor")
    page.goto(f"http://127.0.0.1:{server.port}/console/#/inspections/{sent.id}")

    # Amend the failed item's note, with a reason: the inspector's original stays beside the amended answer.
    item = page.locator(f"article.item[data-item='{sent.failed_item}']")
    item.locator("button.amend-open").click()
    item.locator("input.amend-note").fill("审核复核：围挡缺失约二十米")
    item.locator("input.amend-reason").fill("据照片更正问题描述")
    item.locator("button.amend-submit").click()
    expect(page.locator("#banner")).to_contain_text("已修改")
    item = page.locator(f"article.item[data-item='{sent.failed_item}']")
    expect(item.locator(".answer.amended")).to_contain_text("审核复核：围挡缺失约二十米")
    expect(item.locator(".answer").first).to_contain_text("现场发现问题")
    expect(item.locator(".amendments li")).to_contain_text("据照片更正问题描述")
    item.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_path("inspection-amended-1280x800")))
    supervisor = world_token(server, "demo.supervisor")
    status, inspection, _ = api_json(server.port, "GET", f"/api/v1/inspections/{sent.id}", supervisor)
    assert status == 200
    (amendment,) = inspection["amendments"]
    assert amendment["kind"] == "change" and amendment["reason"] == "据照片更正问题描述"
    assert inspection["answers"][sent.failed_item]["note"] == "审核复核：围挡缺失约二十米"

    # Approve: the failed item opens a case, linked from the inspection.
    page.click("#approve")
    expect(page.locator("#inspection-state")).to_have_text("已通过")
    page.click("#inspection-case")
    page.wait_for_url("**#/cases/*")
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#case-stage")).to_have_text("立案")
    expect(page.locator("#case-inspections a")).to_have_attribute("href", f"#/inspections/{sent.id}")
    expect(page.locator("#timeline li[data-kind=opened]")).to_have_count(1)

    # The list of cases, filtered by stage.
    page.click("a[href='#/cases']")
    expect(page.locator(f"#case-list .case-item[data-id='{case_id}']")).to_have_count(1)
    expect(page.locator("#case-more")).to_be_hidden()  # one page: no "load more"
    page.click("#stage-filter [data-stage=closed]")
    expect(page.locator("#case-list li.empty")).to_have_count(1)
    page.click("#stage-filter [data-stage=filing]")
    page.click(f"#case-list .case-item[data-id='{case_id}'] a.site")
    page.wait_for_selector("#document-form")

    # Issuing an order to correct before the case records one: refused with its reasons, listed on the page.
    page.select_option("#doc-kind", "order_to_correct")
    page.click("#doc-issue")
    expect(page.locator("#doc-blockers li[data-code=case_order_not_recorded]")).to_have_count(1)

    # Record the order to correct as decided: its deadline joins the case's deadlines, as the order set it.
    page.fill("#order-deadline", "2026-12-31")
    page.click("#order-record")
    expect(page.locator("#orders li.order[data-status=open]")).to_have_count(1)
    correction = page.locator("#deadlines li[data-key=correction]")
    expect(correction.locator(".meta")).to_contain_text("2026-12-31")
    expect(correction.locator(".meta")).to_contain_text("按决定书所定")
    status, case, case_headers = api_json(server.port, "GET", f"/api/v1/cases/{case_id}", supervisor)
    (order,) = case["orders"]
    assert order["deadline"] == "2026-12-31" and order["inspection_id"] == sent.id

    # 令28 第九条（一）: the site records only its operator, so the unit's 法定代表人 is asked for before the order
    # can be issued; the supervisor records it on the case's party.
    page.click("#doc-issue")
    expect(page.locator("#doc-blockers li[data-code=legal_representative_missing]")).to_have_count(1)
    status, _, _ = api_json(
        server.port,
        "PATCH",
        f"/api/v1/cases/{case_id}/party",
        supervisor,
        {"legal_representative": "王五"},
        {"If-Match": case_headers["etag"]},
    )
    assert status == 200
    page.reload()
    page.wait_for_selector("#document-form")

    # Issue the order to correct; the worker renders it; download the PDF from the page.
    page.fill("#doc-order-text", "立即设置硬质密闭围挡，覆盖裸露土方")
    page.fill("#doc-order-deadline", "2026-12-31")
    # A draft first: a PDF blob opened in a new tab, no number taken.
    with page.expect_popup() as popup:
        page.click("#doc-preview")
    assert popup.value.url.startswith("blob:")
    expect(page.locator("#banner")).to_contain_text("样稿已生成")
    popup.value.close()
    page.click("#doc-issue")
    row = page.locator("#document-list li.document[data-kind=order_to_correct]")
    expect(row).to_have_count(1)
    number = row.locator(".doc-number").inner_text()
    assert re.search(r"环责改字〔\d{4}〕1号$", number), number  # the draft took no number
    run_worker(app)
    expect(row).to_have_attribute("data-state", "issued", timeout=15000)
    with page.expect_download() as download_info:
        row.locator("button.doc-download").click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert number in pdf_text(pdf)

    # A colleague approves the filing first: the page's step meets a 412, says so and shows the new stage.
    _, _, headers = api_json(server.port, "GET", f"/api/v1/cases/{case_id}", supervisor)
    status, body, _ = api_json(
        server.port,
        "POST",
        f"/api/v1/cases/{case_id}/transitions",
        supervisor,
        {"action": "approve_filing"},
        {"If-Match": headers["etag"]},
    )
    assert status == 200, body
    page.click("#action-approve_filing")
    expect(page.locator("#banner")).to_contain_text("他人已先处理")
    expect(page.locator("#case-stage")).to_have_text("调查取证")

    # Serve the advance notice from the page: the hearing-request deadline counts down with its rule.
    page.click("#action-serve_notice")
    expect(page.locator("#case-stage")).to_have_text("告知")
    deadline = page.locator("#deadlines li[data-key=hearing_request]")
    expect(deadline).to_contain_text("剩")
    expect(deadline.locator(".meta")).to_contain_text("工作日")
    status, case, _ = api_json(server.port, "GET", f"/api/v1/cases/{case_id}", supervisor)
    assert case["stage"] == "notice" and case["stages"]["notice_served_on"] is not None

    page.screenshot(path=str(screenshot_path("case-1280x800")), full_page=True)
    page.set_viewport_size(TABLET)
    page.screenshot(path=str(screenshot_path("case-768x1024")), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.set_viewport_size(LAPTOP)

    # Void the order with a reason; its number stays, shown voided.
    row.locator("button.doc-void").click()
    row.locator("input[name=void_reason]").fill("文书内容有误，重新出具")
    row.locator(".void-form button[type=submit]").click()
    expect(page.locator("#document-list li.document[data-kind=order_to_correct]")).to_have_attribute(
        "data-state", "voided"
    )

    # Waive another inspection's failed item, with a reason: no penalty follows from it.
    other: Sent = world["waived"]
    page.goto(f"http://127.0.0.1:{server.port}/console/#/inspections/{other.id}")
    item = page.locator(f"article.item[data-item='{other.failed_item}']")
    expect(item.locator("form.waive-form")).to_be_hidden()
    item.locator("button.waive-open").click()
    item.locator("input.waive-reason").fill("当场已整改完毕，情节轻微")
    item.locator("button.waive-submit").click()
    expect(page.locator("#banner")).to_contain_text("已豁免")
    item = page.locator(f"article.item[data-item='{other.failed_item}']")
    expect(item.locator(".waived")).to_contain_text("当场已整改完毕，情节轻微")
    expect(item.locator("button.waive-open")).to_have_count(0)
    _, waived, _ = api_json(server.port, "GET", f"/api/v1/inspections/{other.id}", supervisor)
    (finding,) = [f for f in waived["findings"] if f["item_key"] == other.failed_item]
    assert finding["waiver"]["reason"] == "当场已整改完毕，情节轻微"
    assert watched.problems == []
