"""Acceptance: the network dies in the middle of a photo upload and the inspector app resumes it.

The phone-shaped Chromium reaches the server only through ``LossyProxy``. Everything is forwarded except two
chunks of the photo's resumable upload: the answer to the chunk at 128 KiB is lost after the server stored it,
and the chunk at 384 KiB never reaches the server. The app must ask the server for its offset each time and
continue from there — never from the start, never re-sending what the server already holds — and the photo
must arrive byte-identical, the inspection submitted once.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import text

from tests.e2e.inspector_app_support import CHECKLIST, FAILED_ITEM, fill_checklist, load_demo, phone, sha256_of, sign_in
from tests.e2e.lossy_proxy import Gunicorn, LossyProxy
from tests.photo_samples import photo_bytes

CHUNK = 128 * 1024  # sync.js CHUNK_BYTES
LARGE_PHOTO = "derived__large_orientation_3.jpg"  # 1.4 MB phone JPEG: eleven chunks


def _patch_at(offset: int):  # noqa: ANN202
    return lambda head: head.startswith("PATCH /api/v1/photos/") and f"\r\nupload-offset: {offset}\r\n" in head.lower()


@pytest.fixture()
def demo(session) -> dict[str, Any]:  # noqa: ANN001
    return load_demo(session)


def test_upload_cut_mid_photo_resumes_from_the_servers_offset(
    chromium: Browser, server: Gunicorn, session, demo: dict[str, Any], tmp_path: Path
) -> None:  # noqa: ANN001
    photo = tmp_path / "large.jpg"
    photo.write_bytes(photo_bytes(LARGE_PHOTO))
    assert photo.stat().st_size > 5 * CHUNK
    guarantee = [(_patch_at(CHUNK), "lost"), (_patch_at(3 * CHUNK), "drop")]
    site_lon, site_lat = demo["lonlat"]["DEMO-CS-001"]
    with LossyProxy(server.port, seed=1, weights={"forward": 1.0}, guarantee=guarantee, max_connections=2000) as proxy:
        context = phone(chromium, site_lon, site_lat)
        page = context.new_page()
        try:
            sign_in(page, f"http://127.0.0.1:{proxy.port}", demo["password"])
            page.locator("[data-test=site][data-site-code='DEMO-CS-001']").click()
            page.click(f"[data-test='start-{CHECKLIST}']")
            fill_checklist(page, [photo], demo["users"]["demo.inspector2"])
            page.click("[data-test=to-review]")
            page.click("[data-test=submit]")
            card = page.locator("[data-test=outbox-item]")
            expect(card).to_have_attribute("data-status", "sent", timeout=90_000)
            expect(card).to_have_attribute("data-state", "submitted")

            # logging out with no network: the data goes at once, the session as soon as the server is reachable
            context.set_offline(True)
            page.on("dialog", lambda d: d.accept())
            page.evaluate("location.hash = '#/'")
            page.click("[data-test=logout]")
            expect(page.locator("[data-test=login]")).to_be_visible(timeout=15_000)
            assert page.evaluate("indexedDB.databases().then((d) => d.length)") == 0
            context.set_offline(False)
            page.reload()
            expect(page.locator("[data-test=login]")).to_be_visible(timeout=15_000)
            assert page.evaluate("localStorage.length") == 0
            refresh = (
                "fetch('/app/session/refresh', {method: 'POST', headers: {'X-Lantian-App': '1'}}).then(r => r.status)"
            )
            assert page.evaluate(refresh) == 401
        finally:
            context.close()
        records = list(proxy.records)

    patches = [
        int(re.search(r"\r\nupload-offset: (\d+)", r.head.lower()).group(1))  # type: ignore[union-attr]
        for r in records
        if r.request_line.startswith("PATCH /api/v1/photos/")
    ]
    modes = Counter(r.mode for r in records)
    assert modes["lost"] == 1 and modes["drop"] == 1, modes
    # Sent from 0 once; after each cut the app asked for the offset and went on from the server's answer:
    # the lost chunk (stored) is not sent again, the dropped one (never arrived) is.
    assert patches[:5] == [0, CHUNK, 2 * CHUNK, 3 * CHUNK, 3 * CHUNK], patches
    assert Counter(patches)[0] == 1 and Counter(patches)[CHUNK] == 1
    assert patches == sorted(patches)
    starts = [r for r in records if r.request_line.startswith("POST /api/v1/photos/") and "/uploads" in r.request_line]
    assert len(starts) == 3  # the first try and one per resume

    session.expire_all()
    rows = session.execute(text("SELECT sha256, size_bytes FROM photos")).all()
    assert [(r.sha256, r.size_bytes) for r in rows] == [(sha256_of(photo), photo.stat().st_size)]
    inspections = session.execute(text("SELECT state, submission_count FROM inspections")).all()
    assert [(r.state, r.submission_count) for r in inspections] == [("submitted", 1)]
    links = session.execute(text("SELECT item_key FROM inspection_photo_links")).all()
    assert [r.item_key for r in links] == [FAILED_ITEM]
