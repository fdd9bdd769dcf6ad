"""Two supervisor tools in a real headless Chromium against a real gunicorn: on the inspection page, add a finding
the inspector missed (item not failed, verdict, reason, evidence picked among the inspection's photos; without a
photo the API's error is shown) and see the money recomputed (000§五(二): deductions stack per failed measure);
on the case page, correct the party (a mistyped 统一社会信用代码 is refused with its GB 32100 error, a colleague's
earlier change is said and reloaded) and see the correction and its reason in the timeline. A 博爱县 supervisor
reaches neither the case nor its party."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
from tests.factories_photos import drain_worker

MISSED = "material_cover"  # 物料堆放100%覆盖: passed by the phone, failed by the reviewer
CREDIT_CODE = "91410811LTDM00010A"  # passes GB 32100
MISTYPED = "91410811LTDM00010B"  # its check character is wrong


@pytest.fixture()
def world(session, app: Flask, server: Gunicorn) -> dict[str, Any]:  # noqa: ANN001
    demo = load_demo(session)
    phone = Phone(server.port)
    phone.login("demo.inspector", PASSWORD)
    truck = {  # one muck truck (the site hauls muck), passing
        "vehicles.0.plate": {"text": "豫H12345"},
        "vehicles.0.muck_sealed_transport": {"verdict": "pass"},
        "vehicles.0.muck_truck_licensed": {"verdict": "pass"},
    }
    sent = submit_inspection(
        phone, demo, "DEMO-CS-001", "construction_dust.henan", far_photo=False, seed=51, extra_answers=truck
    )
    worker = threading.Thread(target=lambda: drain_worker(app))  # thumbnails, as `make run`'s worker makes them
    worker.start()
    worker.join(timeout=120)
    return {"demo": demo, "sent": sent}


@pytest.fixture()
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN")
    try:
        yield context
    finally:
        context.close()


def test_supervisor_adds_a_missed_finding_and_corrects_the_party(
    browser_context: BrowserContext, chromium: Browser, server: Gunicorn, world: dict[str, Any]
) -> None:
    sent: Sent = world["sent"]
    assert sent.failed_item != MISSED
    watched = Watched(browser_context)
    page = watched.page
    sign_in(page, server.port, "demo.supervisor")
    page.goto(f"http://127.0.0.1:{server.port}/console/#/inspections/{sent.id}")
    fiscal = page.locator("#penalties .totals li[data-kind=fiscal_deduction]")
    expect(fiscal).to_contain_text("¥100,000.00")  # one failed measure

    # The item the inspector passed can be chosen; the one already failed cannot.
    form = page.locator("#finding-form")
    assert form.locator(f"#finding-item option[value='{sent.failed_item}']").count() == 0
    # A group object's item is offered too, named by its object (第1辆「豫H12345」).
    expect(form.locator("#finding-item option[value='vehicles.0.muck_sealed_transport']")).to_contain_text(
        "第1辆「豫H12345」"
    )
    page.select_option("#finding-item", MISSED)
    page.fill("#finding-note", "南侧土方约200平方米未覆盖")
    page.fill("#finding-reason", "复核照片发现未覆盖")
    page.click("#finding-submit")  # no photo: the API asks for evidence, the page lists its error
    expect(page.locator("#finding-errors li[data-code=evidence_required]")).to_have_count(1)

    page.locator(f"#finding-photos label[data-photo='{sent.photo_ids[0]}'] input").check()
    page.click("#finding-submit")
    expect(page.locator("#banner")).to_contain_text("已补充问题")
    item = page.locator(f"article.item[data-item='{MISSED}']")
    expect(item).to_have_class("item failed")
    expect(item.locator(".amendments li[data-kind=add_finding]")).to_contain_text("复核照片发现未覆盖")
    expect(page.locator("#penalties .totals li[data-kind=fiscal_deduction]")).to_contain_text("¥200,000.00")
    supervisor = world_token(server, "demo.supervisor")
    _, inspection, _ = api_json(server.port, "GET", f"/api/v1/inspections/{sent.id}", supervisor)
    (added,) = [a for a in inspection["amendments"] if a["kind"] == "add_finding"]
    assert added["item_key"] == MISSED and added["photos"] == [sent.photo_ids[0]]
    page.locator("#add-finding").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_path("inspection-finding-added-1280x800")))
    page.set_viewport_size(TABLET)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.click("#lang-toggle")  # English alongside, as everywhere in the console
    expect(page.locator("#add-finding h2")).to_have_text("Add a missed finding")
    page.click("#lang-toggle")
    page.set_viewport_size(LAPTOP)

    # Approve: the case opens; correct its party from the case page.
    page.click("#approve")
    expect(page.locator("#inspection-state")).to_have_text("已通过")
    page.click("#inspection-case")
    page.wait_for_url("**#/cases/*")
    case_id = int(page.url.rsplit("/", 1)[1])
    page.click("#party-edit")
    page.select_option("#party-kind", "unit")
    page.fill("#party-name", "焦作市演示建设工程有限公司")
    page.fill("#party-credit-code", MISTYPED)
    page.fill("#party-legal-representative", "王五")
    page.fill("#party-address", "焦作市山阳区建设路8号")
    page.fill("#party-reason", "据营业执照更正")
    page.click("#party-save")
    expect(page.locator("#party-errors li[data-path=credit_code]")).to_contain_text("校验位")

    # A colleague corrects the address first: the page's save meets a 412, says so and reloads.
    _, _, headers = api_json(server.port, "GET", f"/api/v1/cases/{case_id}", supervisor)
    status, body, _ = api_json(
        server.port,
        "PATCH",
        f"/api/v1/cases/{case_id}/party",
        supervisor,
        {"address": "焦作市山阳区建设路6号", "reason": "同事更正地址"},
        {"If-Match": headers["etag"]},
    )
    assert status == 200, body
    page.fill("#party-credit-code", CREDIT_CODE)
    page.click("#party-save")
    expect(page.locator("#banner")).to_contain_text("他人已先处理")
    expect(page.locator("#case-facts")).to_contain_text("建设路6号")

    page.click("#party-edit")
    page.select_option("#party-kind", "unit")
    page.fill("#party-name", "焦作市演示建设工程有限公司")
    page.fill("#party-credit-code", CREDIT_CODE)
    page.fill("#party-legal-representative", "王五")
    page.fill("#party-reason", "据营业执照更正")
    page.click("#party-save")
    expect(page.locator("#banner")).to_contain_text("当事人信息已更正")
    expect(page.locator("#case-party")).to_contain_text("焦作市演示建设工程有限公司")
    expect(page.locator("#case-legal-representative")).to_have_text("王五")
    expect(page.locator("#timeline li[data-kind=party_edited]")).to_have_count(2)
    expect(page.locator("#timeline li[data-kind=party_edited]").last).to_contain_text("据营业执照更正")
    _, case, _ = api_json(server.port, "GET", f"/api/v1/cases/{case_id}", supervisor)
    assert case["party"]["credit_code"] == CREDIT_CODE and case["party"]["legal_representative"] == "王五"
    page.click("#party-edit")
    page.set_viewport_size(TABLET)
    page.screenshot(path=str(screenshot_path("case-party-768x1024")), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert watched.problems == []

    # 博爱县's supervisor: the case does not exist for them, in the API and on the page.
    boai = world_token(server, "demo.boai.supervisor")
    status, _, _ = api_json(server.port, "GET", f"/api/v1/cases/{case_id}", boai)
    assert status == 404
    status, _, _ = api_json(
        server.port,
        "PATCH",
        f"/api/v1/cases/{case_id}/party",
        boai,
        {"name": "某公司", "reason": "试探"},
        {"If-Match": '"1"'},
    )
    assert status == 404
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN")
    try:
        other = Watched(context)
        sign_in(other.page, server.port, "demo.boai.supervisor")
        other.page.goto(f"http://127.0.0.1:{server.port}/console/#/cases/{case_id}")
        expect(other.page.locator("#not-found")).to_be_visible()
        expect(other.page.locator("#party-form")).to_have_count(0)
    finally:
        context.close()
