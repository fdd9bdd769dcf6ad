"""Acceptance: a phone on a lossy link ends with exactly what it meant to send.

A real gunicorn (2 gthread workers) serves the test run's PostGIS database. A scripted phone talks to it
through ``LossyProxy``, which per connection forwards, drops the request, loses the response after the
server committed, or truncates the response (seeded, so every run is the same). The phone retries every
request with the same UUID and body until it gets a definitive answer, handles a 412 from a colleague's
concurrent edit by re-reading and merging, and submits. The database is then checked directly: no missing
and no duplicated inspections, photos, links, findings, penalty computations or audit entries, and every
stored original is byte-identical to what the phone made.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import text

from tests.e2e.lossy_proxy import Gunicorn, LossyProxy, Phone
from tests.factories_catalogue import install_shipped_checklists, install_shipped_penalty_rules
from tests.factories_checklists import shipped_version
from tests.factories_inspections import passing_answer
from tests.photo_samples import photo_bytes

# A large phone JPEG from the test samples (1.4 MB, 3264×2448, its own EXIF, no GPS near our sites).
REAL_PHOTO = "derived__large_orientation_3.jpg"
LOCAL = ZoneInfo("Asia/Shanghai")
SEED = 20261120
# 40 % of connections lose something (drawn from SEED) ...
WEIGHTS = {"forward": 0.60, "drop": 0.13, "lost": 0.14, "truncate": 0.13}


def write_kind(head: str) -> str | None:
    """Which of the phone's writes a request is (None: a read or the login)."""
    line = head.split("\r\n", 1)[0]
    if line.startswith("PUT /api/v1/photos/"):
        return "photo upload"
    if line.startswith("PUT /api/v1/inspections/"):
        return "inspection edit" if "\r\nif-match:" in head.lower() else "inspection create"
    if line.startswith("POST /api/v1/inspections/") and "/submit " in line:
        return "submit"
    return None


WRITES = ("photo upload", "inspection create", "inspection edit", "submit")
# ... and, whatever the seed draws, each kind of write meets each loss mode at least once.
GUARANTEE = [
    ((lambda head, k=kind: write_kind(head) == k), mode) for mode in ("lost", "truncate", "drop") for kind in WRITES
]
COLLEAGUE_NOTE = "同事补充：东侧围挡已拍照 / colleague: east hoarding photographed"


# ============================================================================ fixtures


@pytest.fixture()
def demo(session) -> dict[str, Any]:  # noqa: ANN001
    """What ``make run`` boots with: penalty rules, the checklist catalogue, demo geography and accounts."""
    from app.demo.seed import DEMO_PASSWORD, load_demo_data

    install_shipped_penalty_rules(session)  # as the syncs `make run` does leave an empty database
    install_shipped_checklists(session)
    load_demo_data(session)
    session.commit()
    sites = dict(session.execute(text("SELECT code, id FROM sites WHERE code LIKE 'DEMO-%'")).all())
    users = dict(session.execute(text("SELECT username, id FROM users")).all())
    lonlat = {
        code: session.execute(
            text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM sites WHERE code = :c"),
            {"c": code},
        ).one()
        for code in sites
    }
    return {"sites": sites, "users": users, "lonlat": lonlat, "password": DEMO_PASSWORD}


# ============================================================================ what the phone makes


def _dms(value: float) -> tuple[float, float, float]:
    deg = int(value)
    minutes = int((value - deg) * 60)
    seconds = round(((value - deg) * 60 - minutes) * 60, 4)
    return (float(deg), float(minutes), seconds)


def camera_jpeg(lon: float, lat: float, taken: datetime, seed: int) -> bytes:
    """A real JPEG with EXIF capture time (+08:00) and a GPS fix, like a phone camera writes."""
    image = Image.new("RGB", (320, 240), ((seed * 67) % 256, (seed * 131) % 256, (seed * 29) % 256))
    for x in range(0, 320, 16):  # some structure so every photo differs in more than its colour
        image.paste(((x * seed) % 256, 90, 160), (x, (x * 7 + seed) % 200, x + 8, (x * 7 + seed) % 200 + 30))
    exif = Image.Exif()
    exif[0x010F] = "Lantian"  # Make
    exif[0x0110] = "ScriptedPhone"  # Model
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    exif_ifd[0x9011] = "+08:00"  # OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: _dms(lat), 3: "E", 4: _dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


@dataclass
class Planned:
    """One inspection the phone means to send, and everything it expects the server to end with."""

    id: str
    site_code: str
    checklist_key: str
    photos: dict[str, bytes]  # photo uuid -> bytes
    link_before_upload: bool = False  # link photos in the PUT first, upload them afterwards (offline capture)
    colleague_edits_first: bool = False  # a colleague edits the draft so the phone's If-Match is stale (412)
    applicable: list[str] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_item: str | None = None
    etag: str | None = None
    saw_412: bool = False


def plan_answers(plan: Planned, items: list[dict[str, Any]]) -> None:
    """Pass every applicable item; fail one check item with photo evidence; put every photo somewhere."""
    plan.applicable = [i["key"] for i in items]
    plan.answers = {i["key"]: passing_answer(i) for i in items}
    photo_ids = list(plan.photos)
    for item in items:  # items that always need a photo get one each
        ev = item.get("evidence") or {}
        if ev.get("always") and photo_ids:
            need = max(1, ev.get("min_photos", 1))
            plan.answers[item["key"]]["photos"], photo_ids = photo_ids[:need], photo_ids[need:]
    fail = next(
        i
        for i in items
        if i["kind"] == "check"
        and (i.get("evidence") or {}).get("photos_when_failed")
        and not plan.answers[i["key"]].get("photos")
    )
    plan.failed_item = fail["key"]
    need = max(1, (fail.get("evidence") or {}).get("min_photos", 1))
    remaining = photo_ids or list(plan.photos)[:need]
    plan.answers[fail["key"]] = {"verdict": "fail", "note": "现场发现问题 / problem found on site", "photos": remaining}


def put_body(
    plan: Planned,
    site_id: int,
    officers: list[int],
    started: datetime,
    answers: dict[str, Any] | None,
    lonlat: tuple[float, float],
    note: str | None = None,
) -> dict[str, Any]:
    body = {
        "site_id": site_id,
        "checklist_key": plan.checklist_key,
        "checklist_version": shipped_version(plan.checklist_key),
        "officers": officers,
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=40)).isoformat(),
        "location": {"lon": lonlat[0], "lat": lonlat[1], "accuracy_m": 6.0, "crs": "wgs84"},
        "alert_level": "none",
        "answers": answers or {},
    }
    if note is not None:
        body["note"] = note
    return body


# ============================================================================ the phone's script


def upload_photo(phone: Phone, photo_id: str, data: bytes) -> None:
    answer = phone.request(
        "PUT",
        f"/api/v1/photos/{photo_id}",
        body=data,
        headers={"Content-Type": "application/octet-stream", "X-Content-SHA256": hashlib.sha256(data).hexdigest()},
    )
    assert answer.status in (200, 201), answer.body
    assert answer.body["sha256"] == hashlib.sha256(data).hexdigest()


def put_inspection(phone: Phone, plan: Planned, body: dict[str, Any]) -> dict[str, Any]:
    """PUT with If-Match = the last ETag seen; on 412 re-read, merge (keep the server's note, the phone's
    answers and every photo link), and PUT again with the fresh ETag."""
    path = f"/api/v1/inspections/{plan.id}"
    for _ in range(5):
        headers = {"If-Match": plan.etag} if plan.etag else {}
        answer = phone.json("PUT", path, body, headers=headers)
        if answer.status in (412, 428):
            # 412: someone changed it since our ETag. 428: our create's answer was lost and someone else
            # edited before our retry, so the retry (no If-Match) is no longer a replay. Either way: merge.
            plan.saw_412 = True
            current = phone.json("GET", path)
            assert current.status == 200, current.body
            plan.etag = current.etag
            server = current.body
            merged = dict(body)
            if server.get("note") and not body.get("note"):
                merged["note"] = server["note"]
            merged["answers"] = {k: dict(v) for k, v in body["answers"].items()}
            for key, theirs in server["answers"].items():
                mine = merged["answers"].setdefault(key, {k: v for k, v in theirs.items() if k != "photos"})
                mine["photos"] = list(dict.fromkeys([*(mine.get("photos") or []), *theirs.get("photos", [])]))
            body = merged
            continue
        assert answer.status in (200, 201), answer.body
        plan.etag = answer.etag
        return body
    raise AssertionError(f"{path}: still 412 after merging")


def run_phone(
    phone: Phone, colleague: Phone, plans: list[Planned], demo: dict[str, Any], started: datetime
) -> dict[str, dict[str, Any]]:
    """Returns the last body the phone PUT for each inspection (what the server must hold)."""
    officers = [demo["users"]["demo.inspector"], demo["users"]["demo.inspector2"]]
    final_bodies: dict[str, dict[str, Any]] = {}
    for plan in plans:
        site_id = demo["sites"][plan.site_code]
        lonlat = demo["lonlat"][plan.site_code]
        resolved = phone.json(
            "GET",
            f"/api/v1/sites/{site_id}/checklist?key={plan.checklist_key}"
            f"&date={started.date().isoformat()}&alert_level=none",
        )
        assert resolved.status == 200, resolved.body
        (checklist,) = resolved.body["checklists"]
        plan_answers(plan, checklist["items"])

        # 1. create the draft (no answers yet): no If-Match
        draft = put_body(plan, site_id, officers, started, None, lonlat)
        put_inspection(phone, plan, draft)
        if plan.colleague_edits_first:
            # the colleague (officer on the same inspection, good signal) adds a note from their own phone
            seen = colleague.json("GET", f"/api/v1/inspections/{plan.id}")
            edited = colleague.json(
                "PUT",
                f"/api/v1/inspections/{plan.id}",
                {**draft, "note": COLLEAGUE_NOTE},
                headers={"If-Match": seen.etag or ""},
            )
            assert edited.status == 200, edited.body
        # 2. photos and the full answers (order depends on the plan), 3. submit
        full = put_body(plan, site_id, officers, started, plan.answers, lonlat)
        if plan.link_before_upload:
            final_bodies[plan.id] = put_inspection(phone, plan, full)
            for pid, data in plan.photos.items():
                upload_photo(phone, pid, data)
        else:
            for pid, data in plan.photos.items():
                upload_photo(phone, pid, data)
            final_bodies[plan.id] = put_inspection(phone, plan, full)
        submitted = phone.json("POST", f"/api/v1/inspections/{plan.id}/submit", headers={"If-Match": plan.etag or ""})
        assert submitted.status == 200, submitted.body
        assert submitted.body["state"] == "submitted"
        plan.etag = submitted.etag
    return final_bodies


def download(port: int, token: str | None, path: str) -> bytes:
    """GET straight from gunicorn (no proxy): the bytes a supervisor would receive."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, body[:300]
        return body
    finally:
        conn.close()


# ============================================================================ the test


def test_lossy_phone_ends_with_exactly_what_it_sent(server: Gunicorn, session, demo, data_dir: Path) -> None:  # noqa: ANN001
    now = datetime.now(LOCAL).replace(microsecond=0)
    started = now - timedelta(hours=1)
    taken = started + timedelta(minutes=10)

    def photos_near(code: str, n: int, base: int) -> dict[str, bytes]:
        lon, lat = demo["lonlat"][code]
        return {
            str(uuid.uuid4()): camera_jpeg(lon + 0.0002 * k, lat + 0.0001 * k, taken + timedelta(minutes=k), base + k)
            for k in range(n)
        }

    real = photo_bytes(REAL_PHOTO)
    plans = [
        Planned(str(uuid.uuid4()), "DEMO-CS-001", "construction_dust.henan", photos_near("DEMO-CS-001", 3, 1)),
        Planned(
            str(uuid.uuid4()),
            "DEMO-CS-002",
            "construction_dust.henan",
            {**photos_near("DEMO-CS-002", 1, 11), str(uuid.uuid4()): real},
            colleague_edits_first=True,
        ),
        Planned(
            str(uuid.uuid4()),
            "DEMO-NRMM-001",
            "nrmm_labels",
            photos_near("DEMO-NRMM-001", 3, 21),
            link_before_upload=True,
        ),
    ]
    sent_photos = {pid: data for p in plans for pid, data in p.photos.items()}

    with LossyProxy(server.port, seed=SEED, weights=WEIGHTS, guarantee=GUARANTEE, max_connections=600) as proxy:
        phone = Phone(proxy.port)
        phone.login("demo.inspector", demo["password"])
        colleague = Phone(server.port)  # straight to the server: the colleague has good signal
        colleague.login("demo.inspector2", demo["password"])
        final_bodies = run_phone(phone, colleague, plans, demo, started)
    counts = proxy.counts()
    print(
        f"\nproxy: {len(proxy.records)} connections, modes {dict(counts)} "
        f"({sum(r.forced for r in proxy.records)} set by GUARANTEE); phone retries: {len(phone.failures)}; "
        f"most tries for one request: {phone.tries.most_common(1)[0][1]}"
    )

    # -------------------------------------------------- every loss mode happened
    for mode in WEIGHTS:
        assert counts[mode] >= 1, (mode, counts)
    # the server committed, then the phone never got (all of) the answer: the retry must change nothing
    after_commit = Counter((r.mode, write_kind(r.head)) for r in proxy.records if r.upstream_status in (200, 201))
    print(
        "loss after commit:",
        dict(after_commit),
        "| dropped:",
        dict(Counter(write_kind(r.head) or "read" for r in proxy.records if r.mode == "drop")),
    )
    for mode in ("lost", "truncate"):
        for kind in WRITES:
            assert after_commit[(mode, kind)] >= 1, (mode, kind, after_commit)
    assert plans[1].saw_412, "the colleague's edit should have made the phone's If-Match stale"
    assert not proxy.errors, proxy.errors

    session.expire_all()
    q = lambda sql, **kw: session.execute(text(sql), kw).all()  # noqa: E731

    # -------------------------------------------------- inspections: exactly the intended rows and state
    ids = {p.id for p in plans}
    rows = {str(r.id): r for r in q("SELECT id, state, version, submission_count, note FROM inspections")}
    assert set(rows) == ids
    for plan in plans:
        row = rows[plan.id]
        assert row.state == "submitted" and row.submission_count == 1, row
        assert row.note == (COLLEAGUE_NOTE if plan.colleague_edits_first else None)
        # create, (colleague edit), phone's edit, submit
        assert row.version == (4 if plan.colleague_edits_first else 3), row
        stored = {
            r.item_key: r.data
            for r in q("SELECT item_key, data FROM inspection_answers WHERE inspection_id = :i", i=plan.id)
        }
        expected = {
            k: {f: v for f, v in a.items() if f != "photos" and v is not None}
            for k, a in final_bodies[plan.id]["answers"].items()
        }
        assert stored == expected
        links = q("SELECT item_key, photo_id FROM inspection_photo_links WHERE inspection_id = :i", i=plan.id)
        expected_links = [(k, pid) for k, a in plan.answers.items() for pid in a.get("photos", [])]
        assert sorted((k, str(p)) for k, p in links) == sorted(expected_links)
        assert {str(p) for _, p in links} == set(plan.photos)

        # -------------------------------------------------- findings: once per submission, server verdicts
        findings = q("SELECT item_key, verdict, submission_no FROM findings WHERE inspection_id = :i", i=plan.id)
        assert sorted(f.item_key for f in findings) == sorted(plan.applicable)
        assert {f.submission_no for f in findings} == {1}
        verdicts = {f.item_key: f.verdict for f in findings}
        assert verdicts[plan.failed_item] == "fail"
        assert q("SELECT count(*) FROM penalty_computations WHERE inspection_id = :i", i=plan.id)[0][0] == 1

    # -------------------------------------------------- photos: one row per uuid, byte-identical originals
    photo_rows = {str(r.id): r for r in q("SELECT id, sha256, size_bytes, location IS NOT NULL AS has_gps FROM photos")}
    assert set(photo_rows) == set(sent_photos)
    for pid, data in sent_photos.items():
        digest = hashlib.sha256(data).hexdigest()
        assert photo_rows[pid].sha256 == digest and photo_rows[pid].size_bytes == len(data)
        on_disk = data_dir / "photos" / "originals" / digest[:2] / digest[2:4] / digest
        assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == digest
        assert download(server.port, phone.token, f"/api/v1/photos/{pid}/original") == data
    made_here = [pid for p in plans for pid, d in p.photos.items() if d != real]
    assert all(photo_rows[pid].has_gps for pid in made_here)

    # -------------------------------------------------- audit: one creation per photo and per inspection
    audit = Counter(
        (r.action, r.entity_id)
        for r in q("SELECT action, entity_id FROM audit_log WHERE entity_type IN ('photo', 'inspection')")
    )
    for pid in sent_photos:
        assert audit[("photo.create", pid)] == 1
    assert sum(n for (action, _), n in audit.items() if action == "photo.create") == len(sent_photos)
    for plan in plans:
        assert audit[("inspection.create", plan.id)] == 1
        assert audit[("inspection.update", plan.id)] == (2 if plan.colleague_edits_first else 1)
        assert audit[("inspection.submit", plan.id)] == 1
        assert audit[("penalty.compute", plan.id)] == 1
