"""The floors ``make bench`` compares Lantian with: the same work done by the least code that can do it.

Served by gunicorn with Lantian's own configuration (same workers, threads, host) in the same run, so a ratio
``Lantian / floor`` says how much our framework, checks and serialisation cost on top of the irreducible work:
- ``GET /floor/etag``: a bare Flask view answering 304 when the ETag matches, compared before any work (the
  "early ETag" floor of PERFORMANCE.md), for an authenticated checklist 304;
- ``GET /floor/nearby`` and ``/floor/locate``: the SQL Lantian runs for nearby sites and for locating a point,
  run with a bare psycopg pool, rows turned into JSON with ``json.dumps``;
- ``PUT /floor/upload``: read the raw body, SHA-256 it, write it to a file and fsync — what acknowledging a
  durable photo needs at least.
Run it as ``gunicorn bench.floors:app`` with ``DATABASE_URL`` (psycopg URL, no ``+psycopg``) and ``FLOOR_DIR``.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

from flask import Flask, Response, request
from psycopg_pool import ConnectionPool

app = Flask(__name__)
_pool: ConnectionPool | None = None

ETAG = '"floor-etag-0001"'
DOCUMENT = json.dumps({"items": [{"key": f"item_{i}", "text": "检查项" * 20} for i in range(40)]}).encode()

NEARBY_SQL = """
    SELECT s.id, s.name, s.kind, j.code,
           ST_Distance(s.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
    FROM sites s JOIN jurisdictions j ON j.id = s.jurisdiction_id
    WHERE j.path LIKE '/410000/%%'
      AND ST_DWithin(s.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(r)s)
    ORDER BY d, s.id LIMIT 20
"""

LOCATE_SQL = """
    WITH here AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS pt)
    SELECT 'jurisdiction', j.code, j.name_zh, j.level FROM jurisdictions j, here
    WHERE j.path LIKE '/410000/%%' AND ST_Covers(j.boundary, here.pt)
    UNION ALL
    SELECT 'zone', z.code, z.name_zh, z.kind FROM zones z, here WHERE ST_Covers(z.geom, here.pt)
"""


def pool() -> ConnectionPool:
    global _pool
    if _pool is None or os.getpid() != getattr(_pool, "_owner_pid", None):
        _pool = ConnectionPool(os.environ["DATABASE_URL"], min_size=1, max_size=4, open=True)
        _pool._owner_pid = os.getpid()  # type: ignore[attr-defined]
    return _pool


@app.get("/floor/etag")
def etag() -> Response:
    if request.headers.get("If-None-Match") == ETAG:
        return Response(status=304, headers={"ETag": ETAG})
    return Response(DOCUMENT, mimetype="application/json", headers={"ETag": ETAG})


def _query_json(sql: str, params: dict[str, float]) -> Response:
    with pool().connection() as conn:
        rows = conn.execute(sql, params).fetchall()
    return Response(json.dumps([list(r) for r in rows], ensure_ascii=False), mimetype="application/json")


@app.get("/floor/nearby")
def nearby() -> Response:
    args = request.args
    return _query_json(NEARBY_SQL, {"lon": float(args["lon"]), "lat": float(args["lat"]), "r": float(args["r"])})


@app.get("/floor/locate")
def locate() -> Response:
    return _query_json(LOCATE_SQL, {"lon": float(request.args["lon"]), "lat": float(request.args["lat"])})


@app.put("/floor/upload")
def upload() -> Response:
    target = Path(os.environ["FLOOR_DIR"]) / f"{uuid.uuid4()}.bin"
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := request.stream.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return Response(json.dumps({"sha256": digest.hexdigest()}), status=201, mimetype="application/json")
