"""Checklists for phones: index, full content by key or version, the JSON Schema, and a site's resolved checklists.

HTTP caching (the team's PERFORMANCE.md notes, "JSON serving"): the ETag is the content hash, read from the
hash column alone and compared with ``If-None-Match`` BEFORE any content is loaded or serialised. A 200
body comes from an in-process cache keyed by that hash (content per hash never changes), so neither path
serialises in the steady state.

- Identity body = canonical JSON (sorted keys, compact, UTF-8); sha256(body) == ETag == ``content_hash``.
- With ``Accept-Encoding: gzip`` the body is gzip with ``Content-Encoding: gzip`` and the ETag
  ``"<hash>-gzip"`` (RFC 9110 §8.8.3: a strong validator differs per content coding). ``If-None-Match``
  accepts either form, so a phone that stored one gets 304 with the other too. ``Vary: Accept-Encoding``.
- ``Cache-Control: private, no-cache`` for "current" resources (behind auth, so private; may be stored but
  must be revalidated on every use, which costs a 304: a plan change reaches phones on the next request),
  and ``private, max-age=31536000, immutable`` for ``/versions/{version}`` (rows never change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from werkzeug.http import parse_etags

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.checklists.bodies import EncodedBody, encode_body, encoded_checklist, encoded_checklist_schema
from app.checklists.parameter_settings import list_parameter_settings, set_parameter_setting
from app.checklists.resolution import resolve_checklists_for_site
from app.checklists.schemas import (
    ChecklistDocumentSchema,
    ChecklistIndexEntrySchema,
    JsonSchemaDocumentSchema,
    ParameterSettingListSchema,
    ParameterSettingPutSchema,
    ParameterSettingSchema,
    ResolvedSiteChecklistsSchema,
    SiteChecklistQueryArgsSchema,
)
from app.checklists.versions import (
    checklist_not_found,
    current_hash,
    index_hash,
    known_current_hash,
    list_current_checklists,
    version_hash,
)
from app.content_coding import GZIP_SUFFIX, coded_etag, wants_gzip
from app.errors import NotFound
from app.extensions import current_session, db
from app.sites.services import get_site
from app.wiring import wiring

blp = Blueprint(
    "checklists", __name__, url_prefix="/api/v1", description="检查表 / Checklists (content-hash ETags, gzip)"
)

REVALIDATE = "private, no-cache"
IMMUTABLE = "private, max-age=31536000, immutable"


def _matches(digest: str) -> bool:
    header = request.environ.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    # The usual revalidation names exactly the one tag we sent: a string comparison, no parsing.
    if header in (coded_etag(digest, False), coded_etag(digest, True)):
        return True
    tags = parse_etags(header)
    return tags.contains_weak(digest) or tags.contains_weak(digest + GZIP_SUFFIX)


def _headers(resp: Response, digest: str, gz: bool, cache_control: str) -> Response:
    headers = resp.headers  # a new response: ``add``, not ``[]=``, which first looks for one to replace
    headers.add("ETag", coded_etag(digest, gz))
    headers.add("Cache-Control", cache_control)
    headers.add("Vary", "Accept-Encoding")
    return resp


def conditional_json(
    digest: str | None, body: Callable[[], EncodedBody], cache_control: str, missing: Callable[[], Exception]
) -> Response:
    """304 when ``If-None-Match`` names ``digest``; else the (cached) body, gzipped when accepted."""
    if digest is None:
        raise missing()
    gz = wants_gzip()
    if _matches(digest):
        return _headers(Response(status=304), digest, gz, cache_control)
    encoded = body()
    resp = Response(encoded.gzipped if gz else encoded.raw, status=200, mimetype="application/json")
    if gz:
        resp.headers.add("Content-Encoding", "gzip")
    return _headers(resp, digest, gz, cache_control)


def _no_checklist(key: str, version: str | None = None) -> Callable[[], Exception]:
    return lambda: checklist_not_found(key, version)


@blp.route("/checklists")
class ChecklistIndex(MethodView):
    @blp.auth()
    @blp.response(200, ChecklistIndexEntrySchema(many=True))
    @blp.alt_response(304, description="未改变 / Not modified (If-None-Match)")
    def get(self) -> Response:
        """Index of current checklists: key, version, content hash, title, site kinds."""
        index = list_current_checklists(current_session())
        return conditional_json(index_hash(index), lambda: encode_body(index), REVALIDATE, lambda: NotFound())


@blp.route("/checklists/<key>")
class ChecklistCurrent(MethodView):
    @blp.auth()
    @blp.response(200, ChecklistDocumentSchema)
    @blp.alt_response(304, description="未改变 / Not modified (If-None-Match)")
    @blp.alt_response(404, description="不存在 / Not found")
    def get(self, key: str) -> Response:
        """The current version of a checklist, exactly as in its file (ETag = content hash)."""
        hashes = wiring().checklist_hashes
        # A hash this process knows needs no database: no SQLAlchemy Session is even opened.
        digest = known_current_hash(key, hashes) or current_hash(current_session(), key, hashes)
        return conditional_json(
            digest, lambda: encoded_checklist(current_session(), digest or ""), REVALIDATE, _no_checklist(key)
        )


@blp.route("/checklists/<key>/versions/<version>")
class ChecklistAtVersion(MethodView):
    @blp.auth()
    @blp.response(200, ChecklistDocumentSchema)
    @blp.alt_response(304, description="未改变 / Not modified (If-None-Match)")
    @blp.alt_response(404, description="不存在 / Not found")
    def get(self, key: str, version: str) -> Response:
        """A checklist at one version, current or old (immutable: old inspections cite it)."""
        digest = version_hash(current_session(), key, version)
        return conditional_json(
            digest, lambda: encoded_checklist(current_session(), digest or ""), IMMUTABLE, _no_checklist(key, version)
        )


@blp.route("/schemas/checklist")
class ChecklistJsonSchema(MethodView):
    @blp.auth()
    @blp.response(200, JsonSchemaDocumentSchema)
    @blp.alt_response(304, description="未改变 / Not modified (If-None-Match)")
    def get(self) -> Response:
        """The JSON Schema (draft 2020-12) every checklist file follows."""
        encoded = encoded_checklist_schema()
        return conditional_json(encoded.digest, lambda: encoded, REVALIDATE, lambda: NotFound())


@blp.route("/sites/<int:site_id>/checklist")
class SiteChecklist(MethodView):
    @blp.auth()
    @blp.arguments(SiteChecklistQueryArgsSchema, location="query")
    @blp.response(200, ResolvedSiteChecklistsSchema)
    @blp.alt_response(404, description="场所不存在或不在辖区内 / Site not found in your jurisdictions")
    def get(self, args: dict[str, Any], site_id: int) -> dict[str, Any]:
        """Checklists that apply at a site (kind, jurisdiction, zones, date, alert level), items with reasons."""
        site = get_site(current_session(), site_id, current_principal())  # out of scope → 404
        result = resolve_checklists_for_site(
            current_session(),
            site,
            on_date=args["date"],
            alert_level=args["alert_level"],
            key=args["key"],
            checklists_dir=current_app.config["CHECKLISTS_DIR"],
        )
        return {"site_id": site.id, **result}


@blp.route("/checklist-parameters/<code>")
class JurisdictionChecklistParameters(MethodView):
    @blp.auth("admin")
    @blp.response(200, ParameterSettingListSchema)
    @blp.problem(404, "辖区不存在或不在辖区内 / Jurisdiction not found in your jurisdictions")
    def get(self, code: str) -> dict[str, Any]:
        """A jurisdiction's checklist parameters: own, inherited and default values, and which one applies."""
        return {"jurisdiction": code, "items": list_parameter_settings(current_session(), current_principal(), code)}


@blp.route("/checklist-parameters/<code>/<checklist_key>/<name>")
class JurisdictionChecklistParameter(MethodView):
    @blp.auth("admin")
    @blp.arguments(ParameterSettingPutSchema)
    @blp.response(200, ParameterSettingSchema)
    @blp.problem(404, "辖区或检查表不存在 / Jurisdiction or checklist not found")
    @blp.problem(422, "未知参数或类型不符 / Unknown parameter or wrong type")
    def put(self, data: dict[str, Any], code: str, checklist_key: str, name: str) -> Any:
        """Set a jurisdiction's value of a checklist parameter no plan fixes (admins; audited with the reason)."""
        setting = set_parameter_setting(
            current_session(), current_principal(), code, checklist_key, name, data["value"], data["reason"]
        )
        db.session.commit()
        return setting
