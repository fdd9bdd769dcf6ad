"""Which stored checklists, and which of their items, apply at a site on a day (``GET /sites/{id}/checklist``).

The decisions are ``applicability``'s (pure); this module loads the current versions, the jurisdiction's
parameter values and the site's context.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.in_force import highest_level_on, items_for, level_at
from app.alerts.measures import append_items
from app.checklists.applicability import checklist_applies, normalise_context, resolve_checklist
from app.checklists.files import DEFAULT_CHECKLISTS_DIR
from app.checklists.models import ChecklistVersion
from app.checklists.parameters import checklist_parameters_by_key
from app.checklists.site_kinds import load_site_kinds, site_kinds_path
from app.checklists.spec import ChecklistSpec
from app.checklists.versions import checklist_not_found
from app.localtime import today_local
from app.sites.models import Site
from app.sites.services import site_context


def resolve_checklists_for_context(
    session: Session,
    context: dict[str, Any],
    key: str | None = None,
    *,
    checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR,
) -> dict[str, Any]:
    """Resolve every current checklist covering the context's site kind.

    Returns ``{"context": ..., "checklists": [resolved...], "not_applicable": [{key, version, content_hash,
    reasons}]}``. Each resolved checklist is ``resolve_checklist`` output plus ``content_hash``; it carries the
    jurisdiction's parameter values, every applicable item with ``applies_because`` and raw ``applies_when``,
    and ``not_applicable`` items with their raw conditions, so a phone can re-evaluate offline.
    """
    ctx = normalise_context(context)
    query = (
        select(ChecklistVersion)
        .where(
            ChecklistVersion.is_current.is_(True),
            ChecklistVersion.site_kinds.contains([ctx["site"]["kind"]]),
        )
        .order_by(ChecklistVersion.key)
    )
    if key is not None:
        query = query.where(ChecklistVersion.key == key)
    vocabulary = load_site_kinds(site_kinds_path(checklists_dir))
    applicable: list[tuple[ChecklistVersion, ChecklistSpec]] = []
    skipped: list[dict[str, Any]] = []
    for row in session.scalars(query):
        spec = ChecklistSpec.from_doc(row.content)
        applies, reasons = checklist_applies(spec, ctx)
        if applies:
            applicable.append((row, spec))
        else:
            skipped.append(
                {
                    "key": row.key,
                    "version": row.version,
                    "content_hash": row.content_hash,
                    "title": row.content.get("title"),
                    "reasons": reasons,
                }
            )
    params = checklist_parameters_by_key(session, ctx["jurisdictions"], [row.key for row, _ in applicable])
    resolved: list[dict[str, Any]] = []
    for row, spec in applicable:
        out = resolve_checklist(spec, {**ctx, "params": params[row.key]}, vocabulary=vocabulary)
        out["content_hash"] = row.content_hash
        resolved.append(out)
    public_ctx = {k: v for k, v in ctx.items() if k != "params"}
    return {"context": public_ctx, "checklists": resolved, "not_applicable": skipped}


def resolve_checklists_for_site(
    session: Session,
    site: Site,
    on_date: date | None = None,
    alert_level: str | None = None,
    key: str | None = None,
    *,
    checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR,
) -> dict[str, Any]:
    """The checklists that apply at ``site`` on ``on_date`` (default today, Asia/Shanghai) under ``alert_level``
    (default: the level the server finds declared — now for today, the day's highest for another date), each
    with the items of the site's reduction-list measures in force at that level (app.alerts).

    ``checklists_dir`` is the configured catalogue folder (``CHECKLISTS_DIR``): its ``site_kinds.yaml``
    labels zones and site attributes in ``applies_because``."""
    today = today_local()
    on_date = on_date or today
    server_level = alert_level is None
    if alert_level is None:
        alert_level = (
            level_at(session, site, datetime.now(UTC)).level
            if on_date == today
            else highest_level_on(session, site, on_date)
        )
    # kind, attributes, kinds of the zones in force on ``on_date``, jurisdiction chain
    ctx = site_context(session, site, on_date)
    ctx["date"] = on_date.isoformat()
    ctx["alert_level"] = alert_level or "none"
    result = resolve_checklists_for_context(session, ctx, key=key, checklists_dir=checklists_dir)
    append_items(result["checklists"], items_for(session, site, alert_level, on_date).items)
    result["alert_level_source"] = "server" if server_level else "query"
    if key is not None and not result["checklists"] and not result["not_applicable"]:
        raise checklist_not_found(key)
    return result
