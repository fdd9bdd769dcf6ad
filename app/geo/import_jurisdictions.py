"""Writing imported jurisdiction boundaries, and moving sites to the jurisdictions that now cover them.

References are resolved first (parents in the database or earlier/later in the same file) and,
when the caller is scoped, every feature must lie within scope. Only when no feature has an
error is anything written: ``upsert_jurisdiction`` (names/level/parent, audited), then the
boundary (audited as ``jurisdiction.boundary_replace`` with digests of the old and new shapes,
skipped when the shape is unchanged). Sites are then re-derived to the smallest covering jurisdiction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.errors import FieldError
from app.geo.divisions import inferred_parent_code
from app.geo.import_result import CheckedFeature, ImportResult, geometry_digest, outside_scope
from app.geo.postgis_check import current_wkb
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import upsert_jurisdiction
from app.sites.models import Site
from app.vocabulary import JURISDICTION_LEVELS
from app.zones.queries import rederive_site_jurisdictions, smallest_jurisdiction_for_site

TOP_LEVEL = JURISDICTION_LEVELS[0]  # provinces are the only roots of the tree


def import_jurisdictions(
    session: Session,
    checked: list[CheckedFeature],
    scope: Sequence[str] | None,
    errors: list[FieldError],
    result: ImportResult,
) -> None:
    """Write every boundary, parents first, then re-derive sites; on any error append it and stop."""
    in_file = {c.feature.code: c for c in checked}
    _infer_missing_parents(session, checked, in_file, scope)
    wanted = list(in_file) + [c.feature.parent_code for c in checked if c.feature.parent_code]
    existing = {j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(wanted)))}
    for c in checked:  # check every reference before writing anything
        _check_references(c, in_file, existing, scope, errors)
    if errors:
        return
    _write_parents_first(session, checked, in_file, existing, errors, result)
    if errors:
        return
    if scope is not None:
        _check_written_in_scope(session, checked, scope, errors)
    if not errors:
        session.flush()
        if scope is not None:
            sites_kept_in_scope(session, scope, errors)
    if not errors:
        result.sites_moved = rederive_site_jurisdictions(session)


def _infer_missing_parents(
    session: Session, checked: list[CheckedFeature], in_file: dict[str, CheckedFeature], scope: Sequence[str] | None
) -> None:
    """A new division without ``parent_code`` hangs under the division its GB/T 2260 code implies. When that
    one exists neither in the database nor in the file the reference check refuses the feature, naming it:
    a district imported before its city would otherwise become a parentless root, outside every admin's scope
    and left there when the city arrives. An existing root that is no province (left by earlier imports) is
    moved under its implied parent when that one exists; only for unscoped imports (CLI), since moving a root
    into a subtree moves its sites into that subtree's scope."""
    candidates = {c.feature.code: inferred_parent_code(c.feature.code) for c in checked if not c.feature.parent_code}
    wanted = [p for p in candidates.values() if p]
    if not wanted:
        return
    rows = session.execute(
        select(Jurisdiction.code, Jurisdiction.parent_id, Jurisdiction.level).where(
            Jurisdiction.code.in_(wanted + list(candidates))
        )
    ).all()
    known = {r.code for r in rows}
    orphans = {r.code for r in rows if r.parent_id is None and r.level != TOP_LEVEL}
    for c in checked:
        parent = candidates.get(c.feature.code)
        if not parent:
            continue
        if c.feature.code not in known or (
            scope is None and c.feature.code in orphans and (parent in known or parent in in_file)
        ):
            c.feature = replace(c.feature, parent_code=parent)


def _check_references(
    c: CheckedFeature,
    in_file: dict[str, CheckedFeature],
    existing: dict[str, Jurisdiction],
    scope: Sequence[str] | None,
    errors: list[FieldError],
) -> None:
    f = c.feature
    cur = existing.get(f.code)
    base = f"features[{f.index}].properties"
    if cur is None and f.level is None:
        errors.append(
            FieldError(
                f"{base}.level", "missing_property", "新建行政区划须提供级别 level", "A new jurisdiction needs a level"
            )
        )
    if f.parent_code and f.parent_code not in existing and f.parent_code not in in_file:
        errors.append(
            FieldError(
                f"{base}.parent_code",
                "unknown_parent",
                f"上级行政区划 {f.parent_code} 不存在（数据库与本文件中均无）；请先导入上级，或放在同一文件中",
                f"Parent jurisdiction {f.parent_code} exists neither in the database nor in this file; "
                "import it first or in the same file",
            )
        )
    if cur is None and not f.parent_code and f.level is not None and f.level != TOP_LEVEL:
        # every jurisdiction but a province hangs in the tree (a root is outside every scoped admin's view)
        errors.append(
            FieldError(
                f"{base}.parent_code",
                "missing_parent",
                f"新建的{f.level}级行政区划须提供上级 parent_code（代码无法推断上级）",
                f"A new {f.level} needs parent_code (its code does not imply a parent)",
            )
        )
    if f.parent_code == f.code:
        errors.append(
            FieldError(
                f"{base}.parent_code", "invalid_parent", "上级不能是自身", "A jurisdiction cannot be its own parent"
            )
        )
    if scope is not None:
        path = _path_after_import(c, cur, in_file, existing)
        if path is not None and not any(path.startswith(p) for p in scope):
            errors.append(outside_scope(f.index, f.code))


def _path_after_import(
    c: CheckedFeature, cur: Jurisdiction | None, in_file: dict[str, CheckedFeature], existing: dict[str, Jurisdiction]
) -> str | None:
    """Where the jurisdiction will sit in the tree; None when its parent arrives in the same file
    (then the parent's own scope check, and the check after writing, judge it)."""
    f = c.feature
    if f.parent_code in in_file and f.parent_code not in existing:
        return None
    if cur is not None and not f.parent_code:
        return cur.path
    parent = existing.get(f.parent_code) if f.parent_code else None
    return (parent.path if parent is not None else "/") + f.code + "/"


def _write_parents_first(
    session: Session,
    checked: list[CheckedFeature],
    in_file: dict[str, CheckedFeature],
    existing: dict[str, Jurisdiction],
    errors: list[FieldError],
    result: ImportResult,
) -> None:
    """Parents before children: repeat passes until every feature is placed (a cycle is an error)."""
    pending = list(checked)
    done: set[str] = set()
    while pending:
        progress = False
        for c in list(pending):
            f = c.feature
            if f.parent_code and f.parent_code in in_file and f.parent_code not in done and f.parent_code != f.code:
                continue
            _write_jurisdiction(session, c, existing.get(f.code), result)
            done.add(f.code)
            pending.remove(c)
            progress = True
        if not progress:
            for c in pending:
                errors.append(
                    FieldError(
                        f"features[{c.feature.index}].properties.parent_code",
                        "parent_cycle",
                        "上级关系成环",
                        "Parent references form a cycle",
                    )
                )
            return


def _write_jurisdiction(session: Session, c: CheckedFeature, cur: Jurisdiction | None, result: ImportResult) -> None:
    f = c.feature
    old_path = cur.path if cur is not None else None
    parent_code = f.parent_code
    if parent_code is None and cur is not None and cur.parent is not None:
        parent_code = cur.parent.code
    j = upsert_jurisdiction(
        session,
        code=f.code,
        name_zh=f.name,
        level=f.level or (cur.level if cur else ""),
        parent_code=parent_code,
        name_en=f.name_en if f.name_en is not None else (cur.name_en if cur else None),
    )
    if old_path is not None and j.path != old_path:
        result.reparented.append(f.code)
    before = current_wkb(session, Jurisdiction.boundary, Jurisdiction.id, j.id) if cur is not None else None
    if before is not None and geometry_digest(before) == c.digest:
        if f.code not in result.reparented:
            result.unchanged.append(f.code)
        return
    j.boundary = WKBElement(c.wkb, srid=4326)
    session.flush()
    record_audit(
        session,
        "jurisdiction.boundary_replace",
        "jurisdiction",
        f.code,
        before=_boundary_summary(before),
        after=_boundary_summary(c.wkb),
    )
    (result.replaced if before is not None else result.created).append(f.code)


def _boundary_summary(wkb: bytes | None) -> dict[str, Any]:
    return {"boundary_sha256": geometry_digest(wkb), "has_boundary": wkb is not None}


def _check_written_in_scope(
    session: Session, checked: list[CheckedFeature], scope: Sequence[str], errors: list[FieldError]
) -> None:
    """After writing, every imported jurisdiction must sit within the caller's scope."""
    codes = [c.feature.code for c in checked]
    written = {j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(codes)))}
    for c in checked:
        j = written.get(c.feature.code)
        if j is not None and not any(j.path.startswith(p) for p in scope):
            errors.append(outside_scope(c.feature.index, c.feature.code))


def sites_kept_in_scope(session: Session, scope: Sequence[str], errors: list[FieldError]) -> None:
    """A scoped admin's boundaries must not pull a site across the scope's edge: a small new sub-district
    drawn over another district's site would otherwise move that site (and its inspections) into the
    admin's scope. Refused (422, nothing imported) when a site would move from or to outside the scope."""
    new_id = smallest_jurisdiction_for_site()
    current = select(Jurisdiction.path).where(Jurisdiction.id == Site.jurisdiction_id).scalar_subquery()
    target = select(Jurisdiction.path).where(Jurisdiction.id == new_id).scalar_subquery()

    rows = session.execute(
        select(Site.id, current, target).where(new_id.is_not(None), Site.jurisdiction_id.is_distinct_from(new_id))
    ).all()
    crossing = sum(
        1
        for _, cur_path, new_path in rows
        if not any(cur_path.startswith(p) for p in scope) or not any((new_path or "").startswith(p) for p in scope)
    )
    if crossing:  # no ids: the sites outside the scope do not exist for the caller
        errors.append(
            FieldError(
                "features",
                "boundary_crosses_scope",
                "导入的边界会使辖区外的场所移入（或辖区内的场所移出）您的辖区，整批拒绝",
                "The boundaries would move sites across the edge of your jurisdictions; nothing was imported",
            )
        )
