"""Reference data the create-and-submit request reads, remembered per process.

Every submission judges the inspection with the site's zones, checklist parameters, the alerts declared for its
jurisdictions and its reduction-list entries, and runs the penalty engine with every current rule version (parsed
from its stored JSON), the settings merged down the site's jurisdiction chain and the sub-district whose polygon
holds the site: seven reads and the parsing of the whole catalogue per request, for data that changes when an
administrator syncs the rule files, sets a jurisdiction's penalty settings or checklist parameters, edits a site or
designates zones, imports boundaries, declares an alert or imports a reduction list. Statement-level triggers on
those tables (migration 0033: penalty_rule_versions, jurisdiction_penalty_settings, checklist_parameter_values,
jurisdictions, sites, site_zones, zones; 0038: alerts, reduction_lists, reduction_entries, reduction_measures) send
``NOTIFY lantian_reference``; every process empties this cache once the writer commits (app/notified_cache.py), so
the next request reads the new values. Fallback bound: ``REFERENCE_CACHE_SECONDS`` (10 s by default) when a
notification is lost.

Keys (a tuple whose first member names the kind): ``("stored_rules",)``, ``("settings", *chain)``,
``("parameters", checklist_key, *chain)``, ``("zones", site_id)``, ``("subdistrict", site_id)``,
``("alerts", *chain)`` (the declarations; the level at a moment is still decided per request),
``("reduction_entries", site_id, day)``; and for the nearby-sites page, ``("zones_json", site_id)``: the site's
zones as the page item writes them (app/sites/queries.py ``search_sites``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.change_notices import ChangeListener
from app.notified_cache import NotifiedCache

CHANNEL = "lantian_reference"


def reference_cache_from_config(config: Mapping[str, Any], listener: ChangeListener | None) -> NotifiedCache | None:
    """None when switched off (``REFERENCE_CACHE_SECONDS`` 0) or nothing listens."""
    ttl = float(config.get("REFERENCE_CACHE_SECONDS", 0))
    if ttl <= 0 or listener is None:
        return None
    return NotifiedCache(CHANNEL, ttl, listener=listener)
