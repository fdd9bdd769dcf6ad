"""Writing imported zones (created or replaced by code, audited) and re-deriving which sites lie in them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.errors import FieldError
from app.geo.import_result import CheckedFeature, ImportResult, geometry_digest, outside_scope
from app.geo.postgis_check import current_wkb
from app.jurisdictions.models import Jurisdiction
from app.zones.models import Zone
from app.zones.queries import area_outside_jurisdiction, rederive_site_zones, smallest_jurisdiction_covering

# A zone may only cover ground of its owner: the owner's admin designates it, and every site inside it
# gets it in its checklist context. Zones and boundaries come from different surveys, so a zone may stray
# up to this far outside its owner's boundary (boundary noise along a shared edge); any farther and the
# feature is refused. 50 m is well below the width of the smallest township and above the offsets seen
# between GCJ-02 conversions and surveyed boundaries.
OWNER_TOLERANCE_M = 50.0


def import_zones(
    session: Session,
    checked: list[CheckedFeature],
    scope: Sequence[str] | None,
    errors: list[FieldError],
    result: ImportResult,
    is_demo: bool,
) -> None:
    """Resolve every zone's owner, then write the zones and their sites' memberships; on any error append it and stop."""
    owners = _owners(session, checked, scope, errors)
    if errors:
        return
    # codes are unique within a file (duplicate_code), so one look-up serves every feature
    stored = {z.code: z for z in session.scalars(select(Zone).where(Zone.code.in_([c.feature.code for c in checked])))}
    touched: list[int] = []
    for c in checked:
        zone_id = _write_zone(session, c, stored.get(c.feature.code), owners[c.feature.index], result, is_demo)
        if zone_id is not None:
            touched.append(zone_id)
    rederive_site_zones(session, zone_ids=touched)


def _owners(
    session: Session, checked: list[CheckedFeature], scope: Sequence[str] | None, errors: list[FieldError]
) -> dict[int, Jurisdiction]:
    """Each feature's owning jurisdiction (named, else the smallest covering it), by feature index."""
    owners: dict[int, Jurisdiction] = {}
    named = {
        j.code: j
        for j in session.scalars(
            select(Jurisdiction).where(
                Jurisdiction.code.in_({c.feature.jurisdiction_code for c in checked if c.feature.jurisdiction_code})
            )
        )
    }
    for c in checked:
        f = c.feature
        base = f"features[{f.index}].properties"
        owner: Jurisdiction | None
        if f.jurisdiction_code:
            owner = named.get(f.jurisdiction_code)
            if owner is None:
                errors.append(
                    FieldError(
                        f"{base}.jurisdiction_code",
                        "unknown_jurisdiction",
                        f"所属行政区划 {f.jurisdiction_code} 不存在",
                        f"Owning jurisdiction {f.jurisdiction_code} does not exist",
                    )
                )
                continue
        else:
            owner = smallest_jurisdiction_covering(session, func.ST_GeomFromWKB(c.wkb, 4326), scope)
            if owner is None:
                errors.append(
                    FieldError(
                        f"{base}.jurisdiction_code",
                        "missing_property",
                        "区域须有所属行政区划 jurisdiction_code（且无行政区划边界完整覆盖该区域）",
                        "A zone needs jurisdiction_code (no jurisdiction boundary covers it entirely)",
                    )
                )
                continue
        if scope is not None and not any(owner.path.startswith(p) for p in scope):
            errors.append(outside_scope(f.index, f.code))
            continue
        if not _within_owner(session, c, owner, errors):
            continue
        owners[f.index] = owner
    return owners


def _within_owner(session: Session, c: CheckedFeature, owner: Jurisdiction, errors: list[FieldError]) -> bool:
    """The zone lies within its owner's boundary (``OWNER_TOLERANCE_M``); otherwise append the error naming the owner."""
    path = f"features[{c.feature.index}].geometry"
    try:
        outside = area_outside_jurisdiction(session, func.ST_GeomFromWKB(c.wkb, 4326), owner.id, OWNER_TOLERANCE_M)
    except LookupError:
        errors.append(
            FieldError(
                path,
                "owner_boundary_missing",
                f"所属行政区划 {owner.code}（{owner.name_zh}）尚无边界，无法确认区域在其范围内；请先导入其边界",
                f"The owning jurisdiction {owner.code} ({owner.name_zh}) has no boundary yet, so the "
                "zone cannot be checked against it; import its boundary first",
            )
        )
        return False
    if outside is not None:
        errors.append(
            FieldError(
                path,
                "zone_outside_owner",
                f"区域超出所属行政区划 {owner.code}（{owner.name_zh}）的边界（界外约 {outside:,.0f} 平方米，"
                f"容差 {OWNER_TOLERANCE_M:g} 米）",
                f"The zone extends beyond the boundary of its owning jurisdiction {owner.code} "
                f"({owner.name_zh}): about {outside:,.0f} m² outside (tolerance {OWNER_TOLERANCE_M:g} m)",
            )
        )
        return False
    return True


def _write_zone(
    session: Session, c: CheckedFeature, zone: Zone | None, owner: Jurisdiction, result: ImportResult, is_demo: bool
) -> int | None:
    """Create (``zone`` None) or update the zone with the feature's code; its id when something changed, else None."""
    f = c.feature
    before_wkb = current_wkb(session, Zone.geom, Zone.id, zone.id) if zone is not None else None
    before = _zone_summary(zone, before_wkb) if zone is not None else None
    if zone is None:
        zone = Zone(
            code=f.code, kind=f.kind or "", name_zh=f.name, jurisdiction_id=owner.id, geom=WKBElement(c.wkb, srid=4326)
        )
        session.add(zone)
    zone.kind, zone.name_zh, zone.name_en = f.kind or zone.kind, f.name, f.name_en
    zone.jurisdiction_id, zone.designated_by = owner.id, f.designated_by
    zone.valid_from, zone.valid_to, zone.is_demo = f.valid_from, f.valid_to, is_demo
    if before_wkb is None or geometry_digest(before_wkb) != c.digest:
        zone.geom = WKBElement(c.wkb, srid=4326)
    session.flush()
    after = _zone_summary(zone, c.wkb)
    if before is None:
        record_audit(session, "zone.create", "zone", f.code, after=after)
        result.created.append(f.code)
    elif before != after:
        record_audit(session, "zone.update", "zone", f.code, before=before, after=after)
        result.replaced.append(f.code)
    else:
        result.unchanged.append(f.code)
        return None
    return zone.id


def _zone_summary(z: Zone, wkb: bytes | None) -> dict[str, Any]:
    return {
        "code": z.code,
        "kind": z.kind,
        "name_zh": z.name_zh,
        "name_en": z.name_en,
        "jurisdiction_id": z.jurisdiction_id,
        "designated_by": z.designated_by,
        "valid_from": z.valid_from,
        "valid_to": z.valid_to,
        "geom_sha256": geometry_digest(wkb),
    }
