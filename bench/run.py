"""``make bench``: Lantian served as ``make run`` serves it, each figure beside its floor measured in the same run.

Prints ``figure | connections | value | floor | ratio | p50 | p95`` and writes ``var/bench/summary.json``. A floor is
the same work done by the least code (bench/floors.py through the same front and gunicorn; Pillow alone in
this process), or — where no floor can run here — the peer's figure the performance goals quote, marked so.
Every loop is bounded in requests and seconds; traffic stays on 127.0.0.1. Nothing here asserts speed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.harness import REPO, Bench, Flow, Result, Server, load, request_flow, running_bench

CONNECTIONS = tuple(int(c) for c in os.environ.get("BENCH_CONNECTIONS", "1,4,16").split(","))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
# A subset: figures whose name contains one of these (comma-separated), e.g. BENCH_ONLY="list 50,geo locate".
ONLY = tuple(s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip())


def wanted(name: str) -> bool:
    return not ONLY or any(part in name for part in ONLY)


DEMO_USER, COLLEAGUE, DEMO_PASSWORD = "demo.inspector", "demo.inspector2", "lantian-demo-2026"
CHINA = timezone(timedelta(hours=8))

# ODK Central's backend on this kind of machine, as the performance goals quote it (not measurable here: the
# peer is not installed); inspections/s at 1, 4 and 16 connections.
PEER_SUBMIT = {1: 79.0, 4: 146.0, 16: 187.0}
PEER_SUBMIT_WITH_PHOTO = {1: 32.0, 4: 57.0, 16: 77.0}


@dataclass
class Figure:
    figure: str
    connections: int
    value: float
    unit: str
    p50_ms: float
    p95_ms: float
    floor: float | None
    floor_what: str
    errors: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per request, by part (bench/harness.py cpu_seconds)
    floor_cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.value / self.floor if self.floor else None


def figure(result: Result, floor: float | Result | None, floor_what: str, ok: tuple[int, ...]) -> Figure:
    """``floor``: the floor measured in the same run (its CPU is reported too), or a quoted figure."""
    errors = sum(n for status, n in result.statuses.items() if status not in ok)
    return Figure(
        result.name,
        result.concurrency,
        result.rate,
        "req/s",
        result.p50,
        result.percentile(0.95),
        floor.rate if isinstance(floor, Result) else floor,
        floor_what,
        errors,
        result.cpu_ms,
        floor.cpu_ms if isinstance(floor, Result) else {},
    )


# -- what the scenarios send ----------------------------------------------------------------------------


def passing_answer(item: dict[str, Any]) -> dict[str, Any]:
    kind = item["kind"]
    if kind == "check":
        return {"verdict": "pass"}
    if kind == "measure":
        limit = item["limit"]["value"]
        value = limit if isinstance(limit, (int, float)) else item["range"]["min"]
        return {"values": [value] * item["readings"]["min_count"], "unit": item["unit"], "verdict": "pass"}
    if kind == "choice":
        return {"choice": next(o["key"] for o in item["options"] if not o["noncompliant"])}
    if kind == "code":
        return {"code": "ABC12345"}
    if kind == "count":
        return {"count": 0}
    return {"text": "已记录"}


@dataclass
class Inspection:
    """A realistic inspection body for the demo site with the largest checklist a body without photos can pass."""

    body: dict[str, Any]
    answers: int


def inspection_template(server: Server, auth: dict[str, str]) -> Inspection:
    me = json.loads(server.request("GET", "/api/v1/me", headers=auth)[2])
    colleague_token = server.login(COLLEAGUE, DEMO_PASSWORD)
    colleague = json.loads(
        server.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {colleague_token}"})[2]
    )
    sites = json.loads(server.request("GET", "/api/v1/sites?near=113.25,35.22&limit=20", headers=auth)[2])["items"]
    best: tuple[int, dict[str, Any], dict[str, Any]] | None = None
    for site in sites:
        resolved = json.loads(server.request("GET", f"/api/v1/sites/{site['id']}/checklist", headers=auth)[2])
        for checklist in resolved.get("checklists", []):
            # A body without photos cannot be submitted against an item that always needs one (NRMM labels).
            if any((item.get("evidence") or {}).get("always") for item in checklist["items"]):
                continue
            if best is None or len(checklist["items"]) > best[0]:
                best = (len(checklist["items"]), site, checklist)
    assert best is not None, "no checklist applies to any demo site near the centre"
    _, site, checklist = best
    now = datetime.now(CHINA)
    body = {
        "site_id": site["id"],
        "checklist_key": checklist["key"],
        "checklist_version": checklist["version"],
        "officers": [me["id"], colleague["id"]],  # two officers at least (行政处罚法第四十二条)
        "started_at": (now - timedelta(hours=1)).isoformat(),
        "ended_at": (now - timedelta(minutes=10)).isoformat(),
        "location": {"lon": 113.25, "lat": 35.22, "accuracy_m": 8.0, "crs": "wgs84"},
        "alert_level": "none",
        "answers": {item["key"]: passing_answer(item) for item in checklist["items"]},
    }
    return Inspection(body, len(body["answers"]))


def create_and_submit(
    auth: dict[str, str], template: Inspection, photo: bytes | None = None, *, explain: bool = False
) -> Flow:
    """PUT (create) then submit; with ``explain`` a refusal stops the bench with the server's answer."""
    json_headers = auth | {"Content-Type": "application/json"}
    photo_headers = auth | {"Content-Type": "image/jpeg"}
    if photo is not None:
        photo_headers["X-Content-SHA256"] = hashlib.sha256(photo).hexdigest()

    def flow(conn: Any, _i: int) -> int:
        inspection_id = uuid.uuid4()
        body = template.body
        if photo is not None:
            photo_id = str(uuid.uuid4())
            conn.request("PUT", f"/api/v1/photos/{photo_id}", body=photo, headers=photo_headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status not in (200, 201):
                return resp.status
            first = next(iter(body["answers"]))
            answers = dict(body["answers"]) | {first: body["answers"][first] | {"photos": [photo_id]}}
            body = body | {"answers": answers}
        conn.request("PUT", f"/api/v1/inspections/{inspection_id}", body=json.dumps(body), headers=json_headers)
        resp = conn.getresponse()
        answer = resp.read()
        if resp.status != 201:
            return refused("PUT", resp.status, answer)
        etag = resp.getheader("ETag") or ""
        submit_headers = json_headers | {"If-Match": etag}
        conn.request("POST", f"/api/v1/inspections/{inspection_id}/submit", body=b"{}", headers=submit_headers)
        resp = conn.getresponse()
        answer = resp.read()
        return resp.status if resp.status == 200 else refused("submit", resp.status, answer)

    def refused(step: str, status: int, answer: bytes) -> int:
        if explain:
            raise SystemExit(f"bench: {step} of the inspection answered {status}: {answer[:3000].decode()}")
        return status

    return flow


def create_and_submit_in_one_request(auth: dict[str, str], template: Inspection) -> Flow:
    """``POST /inspections/{id}/submission``: the PUT's body created and submitted in one request."""
    json_headers = auth | {"Content-Type": "application/json"}
    body = json.dumps(template.body)

    def flow(conn: Any, _i: int) -> int:
        conn.request("POST", f"/api/v1/inspections/{uuid.uuid4()}/submission", body=body, headers=json_headers)
        resp = conn.getresponse()
        resp.read()
        return int(resp.status)

    return flow


def jpeg(width: int, height: int, noise: float, quality: int) -> bytes:
    """A JPEG that compresses like a photo (sensor-like noise over a gradient), not like a flat test card."""
    from PIL import Image

    base = Image.radial_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), noise)
    image = Image.merge("RGB", (Image.blend(base, grain, 0.5), grain, base))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# -- in-process floors -------------------------------------------------------------------------------------


def distinct_photos(photo: bytes, count: int, *, first: int = 0) -> list[tuple[bytes, str]]:
    """``count`` copies of a JPEG that differ only in a comment segment (COM) after the start marker, each with
    its sha256: the same image, never the same bytes."""
    copies = []
    for n in range(first, first + count):
        comment = f"lantian bench photo {n}".encode()
        data = photo[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + photo[2:]
        copies.append((data, hashlib.sha256(data).hexdigest()))
    return copies


def derivatives_figures(photo: bytes, rounds: int = 15) -> list[Figure]:
    """Lantian's derivatives of a phone photo beside Pillow's draft + two thumbnails of the same bytes."""
    from PIL import Image

    from app.photos import processing

    def pillow_floor() -> None:
        with Image.open(io.BytesIO(photo)) as im:
            im.draft("RGB", (1024, 768))
            display = im.convert("RGB")
            display.thumbnail((1024, 1024))
            thumb = display.copy()
            thumb.thumbnail((256, 256))
            for out in (display, thumb):
                out.save(io.BytesIO(), "JPEG", quality=85)

    def lantian() -> None:
        processing.make_derivatives(photo)

    def per_second(fn: Callable[[], None]) -> tuple[float, list[float]]:
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        return 1000 / statistics.median(times), sorted(times)

    floor_rate, _ = per_second(pillow_floor)
    rate, times = per_second(lantian)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return [
        Figure(
            f"derivatives of a {len(photo) // 1024} KiB photo (in process)",
            1,
            rate,
            "photos/s",
            statistics.median(times),
            p95,
            floor_rate,
            "Pillow draft + 2 thumbnails",
            0,
        )
    ]


# -- the run ---------------------------------------------------------------------------------------------

JOBS_WAIT_SECONDS = 240


def jobs_caught_up(database_url: str) -> None:
    """Wait (bounded) until the job worker has run what earlier scenarios queued: 400 photo PUTs leave a few
    minutes of derivatives, which would otherwise run on the same two cores during the next scenarios and count
    against them. A scenario's own jobs still run during it (their CPU is the ``jobs`` part of its line)."""
    import psycopg  # noqa: PLC0415

    started = time.perf_counter()
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                " AND (scheduled_at IS NULL OR scheduled_at <= now())"
            ).fetchone()
            left = row[0] if row else 0
            waited = time.perf_counter() - started
            if not left or waited > JOBS_WAIT_SECONDS:
                break
            time.sleep(1)
    if waited >= 1:
        print(f"{'':6s}(waited {waited:.0f} s for the jobs earlier scenarios queued; {left} left)", flush=True)


def scenarios(bench: Bench) -> list[Figure]:
    lantian, floor = bench.lantian, bench.floor
    token = lantian.login(DEMO_USER, DEMO_PASSWORD)
    auth = {"Authorization": f"Bearer {token}"}
    figures: list[Figure] = []

    def run(name: str, flow: Flow, conns: int, *, total: int = 3000) -> Result:
        jobs_caught_up(bench.env["DATABASE_URL"])
        return load(lantian, name, flow, concurrency=conns, total=total, max_seconds=SECONDS)

    def run_floor(flow: Flow, conns: int, *, total: int = 3000) -> Result:
        return load(floor, "floor", flow, concurrency=conns, total=total, max_seconds=SECONDS)

    index = json.loads(lantian.request("GET", "/api/v1/checklists", headers=auth)[2])
    items = index["items"] if isinstance(index, dict) else index
    key = max(items, key=lambda c: len(json.dumps(c)))["key"]
    checklist_path = f"/api/v1/checklists/{key}"
    etag = lantian.request("GET", checklist_path, headers=auth)[1].get("ETag", "")
    near = "/api/v1/sites?near=113.25,35.22&radius_m=3000&limit=20"
    locate = "/api/v1/geo/locate?lon=113.25&lat=35.22"
    # The inspection scenarios need a template and something to list; a BENCH_ONLY subset without them skips both.
    inspections_wanted = any(
        wanted(name)
        for name in (
            "create + submit, n answers",
            "create + submit in one request, n answers",
            "create + photo n KiB + submit",
            "list 50 inspections (sync feed)",
            "get one inspection",
        )
    )
    template = inspection_template(lantian, auth) if inspections_wanted else Inspection({}, 0)
    # ≈ 340 KB (the peer's photo) and ≈ 3 MB (a 12-megapixel phone photo).
    small_photo, phone_photo = jpeg(1200, 900, 12, 85), jpeg(4000, 3000, 10, 88)
    one_id = None
    if inspections_wanted:
        for _ in range(60):  # something to list: 60 submitted inspections
            create_and_submit(auth, template, explain=True)(lantian.connection(), 0)
        one_id = json.loads(lantian.request("GET", "/api/v1/inspections?limit=1", headers=auth)[2])["items"][0]["id"]

    for round_no, conns in enumerate(CONNECTIONS):
        # Every PUT carries a photo the server has not seen (a phone sends new photos; the same bytes again would
        # take the store's already-stored path, which re-reads the original); the floor gets the same bytes.
        photos = distinct_photos(phone_photo, 400, first=round_no * 400) if wanted("photo PUT") else []
        pairs: list[tuple[str, Flow, Flow | None, str, tuple[int, ...]]] = [
            (
                "checklist 304, authenticated",
                request_flow(lambda i: ("GET", checklist_path, None, auth | {"If-None-Match": etag})),
                request_flow(lambda i: ("GET", "/floor/etag", None, {"If-None-Match": '"floor-etag-0001"'})),
                "bare Flask, early ETag",
                (304,),
            ),
            (
                "sites near a point (3 km, 20)",
                request_flow(lambda i: ("GET", near, None, auth)),
                request_flow(lambda i: ("GET", "/floor/nearby?lon=113.25&lat=35.22&r=3000", None, {})),
                "same SQL, bare psycopg",
                (200,),
            ),
            (
                "geo locate",
                request_flow(lambda i: ("GET", locate, None, auth)),
                request_flow(lambda i: ("GET", "/floor/locate?lon=113.25&lat=35.22", None, {})),
                "same SQL, bare psycopg",
                (200,),
            ),
            (
                f"photo PUT, {len(phone_photo) // 1024} KiB",
                request_flow(
                    lambda i, p=photos: (
                        "PUT",
                        f"/api/v1/photos/{uuid.uuid4()}",
                        p[i % len(p)][0],
                        auth | {"Content-Type": "image/jpeg", "X-Content-SHA256": p[i % len(p)][1]},
                    )
                ),
                request_flow(
                    lambda i, p=photos: ("PUT", "/floor/upload", p[i % len(p)][0], {"Content-Type": "image/jpeg"})
                ),
                "raw upload + sha256 + fsync",
                (200, 201),
            ),
        ]
        for name, flow, floor_flow, floor_what, ok in pairs:
            if not wanted(name):
                continue
            total = 400 if "photo" in name else 3000
            measured = run(name, flow, conns, total=total)
            floor_result = run_floor(floor_flow, conns, total=total) if floor_flow else None
            figures.append(figure(measured, floor_result, floor_what, ok))
            print(line(figures[-1]), flush=True)
        for name, flow, peer, ok in (
            (f"create + submit, {template.answers} answers", create_and_submit(auth, template), PEER_SUBMIT, (200,)),
            (
                f"create + submit in one request, {template.answers} answers",
                create_and_submit_in_one_request(auth, template),
                PEER_SUBMIT,
                (201,),
            ),
            (
                f"create + photo {len(small_photo) // 1024} KiB + submit",
                create_and_submit(auth, template, small_photo),
                PEER_SUBMIT_WITH_PHOTO,
                (200,),
            ),
        ):
            if not wanted(name):
                continue
            figures.append(
                figure(
                    run(name, flow, conns, total=1500),
                    peer.get(conns),
                    "peer (ODK Central), quoted",
                    ok,
                )
            )
            print(line(figures[-1]), flush=True)
        for name, flow in (
            (
                "list 50 inspections (sync feed)",
                request_flow(lambda i: ("GET", "/api/v1/inspections?limit=50", None, auth)),
            ),
            ("get one inspection", request_flow(lambda i: ("GET", f"/api/v1/inspections/{one_id}", None, auth))),
            ("GET /api/v1/me", request_flow(lambda i: ("GET", "/api/v1/me", None, auth))),
        ):
            if not wanted(name):
                continue
            figures.append(figure(run(name, flow, conns), None, "", (200,)))
            print(line(figures[-1]), flush=True)
    if wanted("derivatives of a photo"):
        jobs_caught_up(bench.env["DATABASE_URL"])
        figures += derivatives_figures(phone_photo)
        print(line(figures[-1]), flush=True)
    return figures


HEADER = (
    f"{'figure':44s} {'conn':>4s} {'value':>10s} {'floor':>10s} {'ratio':>6s} {'p50 ms':>8s} {'p95 ms':>8s}  floor is"
)


def line(f: Figure) -> str:
    floor = f"{f.floor:10.1f}" if f.floor else f"{'—':>10s}"
    ratio = f"{f.ratio:6.2f}" if f.ratio else f"{'—':>6s}"
    errors = f"  ({f.errors} errors)" if f.errors else ""
    cpu = "".join(
        f"\n{'':6s}{who} CPU ms/request: {cpu_line(parts)}"
        for who, parts in (("lantian", f.cpu_ms), ("floor", f.floor_cpu_ms))
        if parts
    )
    return (
        f"{f.figure:44s} {f.connections:4d} {f.value:10.1f} {floor} {ratio} {f.p50_ms:8.2f} {f.p95_ms:8.2f}  "
        f"{f.floor_what}{errors}{cpu}"
    )


def cpu_line(parts: dict[str, float]) -> str:
    """Each part's CPU per request, their sum, and the rate that sum allows on this machine's cores."""
    total = sum(parts.values())
    cores = os.cpu_count() or 1
    ceiling = f" → at most {cores * 1000 / total:,.0f}/s on {cores} cores" if total else ""
    return ", ".join(f"{part} {ms:.2f}" for part, ms in parts.items()) + f" = {total:.2f}{ceiling}"


def main() -> int:
    load_before = os.getloadavg()
    with running_bench() as bench:
        print(f"Lantian as make run serves it on 127.0.0.1:{bench.lantian.port}; floors on :{bench.floor.port}\n")
        print(HEADER, flush=True)
        figures = scenarios(bench)
    out = REPO / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_before": load_before},
        "seconds_per_loop": SECONDS,
        "figures": [asdict(f) | {"ratio": f.ratio} for f in figures],
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(f"\nwritten: {out / 'summary.json'} (load average before the run: {load_before})")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
