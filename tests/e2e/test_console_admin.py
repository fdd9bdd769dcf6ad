"""The console's admin page in a real headless Chromium: an admin sets an amount the plan leaves "to be set by
the jurisdiction" (with the document that sets it), creates a user and disables them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.console_support import LAPTOP, PASSWORD, Watched, load_demo, sign_in
from tests.e2e.lossy_proxy import Gunicorn, Phone

RULE = "fiscal.open_burning_waste_leaves"  # 000§五(二): per 焦办〔2016〕37号, no amount in the plan


@pytest.fixture()
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport=LAPTOP, locale="zh-CN")
    try:
        yield context
    finally:
        context.close()


def test_admin_sets_a_to_be_set_amount_and_manages_users(
    browser_context: BrowserContext, server: Gunicorn, session
) -> None:  # noqa: ANN001
    load_demo(session)
    watched = Watched(browser_context)
    page = watched.page
    sign_in(page, server.port, "demo.admin")
    page.click("a[href='#/admin']")
    page.wait_for_selector("#users tbody tr")
    page.select_option("#settings-jurisdiction", "410811")
    # The forms of the jurisdiction first shown are replaced once 410811's settings arrive: wait for those.
    page.wait_for_selector("#penalty-settings[data-code='410811']")
    form = page.locator(f"form.amount-form[data-rule='{RULE}']")
    expect(form).to_be_visible()
    expect(page.locator("#penalty-settings li.to-be-set", has=form)).to_contain_text("待本辖区设定")
    form.locator("input[name=amount]").fill("500")
    form.locator("input[name=document_ref]").fill("焦办〔2016〕37号")
    form.locator("button[type=submit]").click()
    expect(page.locator("#banner")).to_contain_text("设置已保存")
    expect(page.locator("#penalty-settings li.set", has=page.locator(f"form[data-rule='{RULE}']"))).to_contain_text(
        "¥500.00"
    )

    admin = Phone(server.port)
    admin.login("demo.admin", PASSWORD)
    settings = admin.json("GET", "/api/v1/penalties/settings/410811")
    assert settings.status == 200
    amount = settings.body["amounts"][RULE]
    assert amount["amount_fen"] == 50000 and amount["document_ref"] == "焦办〔2016〕37号"

    # A user: created, then disabled (which revokes their sessions).
    page.fill("#create-user input[name=username]", "console.new")
    page.fill("#create-user input[name=password]", "a-long-enough-password")
    page.select_option("#create-user select[name=role]", "inspector")
    page.select_option("#create-user select[name=jurisdiction]", "410811")
    page.click("#create-user button[type=submit]")
    row = page.locator("#users tr[data-user='console.new']")
    expect(row.locator("td.status")).to_have_text("启用")
    row.locator("button.toggle-active").click()
    expect(page.locator("#users tr[data-user='console.new'] td.status")).to_have_text("停用")
    refused = Phone(server.port).json(
        "POST", "/api/v1/auth/token", {"username": "console.new", "password": "a-long-enough-password"}
    )
    assert refused.status == 403 and refused.body["code"] == "account_disabled"
    assert watched.problems == []
