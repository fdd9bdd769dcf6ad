"""Map layers in SQL: GeoJSON FeatureCollections built by PostGIS (json_agg + ST_AsGeoJSON) and vector tiles
(ST_AsMVT), for the review queue's filters in the caller's scope, in the coordinate system the caller asks for
(``lantian_to_crs``, migration 0017: the same formulas as app/geo/crs.py).

Rows are selected by their stored WGS-84 position with the GiST indexes (sites.geom, inspections.location);
the output position is converted. Inspections without a phone position are not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import JSON, Integer, Select, Text, and_, cast, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.inspections.models import Finding, Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.localtime import LOCAL_TZ
from app.maplayers.models import MapSite, MapSiteCount
from app.maplayers.tiles import CRS_MARGIN_DEG
from app.review.queries import QueueFilter, filter_conditions
from app.sites.models import Site

LAYERS = ("sites", "inspections", "findings")


def check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise NotFound("没有这个图层", f"No map layer {layer}", code="layer_not_found")


def _position() -> Any:
    return func.coalesce(Inspection.location, func.ST_PointOnSurface(Site.geom))


def _in_box(geom: Any, box: tuple[float, float, float, float]) -> Any:
    return geom.op("&&")(func.ST_MakeEnvelope(*box, 4326))


def layer_rows(
    layer: str, paths: Sequence[str] | None, flt: QueueFilter, box: tuple[float, float, float, float]
) -> Select[Any]:
    """(id, geometry (WGS-84), properties as json) of one layer within ``box`` (WGS-84)."""
    if layer == "sites":
        conds: list[Any] = [scope_clause(paths, Jurisdiction.path), _in_box(Site.geom, box)]
        if flt.jurisdiction_path is not None:
            conds.append(Jurisdiction.path.startswith(flt.jurisdiction_path))
        if flt.site_kind is not None:
            conds.append(Site.kind == flt.site_kind)
        if flt.site_id is not None:
            conds.append(Site.id == flt.site_id)
        props = _obj("id", Site.id, "name", Site.name, "kind", Site.kind, "jurisdiction_code", Jurisdiction.code)
        return (
            select(Site.id.label("id"), Site.geom.label("geom"), props.label("props"))
            .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
            .where(*conds)
            .order_by(Site.id)
        )
    # The queue's own bbox (position OR site) cannot use an index as one condition; the map selects by the
    # position it draws.
    conds = [*filter_conditions(paths, replace(flt, bbox=None)), Inspection.state.in_(flt.states)]
    position = _position()
    # Selected by the phone position alone, so the GiST index answers (an OR with the site's geometry, another
    # table, cannot use it: 7-10 s at 1 M inspections in bench/README.md). Inspections without a position are
    # not drawn.
    conds.append(_in_box(Inspection.location, box))
    local_day = func.to_char(
        func.timezone(str(LOCAL_TZ), func.coalesce(Inspection.started_at, Inspection.submitted_at)), "YYYY-MM-DD"
    )
    base = (
        select()
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(*conds)
    )
    if layer == "inspections":
        props = _obj(
            "id", Inspection.id, "state", Inspection.state, "site_id", Site.id, "site_name", Site.name,
            "checklist", Inspection.checklist_key, "date", local_day,
        )  # fmt: skip
        return base.add_columns(
            func.cast(Inspection.id, Site.name.type).label("id"), position.label("geom"), props.label("props")
        ).order_by(Inspection.change_seq)
    props = _obj(
        "id", Finding.id, "inspection_id", Inspection.id, "item_key", Finding.item_key,
        "checklist", Finding.checklist_key, "site_id", Site.id, "date", local_day,
    )  # fmt: skip
    return (
        base.add_columns(Finding.id.label("id"), position.label("geom"), props.label("props"))
        .join(
            Finding,
            and_(
                Finding.inspection_id == Inspection.id,
                Finding.submission_no == Inspection.submission_count,
                Finding.revision == Inspection.findings_revision,
                Finding.verdict == "fail",
            ),
        )
        .order_by(Inspection.change_seq, Finding.id)
    )


def _obj(*pairs: Any) -> Any:
    """json_build_object with constant keys written as SQL literals (a bound key has no type to infer)."""
    args: list[Any] = []
    for key, value in zip(pairs[::2], pairs[1::2], strict=True):
        args += [literal_column(f"'{key}'"), value]
    return func.json_build_object(*args)


def point_lookup_plans(session: Session) -> None:
    """For this transaction: price index probes as the cached reads they are and plan without parallel workers.

    A layer's rows are a few thousand inspections found by the GiST index, each joined to its site. With the
    default random_page_cost (4, for spinning disks) the planner hashes all 100,000 sites (a sequential scan,
    in parallel) rather than probing 2,000 of them by primary key: 2-3 times slower at 1 M inspections, where
    the tables are in memory (EXPLAIN of a county's inspections: ≈ 150 → 65 ms under load). Parallel workers
    on two shared cores add start-up cost for statements this size. set_config(…, true) ends with the request's
    transaction."""
    session.execute(
        text(
            "SELECT set_config('random_page_cost', '1.1', true), set_config('max_parallel_workers_per_gather', '0', true)"
        )
    )


def feature_collection(session: Session, rows: Select[Any], crs: str, limit: int) -> tuple[str, int, bool]:
    """(FeatureCollection text, feature count, truncated) built by PostgreSQL; at most ``limit`` features."""
    point_lookup_plans(session)
    sub = rows.limit(limit + 1).subquery("r")
    numbered = select(sub, func.row_number().over().label("n")).subquery("numbered")
    geometry = cast(func.ST_AsGeoJSON(func.lantian_to_crs(numbered.c.geom, literal(crs, Text)), 7), JSON)
    feature = _obj("type", literal_column("'Feature'"), "id", numbered.c.id, "properties", numbered.c.props,
                   "geometry", geometry)  # fmt: skip
    features = func.json_agg(feature).filter(numbered.c.n <= limit)
    fc = _obj(
        "type", literal_column("'FeatureCollection'"), "features", func.coalesce(features, literal_column("'[]'::json"))
    )
    stmt = select(cast(fc, Text), func.count(), func.count().filter(numbered.c.n <= limit)).select_from(numbered)
    body, total, kept = session.execute(stmt).one()
    return str(body), int(kept), int(total) > limit


def tile(session: Session, rows: Select[Any], layer: str, z: int, x: int, y: int, crs: str) -> bytes:
    """The layer's MVT for tile z/x/y (empty bytes when nothing is there). Below zoom 12, points that fall in
    the same tile pixel (of 256) are merged into one feature with a ``count``."""
    point_lookup_plans(session)
    sub = rows.order_by(None).subquery("r")
    envelope = func.ST_TileEnvelope(z, x, y)
    placed = func.ST_Transform(func.lantian_to_crs(func.ST_PointOnSurface(sub.c.geom), literal(crs, Text)), 3857)
    if z >= 12:
        extent = 4096
        inner = select(
            cast(sub.c.id, Text).label("id"),
            func.ST_AsMVTGeom(
                func.ST_Transform(func.lantian_to_crs(sub.c.geom, literal(crs, Text)), 3857), envelope, extent, 64, True
            ).label("geom"),  # fmt: skip
            cast(sub.c.props, JSONB).label("props"),
        ).subquery("g")
        rows_t = select(inner).where(inner.c.geom.is_not(None)).subquery("t")
    else:
        extent = 256
        inner = select(func.ST_AsMVTGeom(placed, envelope, extent, 0, True).label("geom")).subquery("g")
        rows_t = (
            select(inner.c.geom, func.count().label("count"))
            .where(inner.c.geom.is_not(None))
            .group_by(inner.c.geom)
            .subquery("t")
        )
    mvt = func.ST_AsMVT(literal_column("t"), literal(layer, Text), extent, literal("geom", Text))
    stmt = select(func.coalesce(mvt, literal_column("''::bytea"))).select_from(rows_t)
    return bytes(session.execute(stmt).scalar_one())


LOW_ZOOM_EXTENT = 256  # below zoom 12 features are merged per pixel of a 256-pixel tile
WEB_MERCATOR_WIDTH = 40_075_016.685578488  # metres: the width of zoom 0's one tile


def site_counts_live(
    layer: str, paths: Sequence[str] | None, flt: QueueFilter, box: tuple[float, float, float, float]
) -> Select[Any]:
    """(geom (the site's, WGS-84), n) per site within ``box``: its inspections (or their failed findings of the
    current submission and revision) matching every filter, from the base tables. The live form of the rollup
    (``rollup_counts``): the same counts, for filters the rollup cannot answer."""
    conds = [*filter_conditions(paths, replace(flt, bbox=None)), Inspection.state.in_(flt.states)]
    conds.append(_in_box(Site.geom, box))
    stmt = (
        select(Site.geom.label("geom"))
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(*conds)
        .group_by(Site.id)
    )
    if layer == "inspections":
        return stmt.add_columns(func.count().label("n"))
    return stmt.add_columns(func.count(Finding.id).label("n")).join(
        Finding,
        and_(
            Finding.inspection_id == Inspection.id,
            Finding.submission_no == Inspection.submission_count,
            Finding.revision == Inspection.findings_revision,
            Finding.verdict == "fail",
        ),
    )


def rollup_counts(
    layer: str, paths: Sequence[str] | None, flt: QueueFilter, z: int, x: int, y: int, crs: str
) -> Select[Any]:
    """(p (the site's point in ``crs``, web-mercator), n) per site in tile z/x/y, from the rollup (0032): sites
    for the sites layer; inspections or failed findings matching the states, checklist, kind, jurisdiction and
    scope otherwise (app/maplayers/aggregation.py says when it answers)."""
    point = getattr(MapSite, f"p_{crs}")
    # A point up to half a pixel outside is drawn on the tile's edge: selected with a pixel's margin.
    margin = func.ST_Expand(func.ST_TileEnvelope(z, x, y), WEB_MERCATOR_WIDTH / 2**z / LOW_ZOOM_EXTENT)
    conds: list[Any] = [point.op("&&")(margin), scope_clause(paths, MapSite.jurisdiction_path)]
    if flt.jurisdiction_path is not None:
        conds.append(MapSite.jurisdiction_path.startswith(flt.jurisdiction_path))
    if flt.site_kind is not None:
        conds.append(MapSite.kind == flt.site_kind)
    if layer == "sites":
        return select(point.label("p"), literal(1).label("n")).where(*conds)
    prefix = "inspections" if layer == "inspections" else "failed"
    if flt.checklist is None:
        # The site row's totals of the chosen states: one GiST probe, no join.
        n: Any = sum((getattr(MapSite, f"{prefix}_{state}") for state in sorted(set(flt.states))), literal(0))
    else:
        measure = MapSiteCount.inspections if layer == "inspections" else MapSiteCount.failed_findings
        # Per site found by the GiST probe, its few count rows by primary key.
        n = (
            select(func.coalesce(func.sum(measure), 0))
            .where(
                MapSiteCount.site_id == MapSite.site_id,
                MapSiteCount.state.in_(flt.states),
                MapSiteCount.checklist_key == flt.checklist,
            )
            .scalar_subquery()
        )
    counted = select(point.label("p"), n.label("n")).where(*conds).subquery("counted")
    return select(counted.c.p, counted.c.n).where(counted.c.n > 0)


def count_tile(session: Session, rows: Select[Any], layer: str, z: int, x: int, y: int, *, placed: Any) -> bytes:
    """An MVT of per-site counts merged per pixel: each feature has ``count`` (the sum of ``n``) and ``sites``.
    ``placed(sub)`` is the web-mercator point of a row of ``rows``. The pixel is computed as ST_AsMVTGeom does
    (scale to the 256-pixel tile, y down, round; kept within [0, 256]) but as two integers, so rows are grouped
    by numbers rather than by geometries."""
    sub = rows.subquery("r")
    size = WEB_MERCATOR_WIDTH / 2**z
    left, top = -WEB_MERCATOR_WIDTH / 2 + x * size, WEB_MERCATOR_WIDTH / 2 - y * size
    scale = LOW_ZOOM_EXTENT / size
    point = placed(sub)
    inner = select(
        func.round((func.ST_X(point) - left) * scale).label("px"),
        func.round((top - func.ST_Y(point)) * scale).label("py"),
        sub.c.n,
    ).subquery("g")
    rows_t = (
        select(
            func.ST_MakePoint(inner.c.px, inner.c.py).label("geom"),
            cast(func.sum(inner.c.n), Integer).label("count"),
            cast(func.count(), Integer).label("sites"),
        )
        .where(inner.c.px.between(0, LOW_ZOOM_EXTENT), inner.c.py.between(0, LOW_ZOOM_EXTENT))
        .group_by(inner.c.px, inner.c.py)
        .subquery("t")
    )
    mvt = func.ST_AsMVT(literal_column("t"), literal(layer, Text), LOW_ZOOM_EXTENT, literal("geom", Text))
    stmt = select(func.coalesce(mvt, literal_column("''::bytea"))).select_from(rows_t)
    return bytes(session.execute(stmt).scalar_one())


def rollup_tile(
    session: Session, layer: str, paths: Sequence[str] | None, flt: QueueFilter, z: int, x: int, y: int, crs: str
) -> bytes:
    return count_tile(
        session, rollup_counts(layer, paths, flt, z, x, y, crs), layer, z, x, y, placed=lambda sub: sub.c.p
    )


def live_count_tile(
    session: Session,
    layer: str,
    paths: Sequence[str] | None,
    flt: QueueFilter,
    z: int,
    x: int,
    y: int,
    crs: str,
    box: tuple[float, float, float, float],
) -> bytes:
    def placed(sub: Any) -> Any:
        point = func.lantian_to_crs(func.ST_PointOnSurface(sub.c.geom), literal(crs, Text))
        return func.ST_Transform(point, 3857)

    return count_tile(session, site_counts_live(layer, paths, flt, box), layer, z, x, y, placed=placed)


def tile_box(z: int, x: int, y: int, bounds: tuple[float, float, float, float], crs: str) -> tuple[float, ...]:
    margin = CRS_MARGIN_DEG if crs != "wgs84" else 0.0
    x1, y1, x2, y2 = bounds
    pad_x, pad_y = (x2 - x1) * 64 / 4096, (y2 - y1) * 64 / 4096
    return x1 - pad_x - margin, y1 - pad_y - margin, x2 + pad_x + margin, y2 + pad_y + margin


def data_version(session: Session, layer: str) -> int | None:
    """Inspections and findings change only with a new inspection change number (the sync feed's order):
    the newest one is the layers' version. Sites have none: their tile's ETag is its content's hash."""
    if layer == "sites":
        return None
    return int(session.scalar(select(func.coalesce(func.max(Inspection.change_seq), 0))) or 0)
