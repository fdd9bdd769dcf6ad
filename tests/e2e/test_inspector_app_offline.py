"""Acceptance: the inspector app on a phone-shaped Chromium, offline in the middle of an inspection.

A real gunicorn serves the app and the API; Debian's Chromium in mobile emulation (360×640, touch, a GPS fix)
signs in, finds the nearest demo site, fills the construction-dust checklist with one failing item and two
photos from the test data, loses the network, reviews and submits, gets the network back — and the server
ends with the inspection submitted exactly once, the photos byte-identical, and the findings and money shown
on the phone equal to what the server computed.
"""

from __future__ import annotations

import http.client
import json
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import text

from tests.e2e.browser import screenshot_path
from tests.e2e.inspector_app_support import (
    CHECKLIST,
    FAILED_ITEM,
    PHOTO_DIR,
    fill_checklist,
    load_demo,
    phone,
    sha256_of,
    sign_in,
)
from tests.e2e.lossy_proxy import Gunicorn
from tests.factories import issue_tokens

PHOTOS = [PHOTO_DIR / "recurser__Landscape_0.jpg", PHOTO_DIR / "recurser__Landscape_3.jpg"]


@pytest.fixture()
def demo(session) -> dict[str, Any]:  # noqa: ANN001
    return load_demo(session)


def api_call(port: int, token: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):  # noqa: ANN201
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=all_headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.getheader("ETag")
    finally:
        conn.close()


def api_get(port: int, token: str, path: str) -> tuple[int, bytes]:
    status, body, _ = api_call(port, token, "GET", path)
    return status, body


def test_inspection_filled_and_submitted_offline_arrives_once_when_online(
    chromium: Browser, server: Gunicorn, session, demo: dict[str, Any]
) -> None:  # noqa: ANN001
    base = f"http://127.0.0.1:{server.port}"
    site_lon, site_lat = demo["lonlat"]["DEMO-CS-001"]
    context = phone(chromium, site_lon + 0.0004, site_lat + 0.0002)  # ~40 m from the site
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        # ---------------------------------------------------------------- sign in, nearest site first
        sign_in(page, base, demo["password"])
        first = page.locator("[data-test=site]").first
        expect(first).to_have_attribute("data-site-code", "DEMO-CS-001")
        expect(first.locator("[data-test=distance]")).to_contain_text("米")
        page.screenshot(path=str(screenshot_path("inspector-app-sites")))
        # The HttpOnly refresh cookie is invisible to scripts; no token sits in web storage.
        assert page.evaluate("document.cookie") == ""
        assert page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
        page.reload()  # a restart: still signed in through the refresh cookie
        expect(page.locator("[data-test=site]").first).to_have_attribute(
            "data-site-code", "DEMO-CS-001", timeout=20_000
        )
        # search by credit code (统一社会信用代码), then by name
        page.fill("[data-test=search]", "91410811LTDM002054")
        expect(page.locator("[data-test=site]")).to_have_count(1)
        expect(page.locator("[data-test=site]")).to_have_attribute("data-site-code", "DEMO-NRMM-002")
        page.fill("[data-test=search]", "家园住宅")
        expect(page.locator("[data-test=site]").first).to_have_attribute("data-site-code", "DEMO-CS-001")
        expect(page.locator("[data-test=site]")).to_have_count(1)
        first = page.locator("[data-test=site]").first

        # ---------------------------------------------------------------- open the site, fill the checklist
        checklist_answers: list[int] = []
        page.on(
            "response",
            lambda r: checklist_answers.append(r.status) if "/api/v1/checklists/" in r.url else None,
        )
        first.click()
        expect(page.locator(f"[data-test='start-{CHECKLIST}']")).to_be_visible(timeout=20_000)
        page.go_back()
        page.locator("[data-test=site]").first.click()  # again: the checklist version revalidates (ETag, 304)
        page.click(f"[data-test='start-{CHECKLIST}']")
        n = len(checklist_answers) // 2  # one version document per checklist that applies here
        assert n >= 1 and checklist_answers == [200] * n + [304] * n, checklist_answers
        keys = fill_checklist(page, PHOTOS, demo["users"]["demo.inspector2"])
        page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=20_000)
        page.locator(f"[data-test=item][data-key='{FAILED_ITEM}']").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_path("inspector-app-checklist")))

        # ---------------------------------------------------------------- offline: review and submit
        context.set_offline(True)
        page.click("[data-test=to-review]")
        expect(page.locator("[data-test=failed] li")).to_have_count(1)
        expect(page.locator("[data-test=missing-evidence] li")).to_have_count(0)
        expect(page.locator("[data-test=incomplete] li")).to_have_count(0)
        page.click("[data-test=submit]")
        card = page.locator("[data-test=outbox-item]")
        expect(card).to_have_attribute("data-status", "queued", timeout=10_000)
        expect(card.locator("[data-test=status]")).to_contain_text("等待网络", timeout=15_000)
        # The app shell comes from the service worker and the outbox from IndexedDB: a restart offline keeps both.
        page.reload()
        expect(page.locator("[data-test=outbox-item]")).to_have_attribute("data-status", "queued", timeout=15_000)
        expect(page.locator("[data-test=photo-state]")).to_have_count(2)
        page.screenshot(path=str(screenshot_path("inspector-app-outbox")))
        session.expire_all()
        assert session.execute(text("SELECT count(*) FROM inspections")).scalar() == 0

        # ---------------------------------------------------------------- online again: sent once
        context.set_offline(False)
        card = page.locator("[data-test=outbox-item]")
        expect(card).to_have_attribute("data-status", "sent", timeout=60_000)
        expect(card).to_have_attribute("data-state", "submitted")
        expect(card.locator("[data-test=fine]")).to_be_visible(timeout=30_000)
        page.screenshot(path=str(screenshot_path("inspector-app-outbox-sent")))
        inspection_id = card.get_attribute("data-id")
        shown = {
            "failed": card.locator("[data-test=failed-finding]").evaluate_all("els => els.map(e => e.dataset.key)"),
            "fine": card.locator("[data-test=fine]").inner_text(),
            "deduction": card.locator("[data-test=deduction]").inner_text(),
        }

        # ---------------------------------------------------------------- the supervisor returns it: via the feed
        supervisor = issue_tokens(session, "demo.supervisor")["access_token"]
        status, body, etag = api_call(server.port, supervisor, "GET", f"/api/v1/inspections/{inspection_id}")
        assert status == 200
        status, body, _ = api_call(
            server.port,
            supervisor,
            "POST",
            f"/api/v1/inspections/{inspection_id}/return",
            {"comment": "围挡照片请补拍东侧", "item_comments": [{"item_key": FAILED_ITEM, "comment": "补拍东侧围挡"}]},
            {"If-Match": etag or ""},
        )
        assert status == 200, body
        page.click("[data-test=sync]")
        card = page.locator("[data-test=outbox-item]")
        expect(card).to_have_attribute("data-status", "returned", timeout=20_000)
        expect(card).to_contain_text("围挡照片请补拍东侧")
        # the inspector opens it again (the item's comment is shown there), and sends it back
        card.locator("a.block").click()
        expect(page.locator(f"[data-test=item][data-key='{FAILED_ITEM}'] .comment")).to_contain_text("补拍东侧围挡")
        page.click("[data-test=to-review]")
        page.click("[data-test=submit]")
        card = page.locator("[data-test=outbox-item]")
        expect(card).to_have_attribute("data-state", "submitted", timeout=30_000)
        expect(card).to_have_attribute("data-status", "sent")

        # ---------------------------------------------------------------- logout leaves nothing behind
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{base}/app/#/")
        page.click("[data-test=logout]")
        expect(page.locator("[data-test=login]")).to_be_visible(timeout=15_000)
        left = page.evaluate(
            """async () => ({
                dbs: (await indexedDB.databases()).map((d) => d.name),
                caches: await caches.keys(),
            })"""
        )
        assert left == {"dbs": [], "caches": []}, left
        page.reload()
        expect(page.locator("[data-test=login]")).to_be_visible(timeout=15_000)  # the cookie is gone too
    finally:
        context.close()

    # -------------------------------------------------------------------- what the server holds
    session.expire_all()
    q = lambda sql, **kw: session.execute(text(sql), kw).all()  # noqa: E731
    rows = q("SELECT id, state, submission_count, location IS NOT NULL AS located FROM inspections")
    assert [(str(r.id), r.state, r.submission_count, r.located) for r in rows] == [
        (inspection_id, "submitted", 2, True)  # submitted, returned by the supervisor, submitted again
    ]
    audit = Counter(r.action for r in q("SELECT action FROM audit_log WHERE entity_id = :i", i=inspection_id))
    assert audit["inspection.create"] == 1 and audit["inspection.submit"] == 2, audit
    officers = q("SELECT user_id FROM inspection_officers WHERE inspection_id = :i", i=inspection_id)
    assert sorted(r.user_id for r in officers) == sorted(
        [demo["users"]["demo.inspector"], demo["users"]["demo.inspector2"]]
    )

    tokens = issue_tokens(session, "demo.inspector")
    token = tokens["access_token"]
    status, body = api_get(server.port, token, f"/api/v1/inspections/{inspection_id}")
    assert status == 200
    inspection = json.loads(body)
    assert sorted(inspection["answers"]) == sorted(keys)
    # byte-identical originals, hashed here from the files the browser picked
    linked = [p["photo_id"] for p in inspection["photos"] if p["item_key"] == FAILED_ITEM]
    assert len(linked) == 2
    want = sorted(sha256_of(p) for p in PHOTOS)
    got = sorted(r.sha256 for r in q("SELECT sha256 FROM photos"))
    assert got == want
    originals = set()
    for pid in linked:
        status, data = api_get(server.port, token, f"/api/v1/photos/{pid}/original")
        assert status == 200
        originals.add(data)
    assert originals == {p.read_bytes() for p in PHOTOS}

    # the findings and the money the phone shows are the server's
    failed = sorted(f["item_key"] for f in inspection["findings"] if f["verdict"] == "fail")
    assert failed == [FAILED_ITEM] == sorted(shown["failed"])
    status, body = api_get(server.port, token, f"/api/v1/inspections/{inspection_id}/penalties")
    assert status == 200
    totals = json.loads(body)["totals"]
    assert shown["fine"] == f"{totals['statutory_fine']['yuan']} 元"
    assert shown["deduction"] == f"{totals['fiscal_deduction']['yuan']} 元"
    assert not [e for e in errors if "Content Security Policy" in e], errors
