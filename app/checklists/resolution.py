"""Which stored checklists, and which of their items, apply at a site on a day (``GET /sites/{id}/checklist``).

The decisions are ``applicability``'s (pure); this module loads the current versions, the jurisdiction's
parameter values and the site's context.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    """The checklists that apply at ``site`` on ``on_date`` (default today, Asia/Shanghai) under ``alert_level``.

    ``checklists_dir`` is the configured catalogue folder (``CHECKLISTS_DIR``): its ``site_kinds.yaml``
    labels zones and site attributes in ``applies_because``."""
    on_date = on_date or today_local()
    # kind, attributes, kinds of the zones in force on ``on_date``, jurisdiction chain
    ctx = site_context(session, site, on_date)
    ctx["date"] = on_date.isoformat()
    ctx["alert_level"] = alert_level or "none"
    result = resolve_checklists_for_context(session, ctx, key=key, checklists_dir=checklists_dir)
    if key is not None and not result["checklists"] and not result["not_applicable"]:
        raise checklist_not_found(key)
    return result
