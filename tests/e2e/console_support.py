"""Data for the console's browser tests: ``make run``'s demo world, and inspections sent by a scripted phone
over HTTP to the real server (real JPEGs with EXIF GPS and capture time), their derivatives made by a worker
run in-process, so the console shows what a supervisor would see on the first morning."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo.seed import DEMO_PASSWORD, load_demo_data
from tests.e2e.lossy_proxy import Gunicorn, Phone
from tests.factories_catalogue import install_shipped_checklists, install_shipped_penalty_rules
from tests.factories_checklists import shipped_version
from tests.factories_inspections import passing_answer

LOCAL = ZoneInfo("Asia/Shanghai")
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PASSWORD = DEMO_PASSWORD


def load_demo(session: Session) -> dict[str, Any]:
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
    return {"sites": sites, "users": users, "lonlat": lonlat}


def _dms(value: float) -> tuple[float, float, float]:
    deg = int(value)
    minutes = int((value - deg) * 60)
    return (float(deg), float(minutes), round(((value - deg) * 60 - minutes) * 60, 4))


def camera_jpeg(lon: float, lat: float, taken: datetime, seed: int) -> bytes:
    """A real JPEG with EXIF capture time (+08:00) and GPS, as a phone camera writes it."""
    image = Image.new("RGB", (640, 480), ((seed * 67) % 256, (seed * 131) % 256, (seed * 29) % 256))
    for x in range(0, 640, 32):
        image.paste(((x * seed) % 256, 90, 160), (x, (x * 3 + seed) % 400, x + 16, (x * 3 + seed) % 400 + 60))
    exif = Image.Exif()
    exif[0x010F] = "Lantian"
    exif[0x0110] = "ScriptedPhone"
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif_ifd[0x9011] = "+08:00"
    exif.get_ifd(0x8825).update({1: "N", 2: _dms(lat), 3: "E", 4: _dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


@dataclass
class Sent:
    """An inspection the phone submitted."""

    id: str
    site_code: str
    failed_item: str
    photo_ids: list[str] = field(default_factory=list)


def submit_inspection(
    phone: Phone,
    demo: dict[str, Any],
    site_code: str,
    checklist_key: str,
    *,
    far_photo: bool,
    seed: int,
    extra_answers: dict[str, Any] | None = None,
) -> Sent:
    """One inspection through the API as the phone sends it: one failed item with two photos (the second taken
    ~2 km away when ``far_photo``), every other item passing, then submitted. ``extra_answers`` adds answers the
    resolved item list does not name (a repeatable group's objects, ``<group>.<index>.<item>``)."""
    started = datetime.now(LOCAL).replace(microsecond=0) - timedelta(hours=1)
    site_id = demo["sites"][site_code]
    lon, lat = demo["lonlat"][site_code]
    resolved = phone.json(
        "GET",
        f"/api/v1/sites/{site_id}/checklist?key={checklist_key}&date={started.date().isoformat()}&alert_level=none",
    )
    assert resolved.status == 200, resolved.body
    (checklist,) = resolved.body["checklists"]
    items = checklist["items"]
    answers = {i["key"]: passing_answer(i) for i in items}
    photos: dict[str, bytes] = {}

    def photo(dlon: float, dlat: float) -> str:
        pid = str(uuid.uuid4())
        photos[pid] = camera_jpeg(
            lon + dlon, lat + dlat, started + timedelta(minutes=10 + len(photos)), seed + len(photos)
        )
        return pid

    for item in items:
        ev = item.get("evidence") or {}
        if ev.get("always"):
            answers[item["key"]]["photos"] = [photo(0.0001, 0.0001) for _ in range(max(1, ev.get("min_photos", 1)))]
    fail = next(
        i
        for i in items
        if i["kind"] == "check"
        and (i.get("evidence") or {}).get("photos_when_failed")
        and not answers[i["key"]].get("photos")
    )
    evidence = [photo(0.0002, 0.0001), photo(0.02, 0.01) if far_photo else photo(0.0003, 0.0002)]
    answers[fail["key"]] = {"verdict": "fail", "note": "现场发现问题 / problem found on site", "photos": evidence}
    answers.update(extra_answers or {})
    for pid, data in photos.items():
        put = phone.request(
            "PUT",
            f"/api/v1/photos/{pid}",
            body=data,
            headers={"Content-Type": "application/octet-stream", "X-Content-SHA256": hashlib.sha256(data).hexdigest()},
        )
        assert put.status in (200, 201), put.body
    inspection_id = str(uuid.uuid4())
    body = {
        "site_id": site_id,
        "checklist_key": checklist_key,
        "checklist_version": shipped_version(checklist_key),
        "officers": [demo["users"]["demo.inspector"], demo["users"]["demo.inspector2"]],
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=40)).isoformat(),
        "location": {"lon": lon + 0.0002, "lat": lat, "accuracy_m": 6.0, "crs": "wgs84"},
        "alert_level": "none",
        "answers": answers,
    }
    created = phone.json("PUT", f"/api/v1/inspections/{inspection_id}", body)
    assert created.status == 201, created.body
    submitted = phone.json(
        "POST", f"/api/v1/inspections/{inspection_id}/submit", headers={"If-Match": created.etag or ""}
    )
    assert submitted.status == 200, submitted.body
    return Sent(inspection_id, site_code, fail["key"], list(photos))


class Watched:
    """A page whose CSP violations and uncaught script errors are collected (both must stay empty)."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.problems: list[str] = []
        self.page = context.new_page()
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(m.text)
                if "Content Security Policy" in m.text or m.type == "error" and "status of 4" not in m.text
                else None
            ),
        )
        self.page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))


def api_json(
    port: int, method: str, path: str, token: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=sent)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else None, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def sign_in(page: Page, port: int, username: str) -> None:
    page.goto(f"http://127.0.0.1:{port}/console/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#topbar:not([hidden])")


def world_token(server: Gunicorn, username: str) -> str:
    phone = Phone(server.port)
    phone.login(username, PASSWORD)
    assert phone.token is not None
    return phone.token
