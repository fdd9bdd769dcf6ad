"""The browser harness itself: Debian's Chromium opens a page Lantian serves, under its Content-Security-Policy."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.e2e.lossy_proxy import Gunicorn


def test_chromium_renders_the_api_docs_under_the_content_security_policy(chromium: Browser, server: Gunicorn) -> None:
    context = chromium.new_context()
    violations: list[str] = []
    page = context.new_page()
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    response = page.goto(f"http://127.0.0.1:{server.port}/api/docs")
    assert response is not None and response.status == 200
    assert "content-security-policy" in response.headers
    page.wait_for_selector(".swagger-ui .information-container", timeout=15_000)
    assert "Lantian" in page.title() or "蓝天" in page.title()
    assert violations == []
    context.close()
