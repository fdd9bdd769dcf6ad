"""The console's admin tools in a real headless Chromium against a real gunicorn: an admin sets a checklist
parameter (a refused value shows the API's field error) and the resolved checklist of a site uses it; an admin
sees a job that failed for good (a truncated JPEG: deterministic) with its error and retries it; a 博爱县 admin
reaches neither 山阳区's parameters nor its jobs. Screenshots admin-parameters-1280x800.png and
admin-jobs-1280x800.png go to var/screenshots/."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.wiring import wiring
from tests.e2e.browser import screenshot_path
from tests.e2e.console_support import LAPTOP, TABLET, Watched, api_json, load_demo, sign_in, world_token
from tests.e2e.lossy_proxy import Gunicorn
from tests.factories_jobs import job_status, undecodable_photo_job
from tests.factories_photos import drain_worker

DUST = "construction_dust.henan"
FLOOR = "monitoring_min_floor_area_m2"
SHANYANG = "/410000/410800/410811/"
BOAI_ADMIN_PASSWORD = "boai-admin-password-2026"


@pytest.fixture()
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN")
    try:
        yield context
    finally:
        context.close()


def _boai_admin(server: Gunicorn) -> str:
    """A 博爱县 admin, created by the province's admin through the API → its token."""
    admin = world_token(server, "demo.admin")
    status, body, _ = api_json(
        server.port,
        "POST",
        "/api/v1/users",
        admin,
        {"username": "boai.admin", "password": BOAI_ADMIN_PASSWORD, "role": "admin", "jurisdictions": ["410822"]},
    )
    assert status == 201, body
    status, body, _ = api_json(
        server.port, "POST", "/api/v1/auth/token", "", {"username": "boai.admin", "password": BOAI_ADMIN_PASSWORD}
    )
    assert status == 200, body
    return str(body["access_token"])


def _sign_in_as(page: Page, port: int, username: str, password: str) -> None:
    page.goto(f"http://127.0.0.1:{port}/console/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#topbar:not([hidden])")


def test_admin_sets_a_checklist_parameter_and_the_resolved_checklist_uses_it(
    browser_context: BrowserContext, chromium: Browser, server: Gunicorn, session
) -> None:  # noqa: ANN001
    demo = load_demo(session)
    watched = Watched(browser_context)
    page = watched.page
    sign_in(page, server.port, "demo.admin")
    page.click("a[href='#/admin/parameters']")
    page.select_option("#params-jurisdiction", "410811")
    page.wait_for_selector("#params-table[data-code='410811']")
    row = page.locator(f"#params-table tr[data-key='{DUST}'][data-name='{FLOOR}']")
    expect(row).to_have_attribute("data-source", "jurisdiction")  # the demo sets 5000 for 山阳区
    expect(row.locator(".param-effective")).to_contain_text("5000")

    # A blank reason passes the browser's check but not the API's: its field error is shown by the form.
    row.locator("input[name=value]").fill("8000")
    row.locator("input[name=reason]").fill("   ")
    row.locator("button[type=submit]").click()
    expect(row.locator(".param-errors li[data-path=reason]")).to_have_count(1)

    row.locator("input[name=reason]").fill("山环攻坚办〔2026〕3号：8000平方米以上须在线监测")
    row.locator("button[type=submit]").click()
    expect(page.locator("#banner")).to_contain_text("参数已保存")
    row = page.locator(f"#params-table tr[data-key='{DUST}'][data-name='{FLOOR}']")
    expect(row.locator(".param-effective")).to_contain_text("8000")

    # The resolved checklist of a 山阳区 construction site now uses the value.
    token = world_token(server, "demo.supervisor")
    site_id = demo["sites"]["DEMO-CS-001"]
    status, resolved, _ = api_json(server.port, "GET", f"/api/v1/sites/{site_id}/checklist?key={DUST}", token)
    assert status == 200, resolved
    (dust,) = resolved["checklists"]
    assert dust["parameters"][FLOOR] == 8000

    page.screenshot(path=str(screenshot_path("admin-parameters-1280x800")), full_page=True)

    # Clearing the district's own value: nothing above sets one, so the parameter is unset again.
    row.locator("input[name=reason]").fill("撤销本级设定，待市级统一规定")
    row.locator("button.param-clear").click()
    expect(page.locator("#banner")).to_contain_text("本级设定已清除")
    row = page.locator(f"#params-table tr[data-key='{DUST}'][data-name='{FLOOR}']")
    expect(row).to_have_attribute("data-source", "unset")
    expect(row.locator("button.param-clear")).to_have_count(0)
    page.set_viewport_size(TABLET)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    # English is one click away, as everywhere in the console.
    page.click("#lang-toggle")
    expect(page.locator("#admin-parameters h1")).to_have_text("Checklist parameters")
    assert watched.problems == []

    # A 博爱县 admin: 山阳区 is not among its jurisdictions, and the API does not know it for them.
    boai = _boai_admin(server)
    status, body, _ = api_json(server.port, "GET", "/api/v1/checklist-parameters/410811", boai)
    assert status == 404 and body["code"] == "jurisdiction_not_found"
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN")  # its own cookies: not demo.admin's session
    try:
        other = Watched(context)
        _sign_in_as(other.page, server.port, "boai.admin", BOAI_ADMIN_PASSWORD)
        other.page.goto(f"http://127.0.0.1:{server.port}/console/#/admin/parameters")
        other.page.wait_for_selector("#params-table[data-code='410822']")
        assert "410811" not in other.page.locator("#params-jurisdiction").inner_text()
        assert other.problems == []
    finally:
        context.close()


def test_admin_sees_a_failed_job_and_retries_it(
    browser_context: BrowserContext, server: Gunicorn, session, app: Flask
) -> None:  # noqa: ANN001
    load_demo(session)
    job_id, _ = undecodable_photo_job(session, wiring(app).photo_store, "demo.inspector", SHANYANG)
    # The job worker of `make run`, in a thread (it runs an asyncio loop; Playwright's sync API holds one here).
    worker = threading.Thread(target=lambda: drain_worker(app))
    worker.start()
    worker.join(timeout=120)
    assert job_status(session, job_id) == "failed"

    watched = Watched(browser_context)
    page = watched.page
    sign_in(page, server.port, "demo.admin")
    page.click("a[href='#/admin/jobs']")
    page.select_option("#jobs-status", "failed")
    row = page.locator(f"#jobs-table tr[data-job='{job_id}']")
    expect(row).to_have_attribute("data-status", "failed")
    expect(row.locator(".job-error")).to_contain_text("DerivativesFailed")
    expect(row.locator(".job-attempts")).to_have_text("1")
    page.screenshot(path=str(screenshot_path("admin-jobs-1280x800")), full_page=True)

    row.locator("form.job-action[data-action=retry] input[name=reason]").fill("原图已由检查员重新上传")
    row.locator("form.job-action[data-action=retry] button[type=submit]").click()
    expect(page.locator("#banner")).to_contain_text("排队中")
    expect(page.locator(f"#jobs-table tr[data-job='{job_id}']")).to_have_count(0)  # no longer failed
    page.select_option("#jobs-status", "todo")
    expect(page.locator(f"#jobs-table tr[data-job='{job_id}']")).to_have_attribute("data-status", "todo")
    assert job_status(session, job_id) == "todo"
    page.set_viewport_size(TABLET)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert watched.problems == []

    # A 博爱县 admin neither sees nor retries 山阳区's job.
    boai = _boai_admin(server)
    status, listed, _ = api_json(server.port, "GET", "/api/v1/jobs", boai)
    assert status == 200 and job_id not in {j["id"] for j in listed["items"]}
    status, body, _ = api_json(server.port, "POST", f"/api/v1/jobs/{job_id}/cancel", boai, {"reason": "试探"})
    assert status == 404 and body["code"] == "job_not_found"
    assert job_status(session, job_id) == "todo"
