"""Acceptance: re-inspection tasks and the party's signature in the inspector app (360×640, touch, GPS fix).

1. A supervisor approves a failed inspection and records an order to correct whose deadline has passed
   (through the API, as the console does): the inspector's phone lists the task above the nearby sites with
   the deadline and what to re-check, loses the network, still lists it (IndexedDB), starts the re-inspection
   from it, submits, gets the network back — and the server holds an inspection whose ``reinspection_of`` is
   the inspection the order came from.
2. The party signs on glass on the review step (pointer events from mouse and touch), the phone goes
   offline, submits, comes back — and the server records the party signature whose SHA-256 is that of the
   PNG the page made (read back from the phone's IndexedDB and hashed here, not taken from the page's word).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from app.cases.queries import case_of_inspection
from app.inspections.models import Inspection
from app.localtime import today_local
from app.penalties.computation import compute_penalties_for_inspection
from app.sites.models import Site
from tests.e2e.browser import screenshot_path
from tests.e2e.inspector_app_support import (
    CHECKLIST,
    FAILED_ITEM,
    PHOTO_DIR,
    fill_checklist,
    load_demo,
    phone,
    sign_in,
)
from tests.e2e.lossy_proxy import Gunicorn
from tests.e2e.test_inspector_app_offline import api_call
from tests.factories import issue_tokens
from tests.factories_penalties import CST, dust_failures, make_inspection

PHOTOS = [PHOTO_DIR / "recurser__Landscape_0.jpg"]


@pytest.fixture()
def demo(session) -> dict[str, Any]:  # noqa: ANN001
    return load_demo(session)


def overdue_order(session, server: Gunicorn, demo: dict[str, Any]) -> tuple[Inspection, dict[str, Any]]:  # noqa: ANN001
    """A failed inspection of DEMO-CS-001 ten days ago, approved by the supervisor (a case opens), and an
    order to correct decided nine days ago with a deadline two days ago: a re-inspection task is due."""
    today = today_local()
    site = session.get(Site, demo["sites"]["DEMO-CS-001"])
    first = make_inspection(
        session,
        site,
        dust_failures(FAILED_ITEM),
        started_at=datetime.combine(today - timedelta(days=10), time(9, 0), tzinfo=CST),
        checklist_key=CHECKLIST,
        created_by=demo["users"]["demo.inspector"],
    )
    compute_penalties_for_inspection(session, first)
    session.commit()
    supervisor = issue_tokens(session, "demo.supervisor")["access_token"]
    status, body, etag = api_call(server.port, supervisor, "GET", f"/api/v1/inspections/{first.id}")
    assert status == 200, body
    status, body, _ = api_call(
        server.port, supervisor, "POST", f"/api/v1/inspections/{first.id}/approve", {}, {"If-Match": etag or ""}
    )
    assert status == 200, body
    session.rollback()
    case = case_of_inspection(session, first.id)
    assert case is not None
    status, body, etag = api_call(server.port, supervisor, "GET", f"/api/v1/cases/{case.id}")
    assert status == 200, body
    decided = (today - timedelta(days=9)).isoformat()
    deadline = (today - timedelta(days=2)).isoformat()
    status, body, _ = api_call(
        server.port,
        supervisor,
        "POST",
        f"/api/v1/cases/{case.id}/orders",
        {"decided_on": decided, "served_on": decided, "deadline": deadline},
        {"If-Match": etag or ""},
    )
    assert status == 200, body
    [order] = json.loads(body)["orders"]
    assert order["item_keys"] == [FAILED_ITEM] and order["deadline"] == deadline
    return first, order


def console_errors(page: Page) -> list[str]:
    """Uncaught script errors (a 401 from the refresh at start, before signing in, is the network's, not ours)."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_a_task_past_its_deadline_is_listed_and_its_reinspection_reaches_the_server(
    chromium: Browser, server: Gunicorn, session, demo: dict[str, Any]
) -> None:  # noqa: ANN001
    first, order = overdue_order(session, server, demo)
    base = f"http://127.0.0.1:{server.port}"
    far_lon, far_lat = demo["lonlat"]["DEMO-NRMM-002"]  # standing elsewhere: the task still comes first
    context = phone(chromium, far_lon, far_lat)
    page = context.new_page()
    errors = console_errors(page)
    try:
        sign_in(page, base, demo["password"])
        task = page.locator("[data-test=task]")
        expect(task).to_have_count(1, timeout=20_000)
        expect(task).to_have_attribute("data-order-id", str(order["id"]))
        expect(task.locator("[data-test=deadline]")).to_contain_text(f"整改期限 {order['deadline']}")
        expect(task.locator("[data-test=overdue]")).to_contain_text("逾期 2 天")
        # named by its prompt once the phone has fetched the task site's checklists (kept for offline use)
        expect(task.locator("[data-test=recheck]")).to_contain_text("复查：工地周边100%围挡", timeout=20_000)
        # the task list sits above the nearby sites
        tasks_box = page.locator("[data-test=tasks]").bounding_box()
        sites_box = page.locator("[data-test=sites]").bounding_box()
        assert tasks_box and sites_box and tasks_box["y"] < sites_box["y"]
        page.screenshot(path=str(screenshot_path("inspector-app-tasks")))

        # ------------------------------------------------------------ offline: the task, its site and checklists are kept
        page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=20_000)
        context.set_offline(True)
        page.reload()
        task = page.locator("[data-test=task]")
        expect(page.locator("[data-test=tasks]")).to_contain_text("离线：上次同步的任务", timeout=20_000)
        expect(task.locator("[data-test=deadline]")).to_contain_text(f"整改期限 {order['deadline']}")
        expect(task.locator("[data-test=recheck]")).to_contain_text("工地周边100%围挡")
        task.click()
        banner = page.locator("[data-test=task-banner]")
        expect(banner).to_contain_text(order["deadline"])
        expect(page.locator(f"[data-test='start-{CHECKLIST}']")).to_contain_text("开始复查", timeout=20_000)
        expect(banner.locator("[data-test=recheck]")).to_contain_text("围挡")  # the prompt, now the checklist is in
        page.click(f"[data-test='start-{CHECKLIST}']")
        expect(page.locator("[data-test=reinspection]")).to_contain_text(order["deadline"], timeout=20_000)
        expect(page.locator("[data-test=recheck-item]")).to_have_count(1)
        expect(page.locator(f"[data-test=item][data-key='{FAILED_ITEM}'] [data-test=recheck-item]")).to_be_visible()
        fill_checklist(page, PHOTOS, demo["users"]["demo.inspector2"])
        page.click("[data-test=to-review]")
        page.click("[data-test=submit]")
        card = page.locator("[data-test=outbox-item]:not([data-status=remote])")  # the first visit is in the feed too
        expect(card.locator("[data-test=status]")).to_contain_text("等待网络", timeout=15_000)
        context.set_offline(False)
        expect(card).to_have_attribute("data-status", "sent", timeout=60_000)
        expect(card).to_have_attribute("data-state", "submitted")
        expect(card.locator("h3")).to_contain_text("复查")
        reinspection_id = card.get_attribute("data-id")

        # back home: the task stays until a supervisor approves the re-inspection, marked as begun
        page.goto(f"{base}/app/#/")
        expect(page.locator("[data-test=task]")).to_contain_text("已有复查在进行", timeout=20_000)
        assert errors == [], errors
    finally:
        context.close()

    session.expire_all()
    rows = session.execute(
        text("SELECT id, state, reinspection_of_id FROM inspections WHERE id <> :first"), {"first": first.id}
    ).all()
    assert [(str(r.id), r.state, r.reinspection_of_id) for r in rows] == [(reinspection_id, "submitted", first.id)]


def drag(page: Page, box: dict[str, float], points: list[tuple[float, float]]) -> None:
    """One stroke with the mouse through ``points`` (fractions of the canvas)."""
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0] * box["width"], y0 + points[0][1] * box["height"])
    page.mouse.down()
    for fx, fy in points[1:]:
        page.mouse.move(x0 + fx * box["width"], y0 + fy * box["height"], steps=4)
    page.mouse.up()


PNG_FROM_IDB = """async (id) => {
  const db = await new Promise((ok, ko) => { const r = indexedDB.open("lantian-inspector"); r.onsuccess = () => ok(r.result); r.onerror = ko; });
  const photo = await new Promise((ok, ko) => {
    const r = db.transaction("photos").objectStore("photos").get(id); r.onsuccess = () => ok(r.result); r.onerror = ko;
  });
  db.close();
  const bytes = new Uint8Array(await photo.original.arrayBuffer());
  let s = ""; for (const b of bytes) s += String.fromCharCode(b);
  return { b64: btoa(s), mime: photo.mime, kind: photo.kind, sha256: photo.sha256 };
}"""


def test_the_party_signs_on_glass_offline_and_the_server_keeps_the_same_png(
    chromium: Browser, server: Gunicorn, session, demo: dict[str, Any]
) -> None:  # noqa: ANN001
    base = f"http://127.0.0.1:{server.port}"
    site_lon, site_lat = demo["lonlat"]["DEMO-CS-001"]
    context = phone(chromium, site_lon + 0.0004, site_lat + 0.0002)
    page = context.new_page()
    errors = console_errors(page)
    try:
        sign_in(page, base, demo["password"])
        expect(page.locator("[data-test=no-tasks]")).to_have_count(1)  # no order past its deadline: no task list
        page.locator("[data-test=site]").first.click()
        page.click(f"[data-test='start-{CHECKLIST}']")
        fill_checklist(page, PHOTOS, demo["users"]["demo.inspector2"])
        page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=20_000)
        page.click("[data-test=to-review]")

        pad = page.locator("[data-test=signature-pad]")
        pad.scroll_into_view_if_needed()
        expect(page.locator("[data-test=signature-save]")).to_be_disabled()  # nothing drawn yet
        box = pad.bounding_box()
        assert box and box["width"] > 250 and box["height"] > 100
        # a refusal must name its witness before anything is kept
        page.select_option("[data-test=signature-mode]", "refused")
        drag(page, box, [(0.1, 0.5), (0.3, 0.3)])
        page.click("[data-test=signature-save]")
        expect(page.locator("[data-test=signature-status]")).to_contain_text("见证人")
        expect(page.locator("[data-test=signature-saved]")).to_have_count(0)
        # the party signs after all: clear, two mouse strokes and a tap of the finger
        page.select_option("[data-test=signature-mode]", "signed")
        page.click("[data-test=signature-clear]")
        expect(page.locator("[data-test=signature-save]")).to_be_disabled()
        drag(page, box, [(0.1, 0.7), (0.2, 0.2), (0.3, 0.7), (0.4, 0.2)])
        drag(page, box, [(0.5, 0.5), (0.9, 0.5)])
        page.touchscreen.tap(box["x"] + 0.95 * box["width"], box["y"] + 0.6 * box["height"])
        page.fill("[data-test=signer-name]", "张某")
        page.click("[data-test=signature-save]")
        saved = page.locator("[data-test=signature-saved]")
        expect(saved).to_be_visible(timeout=10_000)
        photo_id = saved.get_attribute("data-photo-id")
        shown_sha = saved.get_attribute("data-sha256")
        png = page.evaluate(PNG_FROM_IDB, photo_id)
        data = base64.b64decode(png["b64"])
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and (png["mime"], png["kind"]) == ("image/png", "signature")
        sha = hashlib.sha256(data).hexdigest()
        assert sha == shown_sha == png["sha256"]
        expect(saved.locator("img")).to_be_visible()  # the signature as kept, in place of the empty pad
        expect(pad).to_be_hidden()
        saved.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_path("inspector-app-signature")))

        # ------------------------------------------------------------ offline: submit; online: sent with the signature
        context.set_offline(True)
        page.click("[data-test=submit]")
        card = page.locator("[data-test=outbox-item]")
        expect(card.locator("[data-test=status]")).to_contain_text("等待网络", timeout=15_000)
        expect(card.locator("[data-test=signature-state]")).to_have_attribute("data-state", "pending")
        session.expire_all()
        assert session.execute(text("SELECT count(*) FROM party_signatures")).scalar() == 0
        context.set_offline(False)
        expect(card).to_have_attribute("data-status", "sent", timeout=60_000)
        expect(card.locator("[data-test=signature-state]")).to_have_attribute("data-state", "recorded")
        inspection_id = card.get_attribute("data-id")
        assert errors == [], errors
    finally:
        context.close()

    session.expire_all()
    rows = session.execute(
        text(
            "SELECT s.inspection_id, s.photo_id, s.photo_sha256, s.status, s.signer_name, p.sha256 AS stored, p.mime"
            " FROM party_signatures s JOIN photos p ON p.id = s.photo_id"
        )
    ).all()
    assert [(str(r.inspection_id), str(r.photo_id), r.status, r.signer_name, r.mime) for r in rows] == [
        (inspection_id, photo_id, "signed", "张某", "image/png")
    ]
    assert rows[0].photo_sha256 == rows[0].stored == sha
    audit = session.execute(
        text("SELECT count(*) FROM audit_log WHERE action = 'party_signature.record' AND entity_id = :i"),
        {"i": inspection_id},
    ).scalar()
    assert audit == 1
