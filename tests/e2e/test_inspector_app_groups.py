"""Acceptance: one NRMM inspection on the phone covers two machines (000#14: each machine its own label, code, stage
and photos). The inspector adds a machine, adds and removes a third, fails the second machine's emission stage,
and submits; the server records one failed finding for that machine with its label. The checklist's section
headings are shown."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import screenshot_path
from tests.e2e.inspector_app_support import PHOTO_DIR, item, load_demo, phone, sign_in
from tests.e2e.lossy_proxy import Gunicorn
from tests.e2e.test_inspector_app_offline import api_get
from tests.factories import issue_tokens

CHECKLIST = "nrmm_labels"
PHOTO = PHOTO_DIR / "recurser__Landscape_0.jpg"
LABELS = ["1号叉车", "2号叉车"]


@pytest.fixture()
def demo(session) -> dict[str, Any]:  # noqa: ANN001
    return load_demo(session)


def answer_machine(page: Page, index: int, *, failing_stage: bool) -> None:
    """Every applicable item of machine ``index`` passes (the card photographed), except its emission stage when
    ``failing_stage`` (China II, photographed)."""
    prefix = f"machines.{index}."
    label = item(page, prefix + "label").locator("[data-test=text]")
    label.fill(LABELS[index])
    label.dispatch_event("change")
    expect(page.locator(f"[data-test=object][data-index='{index}'] h4")).to_contain_text(LABELS[index])
    keys = page.locator("[data-test=item]").evaluate_all(
        "(els, p) => els.map(e => e.dataset.key).filter(k => k.startsWith(p))", prefix
    )
    for key in keys:
        card = item(page, key)
        want = "fail" if failing_stage and key.endswith("emission_stage") else "pass"
        if card.locator("[data-test=verdict-pass]").count():
            card.locator("[data-test=verdict-pass]").click()
        elif card.locator("[data-test=code]").count():
            card.locator("[data-test=code]").fill(f"SY-NRMM-000{index + 1}")
            card.locator("[data-test=code]").dispatch_event("change")
        elif card.locator("[data-test=values]").count():
            card.locator("[data-test=values]").fill("3")
            card.locator("[data-test=values]").dispatch_event("change")
        elif card.locator("[data-test=choice-china_4]").count():
            card.locator("[data-test=choice-china_2]" if failing_stage else "[data-test=choice-china_4]").click()
        else:
            continue
        # each answer re-renders the page: wait for it before touching the next field
        expect(item(page, key).locator("[data-test=verdict]")).to_have_attribute("data-verdict", want)
    for key in (prefix + "info_card_posted", *([prefix + "emission_stage"] if failing_stage else [])):
        item(page, key).locator("[data-test=photo-input]").set_input_files([str(PHOTO)])
        expect(item(page, key).locator("[data-test=photo]")).to_have_count(1, timeout=20_000)
    for key in keys:
        if key == prefix + "label":
            continue
        want = "fail" if failing_stage and key.endswith("emission_stage") else "pass"
        expect(item(page, key).locator("[data-test=verdict]")).to_have_attribute("data-verdict", want)


def test_inspector_adds_two_machines_and_the_failing_one_is_its_own_finding(
    chromium: Browser, server: Gunicorn, session, demo: dict[str, Any]
) -> None:  # noqa: ANN001
    base = f"http://127.0.0.1:{server.port}"
    lon, lat = demo["lonlat"]["DEMO-NRMM-002"]
    context = phone(chromium, lon + 0.0003, lat)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in(page, base, demo["password"])
        # the phone stands ~27 m from the forklift yard: the nearest site
        expect(page.locator("[data-test=site]").first).to_have_attribute("data-site-code", "DEMO-NRMM-002")
        page.click("[data-test=site][data-site-code='DEMO-NRMM-002']")
        page.click(f"[data-test='start-{CHECKLIST}']", timeout=20_000)

        # the checklist's sections as headings, the site's own items first
        headings = page.locator("[data-test=section-heading]")
        expect(headings).to_have_count(2, timeout=20_000)
        expect(headings.first).to_contain_text("场所管理")
        expect(headings.nth(1)).to_contain_text("逐台检查")
        # one machine to start with (min 1): it cannot be removed
        expect(page.locator("[data-test=object]")).to_have_count(1)
        expect(page.locator("[data-test=object-remove]")).to_have_count(0)
        page.click("[data-test=add-machines]")
        expect(page.locator("[data-test=object]")).to_have_count(2)
        page.click("[data-test=add-machines]")
        expect(page.locator("[data-test=object]")).to_have_count(3)
        expect(item(page, "machines.2.emission_stage")).to_be_visible()
        page.locator("[data-test=object][data-index='2'] [data-test=object-remove]").click()
        expect(page.locator("[data-test=object]")).to_have_count(2)
        expect(item(page, "machines.2.emission_stage")).to_have_count(0)

        for key in ("usage_ledger", "forklift_electric"):  # the yard's forklifts (000#14)
            item(page, key).locator("[data-test=verdict-pass]").click()
            expect(item(page, key).locator("[data-test=verdict]")).to_have_attribute("data-verdict", "pass")
        answer_machine(page, 0, failing_stage=False)
        answer_machine(page, 1, failing_stage=True)
        page.select_option("[data-test=officer-kind]", "user")
        page.fill("[data-test=officer-value]", str(demo["users"]["demo.inspector2"]))
        page.click("[data-test=officer-add]")
        expect(page.locator(".officers li")).to_have_count(2)
        page.screenshot(path=str(screenshot_path("inspector-app-two-machines")), full_page=True)

        page.click("[data-test=to-review]")
        expect(page.locator("[data-test=failed] li")).to_have_count(1)
        expect(page.locator("[data-test=failed] li")).to_contain_text("排放阶段")
        expect(page.locator("[data-test=incomplete] li")).to_have_count(0)
        expect(page.locator("[data-test=missing-evidence] li")).to_have_count(0)
        page.click("[data-test=submit]")
        card = page.locator("[data-test=outbox-item]")
        expect(card).to_have_attribute("data-state", "submitted", timeout=60_000)
        inspection_id = card.get_attribute("data-id")
    finally:
        context.close()

    token = issue_tokens(session, "demo.inspector")["access_token"]
    status, body = api_get(server.port, token, f"/api/v1/inspections/{inspection_id}")
    assert status == 200
    inspection = json.loads(body)
    failed = [f for f in inspection["findings"] if f["verdict"] == "fail"]
    assert [f["item_key"] for f in failed] == ["machines.1.emission_stage"]
    assert failed[0]["object"]["label"] == LABELS[1] and failed[0]["object"]["index"] == 1
    assert {f"machines.{m}.info_card_posted" for m in (0, 1)} <= set(inspection["answers"])
    assert not any(k.startswith("machines.2.") for k in inspection["answers"])  # the removed machine is gone
    assert not [e for e in errors if "Content Security Policy" in e], errors
