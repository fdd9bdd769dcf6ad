"""``make bench-scale``: statistics, review queue, map layers and exports at a province's scale.

A PostGIS cluster kept in ``BENCH_SCALE_DIR`` (default /tmp/lantian-bench-scale, reused across runs: generating
1 M inspections takes minutes), migrated, catalogues and demo data loaded, filled once by ``bench.generate`` at
``BENCH_SCALE`` (henan: 100,000 sites, 1,000,000 inspections), then Lantian as ``make run`` serves it (the nginx
front, gunicorn with ``WEB_CONCURRENCY`` workers × 4 threads, the job worker) and bounded request loops from this process on the same 2 cores. Prints p50/p95 per scenario, export rows/s and the
server worker's peak RSS. Figures only: nothing here asserts speed.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.generate import SCALES, generate
from bench.harness import REPO, Result, Server, load, request_flow, running_lantian
from scripts.localpg import LocalCluster
from scripts.run_server import BOOT_COMMANDS

DATABASE = "lantian_scale"
# Requests per statistics line: a p95 of 200 was its 10th-slowest request, and moved by 15 ms between quiet runs.
SAMPLES = 600


def prepare(base: Path, scale_name: str) -> dict[str, str]:
    """Start (or reuse) the cluster, migrate, sync, generate once → the env for the server."""
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o711)
    cluster = LocalCluster(base / "pg", fast_unsafe=False)
    cluster.start()
    url = cluster.ensure_database(DATABASE)
    owner = cluster.owner_url_for(DATABASE)
    env = dict(os.environ, DATABASE_URL=url, DATABASE_OWNER_URL=owner, LOG_LEVEL="WARNING")
    flask = str(REPO / ".venv" / "bin" / "flask")
    subprocess.run([flask, "db", "upgrade", "heads"], cwd=REPO, env=env, check=True, capture_output=True)
    for command in BOOT_COMMANDS:
        subprocess.run([flask, *command], cwd=REPO, env=env, check=True, capture_output=True)
    engine = create_engine(owner)
    with engine.begin() as conn:
        done = conn.execute(text("SELECT count(*) FROM sites WHERE code LIKE 'GEN-%'")).scalar_one()
    if not done:
        print(f"generating the {scale_name} workload (once; kept in {base})", flush=True)
        with engine.begin() as conn:
            counts = generate(conn, SCALES[scale_name], seed=2026, progress=True)
        print(json.dumps(counts.__dict__), flush=True)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    # The review queue's stored risk (app/review/risk_store.py): every inspection once after the upgrade or a bulk
    # load, then nothing (what the refresh_review_risk job would do within its first minutes).
    started = time.perf_counter()
    done = subprocess.run(
        [flask, "review", "refresh", "--batch", "10000"], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    print(f"review risk: {done.stdout.strip().splitlines()[-1]} in {time.perf_counter() - started:,.0f} s", flush=True)
    return env


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _p(lat: list[float], q: float) -> float:
    s = sorted(lat)
    return s[min(len(s) - 1, int(len(s) * q))]


def line(result: Result) -> str:
    lat = result.latencies_ms
    if not lat:
        return f"{result.name:62s} no answer within the client's 30 s timeout"
    return (
        f"{result.name:62s} {result.requests / result.seconds:7.0f} req/s  p50 {statistics.median(lat):7.1f} ms"
        f"  p95 {_p(lat, 0.95):7.1f} ms  {dict(sorted(result.statuses.items()))}"
    )


def worker_pids(server: Server) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:
            pids.append(int(stat.parent.name))
    return pids


def peak_rss_mib(pids: list[int]) -> float:
    peak = 0
    for pid in pids:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                peak = max(peak, int(row.split()[1]))
    return peak / 1024


def scenarios(server: Server) -> None:
    county = server.login("gen.410822.supervisor4", "lantian-bench-2026")  # 博爱县
    province = server.login("demo.admin", "lantian-demo-2026")  # 河南省
    # BENCH_WHO=province measures the province only (the county figures first, then the province's, fit a session).
    who_list = [w for w in (("county", county), ("province", province)) if os.environ.get("BENCH_WHO", w[0]) == w[0]]
    # BENCH_ONLY=stats (statistics and review queue), layers (GeoJSON and tiles), exports, or a comma list.
    only = set(os.environ.get("BENCH_ONLY", "stats,layers,exports").split(","))
    if "stats" not in only:
        who_list = []
    # Warm-up, not measured: every gunicorn thread opens its database connections (the session's pool, the
    # read-only pool) and its caches on its first requests; without this the first lines' p95 carried it.
    warm = [{"Authorization": f"Bearer {token}"} for token in (county, province)]
    print(
        line(
            load(
                server,
                "warm-up: GET /api/v1/me (not a figure)",
                request_flow(lambda i: ("GET", "/api/v1/me", None, warm[i % 2])),
                total=800,
                max_seconds=30,
            )
        ),
        flush=True,
    )
    for who, token in who_list:
        auth = {"Authorization": f"Bearer {token}"}
        urls = [
            "/api/v1/me",  # the floor: a token check and one small read, what any answer costs at this load
            "/api/v1/stats/inspections?by=total",
            "/api/v1/stats/inspections?by=jurisdiction&level=county",
            # The province's 2,512 sub-districts are read a page at a time (app/stats/paging.py): the first page
            # (500, the largest), a page further on, and the console's page (50, most failed findings first).
            "/api/v1/stats/inspections?by=jurisdiction&level=township",
            "/api/v1/stats/inspections?by=jurisdiction&level=township&offset=1000",
            "/api/v1/stats/inspections?by=jurisdiction&level=township&sort=-failed_findings&limit=50",
            "/api/v1/stats/inspections?by=checklist",
            "/api/v1/stats/inspections?by=site_kind",
            "/api/v1/stats/inspections?by=month&date_from=2025-01-01&date_to=2025-12-31",
            "/api/v1/stats/inspections?by=week&date_from=2025-01-06&date_to=2025-12-28",
            "/api/v1/stats/items",
            "/api/v1/stats/inspectors",
            "/api/v1/stats/repeat-sites?date_from=2026-01-01&date_to=2026-06-30",
            "/api/v1/stats/cases?by=total",
            "/api/v1/stats/cases?by=jurisdiction&level=township",
            "/api/v1/stats/cases?by=jurisdiction&level=township&sort=-overdue_orders&limit=50",
            "/api/v1/stats/cases?by=month&date_from=2025-01-01&date_to=2025-12-31",
            "/api/v1/review/queue?limit=50",
            "/api/v1/review/queue?limit=50&state=approved&has_failed=true",
        ]
        if who == "province" and os.environ.get("BENCH_SKIP_SLOW"):
            urls = [u for u in urls if "review/queue" not in u and "repeat-sites" not in u]
        if match := os.environ.get("BENCH_MATCH"):  # e.g. "township": only the lines whose URL contains it
            urls = [u for u in urls if match in u]
        for url in urls:
            # The first request of a question builds the answer (the statistics keep finished answers per rollup
            # version and scope: app/stats/answer_cache.py); the loop then measures the kept answer.
            started = time.perf_counter()
            status, headers, _ = server.request("GET", url, headers=auth)
            cold_ms = (time.perf_counter() - started) * 1000
            print(f"{'  first request (builds the answer)':62s} {status} in {cold_ms:7.1f} ms", flush=True)
            # Every other gunicorn worker then reads the built answer once (stats_answers) and keeps it: up to a
            # MiB read per worker and version, once a minute at most in steady state, but within the first few
            # requests of a loop, which would make its p95. Not a figure: timed here, then the loop measures.
            others = load(server, "", request_flow(lambda i, u=url, a=auth: ("GET", u, None, a)), total=40)
            print(
                f"{'  next 40 (the other workers read it once)':62s} p95 {others.percentile(0.95):7.1f} ms", flush=True
            )
            print(
                line(
                    load(
                        server,
                        f"[{who}] GET {url}",
                        request_flow(lambda i, u=url, a=auth: ("GET", u, None, a)),
                        total=SAMPLES,
                    )
                ),
                flush=True,
            )
            first_township_page = url.endswith("?by=jurisdiction&level=township")
            if first_township_page and "inspections" in url:
                # As a browser or phone asks (Accept-Encoding: gzip): a tenth of the bytes, but here the client
                # decompresses each answer (bench/harness.py request_flow) on the server's two cores.
                packed = auth | {"Accept-Encoding": "gzip"}
                # Each worker gzips a kept answer once per rollup version (app/stats/answer_cache.py): timed apart,
                # like the plain answer's first read above.
                others = load(server, "", request_flow(lambda i, u=url, a=packed: ("GET", u, None, a)), total=40)
                print(f"{'  first 40 gzipped (each worker compresses once)':62s} p95 {others.percentile(0.95):7.1f} ms")
                _, _, packed_body = server.request("GET", url, headers=packed)
                started = time.perf_counter()
                for _ in range(50):
                    plain_size = len(gzip.decompress(packed_body))
                unpack_ms = (time.perf_counter() - started) * 1000 / 50
                print(
                    f"{'  the client decompresses each answer':62s} {len(packed_body):,} → {plain_size:,} bytes, "
                    f"{unpack_ms:.2f} ms of its CPU (on the server's cores)"
                )
                print(
                    line(
                        load(
                            server,
                            f"[{who}] GET {url} (gzip)",
                            request_flow(lambda i, u=url, a=packed: ("GET", u, None, a)),
                            total=SAMPLES,
                        )
                    ),
                    flush=True,
                )
            if "ETag" in headers and first_township_page:
                tagged = auth | {"If-None-Match": headers["ETag"]}
                print(
                    line(
                        load(
                            server,
                            f"[{who}] GET {url} (If-None-Match: 304)",
                            request_flow(lambda i, u=url, a=tagged: ("GET", u, None, a)),
                            total=SAMPLES,
                        )
                    ),
                    flush=True,
                )
    auth = {"Authorization": f"Bearer {province}"}
    if "layers" in only:
        layers(server, auth, county)
    if "exports" in only:
        exports(server, auth)


def layers(server: Server, auth: dict[str, str], county: str) -> None:
    # GeoJSON around 焦作 (a few km across, then a whole county) and tiles.
    for name, bbox in (("5 km", "113.20,35.20,113.26,35.25"), ("county", "112.9,35.0,113.5,35.4")):
        for layer in ("sites", "inspections", "findings"):
            url = f"/api/v1/map/{layer}.geojson?bbox={bbox}&state=approved,submitted&limit=5000"
            print(
                line(
                    load(
                        server,
                        f"GET {layer} GeoJSON bbox {name}",
                        request_flow(lambda i, u=url: ("GET", u, None, auth)),
                        total=100,
                    )
                ),
                flush=True,
            )
    tiles = [(z, *_tile_of(113.25, 35.22, z)) for z in (8, 10, 12, 14)]  # 焦作
    for layer in ("sites", "inspections", "findings"):
        for z, x, y in tiles:
            url = f"/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt?state=approved"
            # Below zoom 12 the first request builds the tile from the rollup and the process keeps the bytes
            # until the next refresh (app/maplayers/vector_tiles.py); the loop then measures the kept tile.
            started = time.perf_counter()
            status, headers, body = server.request("GET", url, headers=auth)
            cold_ms = (time.perf_counter() - started) * 1000
            print(
                f"{'  first request (builds the tile)':62s} {status} in {cold_ms:7.1f} ms,"
                f" {len(body):,} bytes, {headers.get('X-Tile-Source')}",
                flush=True,
            )
            print(
                line(
                    load(
                        server,
                        f"GET tile {layer} z{z}",
                        request_flow(lambda i, u=url: ("GET", u, None, auth)),
                        total=100,
                    )
                ),
                flush=True,
            )
    county_auth = {"Authorization": f"Bearer {county}"}
    for z, x, y in tiles[:2]:  # 博爱县's supervisor: the same low-zoom tiles, scoped to the county
        url = f"/api/v1/tiles/inspections/{z}/{x}/{y}.mvt?state=approved"
        print(
            line(
                load(
                    server,
                    f"[county] GET tile inspections z{z}",
                    request_flow(lambda i, u=url: ("GET", u, None, county_auth)),
                    total=100,
                )
            ),
            flush=True,
        )
    empty = "/api/v1/tiles/inspections/12/100/100.mvt"
    print(
        line(
            load(
                server,
                "GET tile, empty (far outside Henan)",
                request_flow(lambda i: ("GET", empty, None, auth)),
                total=300,
            )
        ),
        flush=True,
    )
    status, headers, _ = server.request("GET", tiles_url := "/api/v1/tiles/inspections/10/834/405.mvt", headers=auth)
    etag = headers.get("ETag", "")
    print(
        line(
            load(
                server,
                "GET tile, 304 (If-None-Match)",
                request_flow(lambda i: ("GET", tiles_url, None, auth | {"If-None-Match": etag})),
                total=300,
            )
        ),
        flush=True,
    )


def exports(server: Server, auth: dict[str, str]) -> None:
    """Every inspection (no row cap), streamed; rows/s and the worker's peak RSS. BENCH_EXPORTS picks some
    (e.g. ``inspections.xlsx``)."""
    pids = worker_pids(server)
    chosen = os.environ.get("BENCH_EXPORTS", "inspections.csv,findings.csv,inspections.xlsx").split(",")
    for kind, fmt in (name.split(".") for name in chosen):
        url = f"/api/v1/exports/{kind}.{fmt}?state=draft,submitted,returned,approved,rejected"
        conn = server.connection()
        conn.timeout = 3600
        started = time.perf_counter()
        conn.request("GET", url, headers=auth)
        resp = conn.getresponse()
        size = 0
        rows = 0
        while chunk := resp.read(1 << 20):
            size += len(chunk)
            rows += chunk.count(b"\n")
        seconds = time.perf_counter() - started
        conn.close()
        rows_header = resp.getheader("X-Export-Rows")
        count = int(rows_header) if rows_header else rows
        print(
            f"export {kind}.{fmt}: {resp.status}, {count:,} rows, {size / 2**20:,.0f} MiB in {seconds:,.1f} s"
            f" = {count / seconds:,.0f} rows/s; worker peak RSS {peak_rss_mib(pids):,.0f} MiB",
            flush=True,
        )


def drain(env: dict[str, str]) -> None:
    """Catch the rollups and the stored review risk up before measuring (steady state): the boot commands (demo
    data) mark a few hundred statistics groups and a few thousand inspections, which the server's job worker would
    otherwise recompute while the scenarios run. How long each took is printed: that is the refresh job's work."""
    flask = str(REPO / ".venv" / "bin" / "flask")
    started = time.perf_counter()
    for command in (("stats", "refresh"), ("review", "refresh"), ("map", "refresh")):
        done = subprocess.run([flask, *command], cwd=REPO, env=env, check=True, capture_output=True, text=True)
        last = done.stdout.strip().splitlines()[-1]
        print(f"{' '.join(command)}: {last} in {time.perf_counter() - started:,.1f} s", flush=True)
    # The job worker may hold some groups (the refreshes skip locked ones): wait until nothing is dirty.
    engine = create_engine(env["DATABASE_OWNER_URL"])
    with engine.connect() as conn:
        while True:
            left = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM stats_dirty) + (SELECT count(*) FROM review_dirty)"
                    " + (SELECT count(DISTINCT site_id) FROM map_dirty)"
                )
            ).scalar_one()
            conn.rollback()
            if not left or time.perf_counter() - started > 1800:
                break
            time.sleep(5)
    engine.dispose()
    print(f"caught up ({left} marks left) after {time.perf_counter() - started:,.0f} s\n", flush=True)


def main(argv: list[str]) -> int:
    base = Path(os.environ.get("BENCH_SCALE_DIR", "/tmp/lantian-bench-scale"))
    env = prepare(base, os.environ.get("BENCH_SCALE", "henan"))
    if "--prepare-only" in argv:
        return 0
    os.environ.update(DATABASE_URL=env["DATABASE_URL"], DATABASE_OWNER_URL=env["DATABASE_OWNER_URL"])
    data_dir = base / "serving"
    data_dir.mkdir(exist_ok=True)
    env["LANTIAN_DATA_DIR"] = str(data_dir)
    with running_lantian(env, data_dir) as server:
        print(f"served as make run serves it on 127.0.0.1:{server.port}, workload in {base}", flush=True)
        drain(env)
        scenarios(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
