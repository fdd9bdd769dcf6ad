"""Shared set-up of the inspector-app browser tests: demo data, a phone-shaped browser context, the app's steps."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import text

from app.demo.seed import DEMO_PASSWORD, load_demo_data
from tests.factories_catalogue import install_shipped_checklists, install_shipped_penalty_rules

PHOTO_DIR = Path(__file__).resolve().parents[1] / "data" / "photos"
CHECKLIST = "construction_dust.henan"
FAILED_ITEM = "hoarding"  # 围挡: a check item that needs photo evidence when failed (002#18)


def load_demo(session: Any) -> dict[str, Any]:
    """What ``make run`` boots with: penalty rules, the checklist catalogue, demo geography and accounts."""
    install_shipped_penalty_rules(session)
    install_shipped_checklists(session)
    load_demo_data(session)
    session.commit()
    sites = dict(session.execute(text("SELECT code, id FROM sites WHERE code LIKE 'DEMO-%'")).all())
    users = dict(session.execute(text("SELECT username, id FROM users")).all())
    lonlat = {
        code: tuple(
            session.execute(
                text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM sites WHERE code = :c"),
                {"c": code},
            ).one()
        )
        for code in sites
    }
    return {"sites": sites, "users": users, "lonlat": lonlat, "password": DEMO_PASSWORD}


def phone(chromium: Browser, lon: float, lat: float) -> BrowserContext:
    """A mid-range Android phone: 360×640, touch, GPS fix granted, Chinese locale, Beijing time."""
    return chromium.new_context(
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sign_in(page: Page, base: str, password: str) -> None:
    page.goto(f"{base}/app/")
    page.fill("input[name=username]", "demo.inspector")
    page.fill("input[name=password]", password)
    page.click("[data-test=login]")
    expect(page.locator("[data-test=site]").first).to_be_visible(timeout=20_000)


def item(page: Page, key: str):  # noqa: ANN201
    return page.locator(f"[data-test=item][data-key='{key}']")


def fill_checklist(page: Page, photos: list[Path], colleague_id: int) -> list[str]:
    """Every applicable item passes except FAILED_ITEM, which fails with ``photos``; a second officer is added."""
    expect(page.locator("[data-test=item]").first).to_be_visible(timeout=20_000)
    keys = page.locator("[data-test=item]").evaluate_all("els => els.map(e => e.dataset.key)")
    for key in keys:
        verdict = "fail" if key == FAILED_ITEM else "pass"
        item(page, key).locator(f"[data-test=verdict-{verdict}]").click()
        expect(item(page, key).locator("[data-test=verdict]")).to_have_attribute("data-verdict", verdict)
    item(page, FAILED_ITEM).locator("[data-test=photo-input]").set_input_files([str(p) for p in photos])
    expect(item(page, FAILED_ITEM).locator("[data-test=photo]")).to_have_count(len(photos), timeout=20_000)
    expect(item(page, FAILED_ITEM).locator("[data-test=verdict]")).to_have_attribute("data-verdict", "fail")
    page.select_option("[data-test=officer-kind]", "user")
    page.fill("[data-test=officer-value]", str(colleague_id))
    page.click("[data-test=officer-add]")
    expect(page.locator(".officers li")).to_have_count(2)
    return keys
