"""Adapters and settings that services receive as parameters, built once by ``create_app``.

Routes, CLI commands and the worker read them through ``wiring()`` and pass them on; services never look
them up themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from app.auth.session_cache import SessionCache
from app.checklists.hash_cache import CurrentHashCache
from app.inspections.settings import Settings as InspectionSettings
from app.notified_cache import NotifiedCache
from app.photos.evidence_links import EvidenceLinks
from app.photos.storage import PhotoStore
from app.read_only import ReadOnlyDatabase
from app.review.risk import RiskSettings

EXTENSION_KEY = "lantian"


@dataclass
class Wiring:
    photo_store: PhotoStore
    photo_evidence: EvidenceLinks
    inspection_settings: InspectionSettings
    risk_settings: RiskSettings
    # The read-only autocommit pool for one-statement reads (no BEGIN/ROLLBACK round trips): app/read_only.py.
    reads: ReadOnlyDatabase
    # Valid sessions per process (None when AUTH_SESSION_CACHE_SECONDS is 0): app/auth/session_cache.py.
    session_cache: SessionCache | None = None
    # Current checklist hashes per process (None when CHECKLIST_CACHE_SECONDS is 0): app/checklists/hash_cache.py.
    checklist_hashes: CurrentHashCache | None = None
    # Checklist versions named by version or hash, per process (None when CHECKLIST_CACHE_SECONDS is 0):
    # app/checklists/versions.py named_checklist_version.
    checklist_versions: NotifiedCache | None = None
    # Reference data submissions read, per process (None when REFERENCE_CACHE_SECONDS is 0):
    # app/reference_cache.py.
    reference_cache: NotifiedCache | None = None


def wiring(app: Flask | None = None) -> Wiring:
    """The current application's wiring (or ``app``'s, outside an app context)."""
    extensions = (app if app is not None else current_app).extensions
    result: Wiring = extensions[EXTENSION_KEY]
    return result
