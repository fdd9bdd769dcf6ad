"""A Henan-sized workload for the benchmarks: jurisdictions, users, sites, inspections, findings, penalty lines,
photo rows (no bytes), loaded with COPY (never ORM inserts), seeded and reproducible.

``python -m bench.generate --database-url URL [--scale henan|small] [--seed 2026]`` (the owner's URL: the load
disables the user triggers of the tables it fills for its transaction, which only the owner may do; the
evidence guards exist for the application's writes, not for a synthetic bulk load). It needs the checklist and
penalty catalogues synced (``flask checklists sync``, ``flask penalties sync``) and ends with full rebuilds of the
statistics and map rollups. A progress bar shows rows, rate and ETA.

The shape, at ``henan`` scale: 18 cities, 157 counties (焦作's real ten among them), about 2,450 sub-districts
(townships), 100,000 sites, 1,000,000 inspections over the three years before ``--until``, about 3.4 M findings,
penalty lines for the failures (a small share recomputed, so only the current computation counts), one photo row
and link per failed finding. Names are synthetic except 河南省, its cities and 焦作's counties; amounts are random
multiples of 100 yuan, not the rules' amounts (the figures need totals to reconcile, not legal amounts).

Cases (案件) for a share of the approved inspections with failures (about one case per 25 inspections), in every
stage (立案 … 结案, with the dates and amounts each stage has: proposed, decided and paid fines), with orders to
correct (open, complied or refused; open ones past their deadline are overdue), and a fiscal deduction (000§五(二))
against the site's sub-district for every approved inspection whose current lines charge one (open, notified or
settled). Cases draw from their own random stream, so the inspections of a seed are the same with or without them.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password
from app.maplayers import rollup as map_rollup
from app.stats import rollup as stats_rollup

PASSWORD = "lantian-bench-2026"
UTC = UTC
LOCAL = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST

# 河南省 and its 18 prefecture-level divisions (GB/T 2260), with approximate centres for the synthetic grid.
CITIES = [
    ("410100", "郑州市"), ("410200", "开封市"), ("410300", "洛阳市"), ("410400", "平顶山市"), ("410500", "安阳市"),
    ("410600", "鹤壁市"), ("410700", "新乡市"), ("410800", "焦作市"), ("410900", "濮阳市"), ("411000", "许昌市"),
    ("411100", "漯河市"), ("411200", "三门峡市"), ("411300", "南阳市"), ("411400", "商丘市"), ("411500", "信阳市"),
    ("411600", "周口市"), ("411700", "驻马店市"), ("419001", "济源市"),
]  # fmt: skip
JIAOZUO_COUNTIES = [
    ("410802", "解放区"), ("410803", "中站区"), ("410804", "马村区"), ("410811", "山阳区"), ("410821", "修武县"),
    ("410822", "博爱县"), ("410823", "武陟县"), ("410825", "温县"), ("410882", "沁阳市"), ("410883", "孟州市"),
]  # fmt: skip
HENAN_BOX = (110.4, 31.4, 116.6, 36.3)
KIND_WEIGHTS = {
    "construction_site": 30, "restaurant": 25, "gas_station": 8, "industrial_plant": 15, "boiler_house": 5,
    "road_segment": 5, "aggregate_plant": 4, "open_area": 5, "fireworks_seller": 3,
}  # fmt: skip
STATES = (("approved", 70), ("submitted", 12), ("returned", 5), ("rejected", 5), ("draft", 3))
CASE_SHARE = 0.15  # of the approved inspections with a failure
CASE_STAGES = (("filing", 10), ("investigation", 15), ("notice", 15), ("decision", 10), ("execution", 20),
               ("closed", 30))  # fmt: skip
FISCAL_STATES = (("open", 40), ("notified", 30), ("settled", 30))


@dataclass(frozen=True)
class Scale:
    cities: int  # how many of CITIES (焦作 always included)
    counties: int  # total, spread over the cities (焦作 keeps its ten)
    townships_per_county: int
    sites: int
    inspections: int
    years: int = 3


SCALES = {
    "henan": Scale(cities=18, counties=157, townships_per_county=16, sites=100_000, inspections=1_000_000),
    "medium": Scale(cities=18, counties=157, townships_per_county=16, sites=20_000, inspections=100_000),
    "small": Scale(cities=2, counties=12, townships_per_county=3, sites=300, inspections=3_000),
}


@dataclass
class Counts:
    jurisdictions: int = 0
    users: int = 0
    sites: int = 0
    inspections: int = 0
    officers: int = 0
    findings: int = 0
    computations: int = 0
    penalty_lines: int = 0
    photos: int = 0
    cases: int = 0
    orders: int = 0
    fiscal_deductions: int = 0
    seconds: float = 0.0


def _rate_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed or 0:>10,.0f} rows/s")

    return RateColumn()


class Progress:
    """rich progress bar (rate, ETA) on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None

    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Any]:
        if not self.enabled:
            yield lambda n: None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        columns = (
            TextColumn("{task.description:24s}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            _rate_column(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with RichProgress(*columns, transient=False) as progress:
            task_id = progress.add_task(label, total=total)
            yield lambda n: progress.advance(task_id, n)


# ----------------------------------------------------------------------------- COPY helpers


def _tsv(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    s = str(value)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class Copier:
    """Buffered COPY FROM STDIN of one table (text format)."""

    def __init__(self, conn: Connection, table: str, columns: tuple[str, ...], tick: Any = None) -> None:
        self.raw = conn.connection.driver_connection
        self.sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self.buf = io.StringIO()
        self.rows = 0
        self.pending = 0
        self.tick = tick
        self.cursor = self.raw.cursor()
        self._copy_cm = self.cursor.copy(self.sql)
        self.copy = self._copy_cm.__enter__()

    def row(self, *values: Any) -> None:
        self.buf.write("\t".join(_tsv(v) for v in values))
        self.buf.write("\n")
        self.rows += 1
        self.pending += 1
        if self.pending >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.copy.write(self.buf.getvalue().encode())
            self.buf = io.StringIO()
            if self.tick is not None:
                self.tick(self.pending)
            self.pending = 0

    def close(self) -> int:
        self.flush()
        self._copy_cm.__exit__(None, None, None)
        self.cursor.close()
        return self.rows


def _reserve(conn: Connection, sequence: str, n: int) -> int:
    """Reserve ``n`` values of ``sequence`` → the first one."""
    first = int(conn.execute(text("SELECT nextval(:s)"), {"s": sequence}).scalar_one())
    conn.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": first + max(n, 1) - 1})
    return first


# ----------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    path: str
    box: tuple[float, float, float, float]
    county_code: str


def _box_polygon(box: tuple[float, float, float, float]) -> str:
    x1, y1, x2, y2 = box
    return f"SRID=4326;MULTIPOLYGON((({x1} {y1},{x2} {y1},{x2} {y2},{x1} {y2},{x1} {y1})))"


def _split(box: tuple[float, float, float, float], n: int) -> list[tuple[float, float, float, float]]:
    """``n`` cells of a near-square grid over ``box`` (row-major)."""
    cols = max(1, round(n**0.5))
    rows = -(-n // cols)
    x1, y1, x2, y2 = box
    w, h = (x2 - x1) / cols, (y2 - y1) / rows
    return [
        (x1 + (i % cols) * w, y1 + (i // cols) * h, x1 + (i % cols + 1) * w, y1 + (i // cols + 1) * h) for i in range(n)
    ]


def _tree(scale: Scale) -> list[tuple[str, str, str, str | None, tuple[float, float, float, float]]]:
    """(code, name, level, parent code, box) for the whole tree, root first."""
    out: list[tuple[str, str, str, str | None, tuple[float, float, float, float]]] = [
        ("410000", "河南省", "province", None, HENAN_BOX)
    ]
    cities = [c for c in CITIES if c[0] == "410800"] + [c for c in CITIES if c[0] != "410800"][: scale.cities - 1]
    city_boxes = _split(HENAN_BOX, len(cities))
    others = max(0, scale.counties - len(JIAOZUO_COUNTIES))
    per_city = [0] * len(cities)
    for i in range(others):
        per_city[1 + i % max(1, len(cities) - 1)] += 1 if len(cities) > 1 else 0
    for (code, name), box, extra in zip(cities, city_boxes, per_city, strict=True):
        out.append((code, name, "city", "410000", box))
        counties = JIAOZUO_COUNTIES if code == "410800" else [
            (f"{code[:4]}{n + 21:02d}", f"{name[:-1]}第{n + 1}区县") for n in range(extra)
        ]  # fmt: skip
        for (ccode, cname), cbox in zip(counties, _split(box, max(1, len(counties))), strict=False):
            out.append((ccode, cname, "county", code, cbox))
            for t, tbox in enumerate(_split(cbox, scale.townships_per_county)):
                out.append((f"{ccode}{t + 1:03d}", f"{cname}第{t + 1}街道", "township", ccode, tbox))
    return out


def _load_tree(conn: Connection, scale: Scale) -> tuple[list[Place], dict[str, list[Place]], int]:
    rows = _tree(scale)
    for code, name, level, parent, box in rows:
        conn.execute(
            text(
                "INSERT INTO jurisdictions (code, name_zh, level, parent_id, path, boundary)"
                " SELECT CAST(:code AS text), :name, :level, p.id, COALESCE(p.path, '/') || CAST(:code AS text) || '/',"
                " ST_GeomFromEWKT(:poly)"
                " FROM (SELECT 1) one LEFT JOIN jurisdictions p ON p.code = CAST(:parent AS text)"
                " ON CONFLICT (code) DO UPDATE SET boundary = COALESCE(jurisdictions.boundary, EXCLUDED.boundary)"
            ),
            {"code": code, "name": name, "level": level, "parent": parent, "poly": _box_polygon(box)},
        )
    boxes = {code: box for code, _, _, _, box in rows}
    found = conn.execute(
        text("SELECT id, code, path, level FROM jurisdictions WHERE code = ANY(:codes)"), {"codes": list(boxes)}
    ).all()
    townships = [
        Place(id, code, path, boxes[code], path.strip("/").split("/")[2])
        for id, code, path, level in found
        if level == "township"
    ]
    by_county: dict[str, list[Place]] = {}
    for p in sorted(townships, key=lambda p: p.code):
        by_county.setdefault(p.county_code, []).append(p)
    return sorted(townships, key=lambda p: p.code), by_county, len(rows)


# ----------------------------------------------------------------------------- generation


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _weighted(rng: random.Random, pairs: Iterable[tuple[str, int]]) -> str:
    items = list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def generate(
    conn: Connection, scale: Scale, *, seed: int = 2026, until: date | None = None, progress: bool = False
) -> Counts:
    """Fill the database behind ``conn`` (owner role, one transaction the caller commits)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    bar = Progress(progress)
    counts = Counts()
    until = until or date(2026, 11, 30)
    first_day = until - timedelta(days=365 * scale.years)
    span_days = (until - first_day).days

    checklists = conn.execute(
        text("SELECT id, key, version, content_hash, site_kinds, content FROM checklist_versions WHERE is_current")
    ).all()
    if not checklists:
        raise SystemExit("no checklists: run `flask checklists sync` first")
    by_kind: dict[str, list[Any]] = {}
    for c in checklists:
        for kind in c.site_kinds:
            by_kind.setdefault(kind, []).append(c)
    kinds = [(k, w) for k, w in KIND_WEIGHTS.items() if k in by_kind] or [(k, 1) for k in by_kind]
    rules = conn.execute(
        text(
            "SELECT id, key, version, rule_hash, kind FROM penalty_rule_versions WHERE is_current"
            " AND kind IN ('fiscal_deduction', 'statutory_fine') ORDER BY key"
        )
    ).all()
    if not rules:
        raise SystemExit("no penalty rules: run `flask penalties sync` first")
    rules_by_kind = {k: [r for r in rules if r.kind == k] for k in ("fiscal_deduction", "statutory_fine")}
    rules_by_kind = {k: v for k, v in rules_by_kind.items() if v}

    townships, by_county, counts.jurisdictions = _load_tree(conn, scale)

    tables = ("sites", "inspections", "inspection_officers", "findings", "penalty_computations", "penalty_lines",
              "photos", "inspection_photo_links", "cases", "case_inspections", "case_events", "correction_orders",
              "fiscal_deductions")  # fmt: skip
    for table in tables:
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))

    # Users: four inspectors and a supervisor per county, all with the same password (one argon2 hash).
    pw = hash_password(PASSWORD)
    inspectors: dict[str, list[int]] = {}
    county_ids = dict(
        conn.execute(text("SELECT code, id FROM jurisdictions WHERE code = ANY(:c)"), {"c": list(by_county)}).all()
    )
    for county in sorted(by_county):
        for n, role in enumerate(("inspector",) * 4 + ("supervisor",)):
            username = f"gen.{county}.{role}{n}"
            uid = conn.execute(
                text(
                    "INSERT INTO users (username, role, password_hash, display_name, badge_number) VALUES"
                    " (:u, :r, :p, :d, :b) ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role RETURNING id"
                ),
                {"u": username, "r": role, "p": pw, "d": f"{county}-{role}-{n}", "b": f"B{county}{n}"},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO user_jurisdictions (user_id, jurisdiction_id) VALUES (:u, :j) ON CONFLICT DO NOTHING"
                ),
                {"u": uid, "j": county_ids[county]},
            )
            counts.users += 1
            if role == "inspector":
                inspectors.setdefault(county, []).append(uid)

    # Sites, spread over the townships.
    site_first = _reserve(conn, "sites_id_seq", scale.sites)
    sites: list[tuple[int, str, Place]] = []
    now = datetime(until.year, until.month, until.day, tzinfo=UTC)
    with bar.task("sites", scale.sites) as tick:
        cp = Copier(conn, "sites", ("id", "code", "kind", "name", "operator_type", "operator_name", "address", "geom",
                                    "attributes", "jurisdiction_id", "created_at", "updated_at"), tick)  # fmt: skip
        for n in range(scale.sites):
            place = townships[n % len(townships)] if n < len(townships) else rng.choice(townships)
            kind = _weighted(rng, kinds)
            x1, y1, x2, y2 = place.box
            lon, lat = rng.uniform(x1, x2), rng.uniform(y1, y2)
            geom = (
                f"SRID=4326;LINESTRING({lon} {lat},{min(lon + 0.005, x2)} {lat})"
                if kind == "road_segment"
                else f"SRID=4326;POINT({lon} {lat})"
            )
            sid = site_first + n
            cp.row(sid, f"GEN-{seed}-{n:07d}", kind, f"生成场所{n:07d}", "company", f"生成企业{n:07d}", None, geom,
                   {}, place.id, now, now)  # fmt: skip
            sites.append((sid, kind, place))
        counts.sites = cp.close()

    # Inspections and everything hanging off them, in one pass.
    seq_first = _reserve(conn, "inspection_change_seq", scale.inspections)
    comp_first = _reserve(conn, "penalty_computations_id_seq", scale.inspections)  # upper bound; unused ids skipped
    comp_next = comp_first
    insp_cols = ("id", "site_id", "checklist_version_id", "checklist_key", "checklist_version", "checklist_hash",
                 "state", "version", "change_seq", "created_by_id", "started_at", "ended_at", "location",
                 "location_accuracy_m", "location_crs", "alert_level", "last_put_hash", "last_put_version",
                 "submitted_at", "submitted_by_id", "submitted_from_version", "submission_count", "review_comment",
                 "reviewed_at", "reviewed_by_id", "decision", "decided_at", "decided_by_id", "decision_reason",
                 "created_at", "updated_at")  # fmt: skip
    finding_cols = ("inspection_id", "submission_no", "item_key", "checklist_key", "checklist_version",
                    "checklist_hash", "verdict", "phone_verdict", "explanation", "severity", "source_refs",
                    "penalty_keys", "answer", "created_at")  # fmt: skip
    comp_cols = ("id", "inspection_id", "is_current", "trigger", "reason", "computed_by", "computed_at",
                 "inspection_date", "context", "skipped", "policy_used")  # fmt: skip
    line_cols = ("computation_id", "inspection_id", "position", "rule_version_id", "rule_key", "rule_version",
                 "rule_hash", "kind", "title", "payer_type", "unit", "counted_units", "base_amount_fen", "amount_fen",
                 "status", "factors", "explanation", "basis", "authority", "source_refs", "item_keys", "verified",
                 "blocking_reasons")  # fmt: skip
    photo_cols = ("id", "sha256", "uploader_id", "scope_paths", "size_bytes", "format", "mime", "width", "height",
                  "derivatives_state", "display_width", "display_height", "created_at")  # fmt: skip
    link_cols = ("inspection_id", "item_key", "photo_id", "position", "linked_at", "flags", "flags_computed_at")
    case_cols = ("id", "site_id", "jurisdiction_id", "stage", "round", "version", "party_key", "party_kind",
                 "party_name", "opened_by_id", "filed_on", "filing_approved_by_id", "notice_served_on",
                 "proposed_fine_fen", "hearing_right", "decided_on", "decided_fine_fen", "decided_measures",
                 "decision_served_on", "paid_on", "paid_fen", "closed_on", "close_reason", "created_at",
                 "updated_at")  # fmt: skip
    order_cols = ("case_id", "inspection_id", "item_keys", "decided_on", "served_on", "deadline", "status",
                  "outcome_on", "created_by_id", "created_at")  # fmt: skip
    fiscal_cols = ("subdistrict_id", "inspection_id", "amount_fen", "lines", "status", "notified_on", "settled_on",
                   "created_at", "updated_at")  # fmt: skip
    case_rng = random.Random(seed + 1)
    case_first = _reserve(conn, "cases_id_seq", scale.inspections)  # upper bound; unused ids skipped
    case_next = case_first
    item_keys = {c.id: [i["key"] for i in c.content.get("items", [])] for c in checklists}
    supervisors = {
        county: int(conn.execute(text("SELECT id FROM users WHERE username = :u"), {"u": f"gen.{county}.supervisor4"}).scalar_one())
        for county in by_county
    }  # fmt: skip

    # One COPY at a time per connection, children after their parents: batches of inspections, each written to
    # in-memory spools then copied table by table (memory stays bounded whatever the scale).
    order = (
        ("inspections", "inspections", insp_cols),
        ("officers", "inspection_officers", ("inspection_id", "user_id", "position", "badge_number", "name")),
        ("findings", "findings", finding_cols),
        ("computations", "penalty_computations", comp_cols),
        ("lines", "penalty_lines", line_cols),
        ("photos", "photos", photo_cols),
        ("links", "inspection_photo_links", link_cols),
        ("cases", "cases", case_cols),
        ("case_inspections", "case_inspections", ("case_id", "inspection_id", "role", "added_at")),
        ("case_events", "case_events", ("case_id", "kind", "on_date", "at", "by_id", "data")),
        ("orders", "correction_orders", order_cols),
        ("fiscal", "fiscal_deductions", fiscal_cols),
    )
    spools: dict[str, io.StringIO] = {}
    rows_in: dict[str, int] = {}

    def spool(name: str, *values: Any) -> None:
        spools[name].write("\t".join(_tsv(v) for v in values))
        spools[name].write("\n")
        rows_in[name] += 1

    def flush_batch() -> None:
        raw = conn.connection.driver_connection
        for name, table, cols in order:
            data = spools[name].getvalue().encode()
            if data:
                with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    copy.write(data)

    batch = 20_000
    with bar.task("inspections (+ children)", scale.inspections) as tick:
        for n in range(scale.inspections):
            if n % batch == 0:
                if n:
                    flush_batch()
                    tick(batch)
                spools = {name: io.StringIO() for name, _, _ in order}
                rows_in.update({name: rows_in.get(name, 0) for name, _, _ in order})
            sid, kind, place = sites[rng.randrange(len(sites))]
            checklist = rng.choice(by_kind[kind])
            creator, second = rng.sample(inspectors[place.county_code], 2)
            supervisor = supervisors[place.county_code]
            day = first_day + timedelta(days=rng.randrange(span_days))
            start = datetime(day.year, day.month, day.day, rng.randrange(8, 18), rng.randrange(60), tzinfo=LOCAL)
            start_utc = start.astimezone(UTC)
            end_utc = start_utc + timedelta(minutes=rng.randrange(10, 90))
            state = _weighted(rng, STATES)
            iid = _uuid(rng)
            submitted = state != "draft"
            x1, y1, x2, y2 = place.box
            location = f"SRID=4326;POINT({rng.uniform(x1, x2)} {rng.uniform(y1, y2)})"
            decided = state in ("approved", "rejected")
            decided_at = end_utc + timedelta(hours=rng.randrange(1, 72)) if decided else None
            spool(
                "inspections", iid, sid, checklist.id, checklist.key, checklist.version, checklist.content_hash, state,
                3 if submitted else 1, seq_first + n, creator, start_utc, end_utc, location, 8.0, "wgs84",
                "none", "0" * 64, 1, end_utc if submitted else None, creator if submitted else None,
                1 if submitted else None, 1 if submitted else 0,
                "请补充照片" if state == "returned" else None,
                end_utc + timedelta(hours=2) if state == "returned" else None,
                supervisor if state == "returned" else None,
                {"approved": "approve", "rejected": "reject"}.get(state), decided_at,
                supervisor if decided else None, "证据不足" if state == "rejected" else None,
                start_utc, decided_at or end_utc,
            )  # fmt: skip
            spool("officers", iid, creator, 0, f"B{place.county_code}0", None)
            spool("officers", iid, second, 1, f"B{place.county_code}1", None)
            if not submitted:
                continue
            keys = item_keys[checklist.id]
            chosen = rng.sample(keys, min(len(keys), rng.choice((3, 3, 4, 4, 4)))) if keys else []
            failed: list[str] = []
            for key in chosen:
                verdict = _weighted(rng, (("pass", 84), ("fail", 12), ("na", 4)))
                spool("findings", iid, 1, key, checklist.key, checklist.version, checklist.content_hash, verdict,
                      verdict, {}, None, [], [], {}, end_utc)  # fmt: skip
                if verdict == "fail":
                    failed.append(key)
            if not failed:
                continue
            recomputed = rng.random() < 0.03
            current_fen = {"fiscal_deduction": 0, "statutory_fine": 0}
            for current in (False, True) if recomputed else (True,):
                cid = comp_next
                comp_next += 1
                spool("computations", cid, iid, current, "recompute" if current and recomputed else "submit",
                      "复核" if current and recomputed else None, "generator", end_utc, day, {}, [], {})  # fmt: skip
                for pos, key in enumerate(failed):
                    kind_of_line = rng.choice(sorted(rules_by_kind))
                    rule = rng.choice(rules_by_kind[kind_of_line])
                    blocked = rng.random() < 0.03
                    amount = None if blocked else rng.randrange(10, 1000) * 10_000  # 100 … 9,990 yuan, in fen
                    spool("lines", cid, iid, pos, rule.id, rule.key, rule.version, rule.rule_hash, rule.kind,
                          {"zh": rule.key, "en": rule.key}, "violator", "case", 1, amount, amount,
                          "blocked_amount_to_be_set" if blocked else "computed", [], {"zh": [], "en": []}, [], {},
                          [], [key], True, ["amount_to_be_set"] if blocked else [])  # fmt: skip
                    if current and amount is not None:
                        current_fen[rule.kind] += amount
            for key in failed:
                pid = _uuid(rng)
                spool("photos", pid, hashlib.sha256(pid.bytes).hexdigest(), creator, "{" + place.path + "}",
                      3_700_000, "JPEG", "image/jpeg", 4000, 3000, "ready", 1024, 768, start_utc)  # fmt: skip
                spool("links", iid, key, pid, 0, start_utc, [], end_utc)
            if state != "approved" or decided_at is None:
                continue
            opened_day = decided_at.astimezone(LOCAL).date()
            if current_fen["fiscal_deduction"] > 0:
                status = _weighted(case_rng, FISCAL_STATES)
                spool("fiscal", place.id, iid, current_fen["fiscal_deduction"], [], status,
                      opened_day + timedelta(days=7) if status != "open" else None,
                      opened_day + timedelta(days=30) if status == "settled" else None, decided_at, decided_at)  # fmt: skip
            if case_rng.random() >= CASE_SHARE:
                continue
            case_id = case_next
            case_next += 1
            _spool_case(spool, case_rng, case_id, sid, place, iid, failed, supervisor, decided_at, opened_day,
                        current_fen["statutory_fine"])  # fmt: skip
        flush_batch()
        tick(scale.inspections % batch or (batch if scale.inspections else 0))
    counts.inspections = rows_in["inspections"]
    counts.officers = rows_in["officers"]
    counts.findings = rows_in["findings"]
    counts.computations = rows_in["computations"]
    counts.penalty_lines = rows_in["lines"]
    counts.photos = rows_in["photos"]
    counts.cases = rows_in["cases"]
    counts.orders = rows_in["orders"]
    counts.fiscal_deductions = rows_in["fiscal"]
    conn.execute(text("SELECT setval('penalty_computations_id_seq', :v)"), {"v": max(comp_next - 1, 1)})
    conn.execute(text("SELECT setval('cases_id_seq', :v)"), {"v": max(case_next - 1, 1)})

    for table in tables:
        conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    for table in tables:
        conn.execute(text(f"ANALYZE {table}"))
    with bar.task("statistics rollups", 1) as tick:
        stats_rollup.rebuild_all(Session(bind=conn))
        tick(1)
    with bar.task("map rollup (low-zoom tiles)", 1) as tick:
        map_rollup.rebuild_all(Session(bind=conn))
        tick(1)
    counts.seconds = time.perf_counter() - started
    return counts


def _spool_case(
    spool: Any,
    rng: random.Random,
    case_id: int,
    site_id: int,
    place: Place,
    inspection_id: uuid.UUID,
    failed: list[str],
    supervisor: int,
    opened_at: datetime,
    opened_day: date,
    fine_fen: int,
) -> None:
    """One case at a stage drawn from CASE_STAGES, with the dates and amounts that stage has, its member
    inspection, its opening event and (past 立案, mostly) an order to correct."""
    stage = _weighted(rng, CASE_STAGES)
    rank = [s for s, _ in CASE_STAGES].index(stage)
    # A closed case went the whole way (decided and paid) or was closed without a penalty (行政处罚法第五十七条).
    no_penalty = stage == "closed" and rng.random() < 0.2
    reached = 5 if stage == "closed" and not no_penalty else (1 if no_penalty else rank)
    d = opened_day
    proposed = fine_fen or rng.randrange(10, 500) * 10_000
    decided = proposed if rng.random() < 0.7 else proposed * 8 // 10
    paid = reached >= 5 or (reached == 4 and rng.random() < 0.5)

    def day(n: int) -> date:
        return d + timedelta(days=n)

    spool("cases", case_id, site_id, place.id, stage, 1, 1 + reached, f"GEN-CASE-{case_id}", "unit",
          f"生成企业{site_id}", supervisor,
          day(1) if reached >= 1 else None, supervisor if reached >= 1 else None,
          day(10) if reached >= 2 else None, proposed if reached >= 2 else None, False if reached >= 2 else None,
          day(25) if reached >= 3 else None, decided if reached >= 3 else None, [] if reached >= 3 else None,
          day(27) if reached >= 4 else None, day(40) if paid else None, decided if paid else None,
          day(45 if reached >= 5 else 20) if stage == "closed" else None,
          ("不予行政处罚" if no_penalty else "已执行完毕") if stage == "closed" else None,
          opened_at, opened_at)  # fmt: skip
    spool("case_inspections", case_id, inspection_id, "initial", opened_at)
    spool("case_events", case_id, "opened", d, opened_at, supervisor, {"inspection_id": str(inspection_id)})
    if reached >= 1 and rng.random() < 0.8:
        if stage == "closed":
            status = "complied"
        elif stage == "investigation" and rng.random() < 0.2:
            status = "refused"
        else:
            status = _weighted(rng, (("open", 60), ("complied", 40)))
        spool("orders", case_id, inspection_id, failed, day(1), day(2), day(16), status,
              day(17) if status != "open" else None, supervisor, opened_at)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="the owner role's SQLAlchemy URL")
    parser.add_argument("--scale", choices=sorted(SCALES), default="henan")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sites", type=int, help="override the scale's site count")
    parser.add_argument("--inspections", type=int, help="override the scale's inspection count")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    if args.sites or args.inspections:
        scale = Scale(
            **{
                **scale.__dict__,
                "sites": args.sites or scale.sites,
                "inspections": args.inspections or scale.inspections,
            }
        )
    engine = create_engine(args.database_url)
    with engine.begin() as conn:
        counts = generate(conn, scale, seed=args.seed, progress=sys.stderr.isatty() or True)
    print(json.dumps(counts.__dict__, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
