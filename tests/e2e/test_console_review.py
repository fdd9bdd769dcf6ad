"""The console in a real headless Chromium against a real gunicorn: a supervisor signs in, works the review
queue, sees an inspection's photos and map, returns one with a comment, approves another, meets a colleague's
earlier decision (412) gracefully; a 博爱县 supervisor finds nothing of 山阳区. Screenshots of the queue, an
inspection and the map at 1280×800 and 768×1024 go to var/screenshots/ (README: Screenshots)."""

from __future__ import annotations

import http.client
import re
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


@pytest.fixture()
def world(session, app: Flask, server: Gunicorn) -> dict[str, Any]:  # noqa: ANN001
    demo = load_demo(session)
    phone = Phone(server.port)
    phone.login("demo.inspector", PASSWORD)
    sent = {
        # the riskiest: a photo ~2 km from the site, and a failed item the server found without a photo
        "far": submit_inspection(phone, demo, "DEMO-NRMM-001", "nrmm_labels", far_photo=True, seed=1),
        "plain": submit_inspection(phone, demo, "DEMO-CS-001", "construction_dust.henan", far_photo=False, seed=11),
        "raced": submit_inspection(phone, demo, "DEMO-CS-002", "construction_dust.henan", far_photo=False, seed=21),
    }
    # Thumbnails and display copies, as the worker of `make run` makes them. In a thread of its own: the worker
    # runs an asyncio loop, and Playwright's sync API holds one in this thread.
    made: list[int] = []
    worker = threading.Thread(target=lambda: made.append(drain_worker(app)))
    worker.start()
    worker.join(timeout=120)
    assert made and made[0] > 0
    return {"demo": demo, "sent": sent}


@pytest.fixture()
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN")
    try:
        yield context
    finally:
        context.close()


def test_supervisor_reviews_the_queue_in_the_browser(browser_context: BrowserContext, server: Gunicorn, world) -> None:  # noqa: ANN001
    sent: dict[str, Sent] = world["sent"]
    watched = Watched(browser_context)
    page = watched.page
    response = page.goto(f"http://127.0.0.1:{server.port}/console/")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    sign_in(page, server.port, "demo.supervisor")

    # The refresh token is an HttpOnly, SameSite=Strict cookie: the page's scripts cannot read it.
    (cookie,) = [c for c in browser_context.cookies() if c["name"] == "lantian_refresh"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/api/v1/auth/browser"
    assert "lantian_refresh" not in page.evaluate("document.cookie")
    assert cookie["value"] not in page.content()

    # The queue: riskiest first with its reasons, counts per state.
    page.wait_for_selector("#queue-list .queue-item")
    rows = page.locator("#queue-list .queue-item")
    expect(rows).to_have_count(3)
    assert rows.first.get_attribute("data-id") == sent["far"].id
    expect(rows.first.locator(".reasons")).to_contain_text("远离")
    expect(page.locator("#state-filter [data-state=submitted]")).to_contain_text("3")
    page.screenshot(path=str(screenshot_path("queue-1280x800")))
    page.set_viewport_size(TABLET)
    page.screenshot(path=str(screenshot_path("queue-768x1024")))
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.set_viewport_size(LAPTOP)

    # Keyboard: j moves down, k back up, Enter opens the selected (top) item.
    page.locator("#queue-list").focus()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("queue-item selected")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**#/inspections/{sent['far'].id}")

    # The inspection: its photos (thumbnails from blob: URLs, the far one flagged) and its map.
    item = page.locator(f"article.item[data-item='{sent['far'].failed_item}']")
    expect(item.locator("img.thumb")).to_have_count(2)
    expect(item.locator("img.thumb").first).to_have_attribute("src", re.compile(r"^blob:"))
    expect(item.locator(".flag-far_from_site")).to_have_count(1)
    # a machine's item (repeatable group, 000#14) is headed by the machine it concerns
    expect(page.locator("article.item[data-item='machines.0.emission_stage'] h3")).to_contain_text("第1台")
    expect(page.locator("#inspection-map path.site-marker")).to_have_count(1)
    expect(page.locator("#inspection-map path.inspection-marker")).to_have_count(1)
    expect(page.locator("#inspection-map path.photo-marker")).to_have_count(len(sent["far"].photo_ids))
    expect(page.locator("#inspection-map path.photo-marker.far")).to_have_count(1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.wait_for_selector("#inspection-map path.zone")  # the site's zones around it
    page.wait_for_selector("#inspection-map path.boundary")
    expect(page.locator("#penalties")).to_be_visible()
    page.screenshot(path=str(screenshot_path("inspection-1280x800")), full_page=True)
    page.set_viewport_size(TABLET)
    page.screenshot(path=str(screenshot_path("inspection-768x1024")), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.set_viewport_size(LAPTOP)

    # The display copy opens from the thumbnail.
    item.locator(".thumb-button").first.click()
    page.wait_for_function(
        "() => { const i = document.querySelector('#lightbox img'); return i && i.complete && i.naturalWidth > 0; }"
    )
    page.locator("#lightbox button", has_text="关闭").click()

    # Return it with a comment on the failed item.
    item.locator("textarea.item-comment").fill("请补拍围挡东侧近景")
    page.fill("#decision-text", "证据不足，请补充")
    page.click("#return")
    expect(page.locator("#inspection-state")).to_have_text("已退回")
    status, body, _ = api_json(
        server.port, "GET", f"/api/v1/inspections/{sent['far'].id}", world_token(server, "demo.admin")
    )
    assert status == 200 and body["state"] == "returned"
    assert body["review"]["item_comments"] == [{"item_key": sent["far"].failed_item, "comment": "请补拍围挡东侧近景"}]

    # Approve another from the queue.
    page.click("a[href='#/queue']")
    page.wait_for_selector(f"#queue-list .queue-item[data-id='{sent['plain'].id}']")
    page.click(f"#queue-list .queue-item[data-id='{sent['plain'].id}'] a.site")
    page.wait_for_selector("#approve")
    page.click("#approve")
    expect(page.locator("#inspection-state")).to_have_text("已通过")

    # A colleague decides first: the page answers the 412 by saying so and showing the current state.
    page.goto(f"http://127.0.0.1:{server.port}/console/#/inspections/{sent['raced'].id}")
    page.wait_for_selector("#reject")
    admin = world_token(server, "demo.admin")
    _, current, headers = api_json(server.port, "GET", f"/api/v1/inspections/{sent['raced'].id}", admin)
    status, _, _ = api_json(
        server.port, "POST", f"/api/v1/inspections/{sent['raced'].id}/approve", admin, {}, {"If-Match": headers["etag"]}
    )
    assert status == 200
    page.fill("#decision-text", "不予认可")
    page.click("#reject")
    expect(page.locator("#banner")).to_contain_text("他人已先处理")
    expect(page.locator("#inspection-state")).to_have_text("已通过")

    # The map: sites over boundaries and zones, click-through to an inspection.
    page.click("a[href='#/map']")
    page.wait_for_selector("#overview-map path.site-marker")
    page.wait_for_selector("#overview-map path.boundary")
    page.wait_for_selector("#overview-map path.zone")
    page.screenshot(path=str(screenshot_path("map-1280x800")))

    page.set_viewport_size(TABLET)
    page.wait_for_timeout(300)  # Leaflet re-fits on resize
    page.screenshot(path=str(screenshot_path("map-768x1024")))

    # Click-through: a site's popup lists its inspections, each opens the inspection.
    page.set_viewport_size(LAPTOP)
    page.wait_for_timeout(300)  # Leaflet re-fits on resize
    # A real click on a marker with inspections that no other marker covers: a forced click at the first one's
    # centre could land on a neighbour drawn over it (or on where it was before the re-fit) and open its popup.
    point = page.evaluate(
        """() => {
          for (const el of document.querySelectorAll('#overview-map path.has-inspections')) {
            const r = el.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (document.elementFromPoint(x, y) === el) return [x, y];
          }
          return null;
        }"""
    )
    assert point is not None, "every marker with inspections is covered by another"
    page.mouse.click(*point)
    page.locator(".leaflet-popup a.popup-inspection").first.click()
    page.wait_for_url(re.compile(r"#/inspections/[0-9a-f-]{36}$"))
    page.wait_for_selector("#inspection-state")

    # English on demand.
    page.click("#lang-toggle")
    expect(page.locator("#nav")).to_contain_text("Review queue")
    page.click("#lang-toggle")

    # A reload keeps the session (the cookie), signing out revokes it: the old cookie no longer refreshes.
    page.reload()
    page.wait_for_selector("#topbar:not([hidden])")
    (cookie,) = [c for c in browser_context.cookies() if c["name"] == "lantian_refresh"]
    page.click("#logout")
    page.wait_for_selector("#login-form")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(
        "POST",
        "/api/v1/auth/browser/refresh",
        headers={"Cookie": f"lantian_refresh={cookie['value']}", "X-Requested-With": "lantian-console"},
    )
    assert conn.getresponse().status == 401
    conn.close()
    assert watched.problems == []


def test_a_boai_supervisor_finds_nothing_of_shanyang(browser_context: BrowserContext, server: Gunicorn, world) -> None:  # noqa: ANN001
    sent: dict[str, Sent] = world["sent"]
    watched = Watched(browser_context)
    page = watched.page
    sign_in(page, server.port, "demo.boai.supervisor")
    page.wait_for_selector("#queue-list li.empty")
    expect(page.locator("#state-filter [data-state=submitted]")).to_contain_text("0")
    page.goto(f"http://127.0.0.1:{server.port}/console/#/inspections/{sent['far'].id}")
    expect(page.locator("#not-found")).to_contain_text("不存在")
    page.goto(f"http://127.0.0.1:{server.port}/console/#/map")
    expect(page.locator("#map-summary")).to_have_text("场所 0 个，检查 0 条")
    assert page.locator("#overview-map path.leaflet-interactive").count() == 0
    assert page.locator("a[href='#/admin']").count() == 0
    assert [p for p in watched.problems if "404" not in p] == []
