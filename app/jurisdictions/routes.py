"""Jurisdiction look-ups, scoped to the caller."""
from __future__ import annotations

from flask.views import MethodView

from app.blueprint import Blueprint
from app.auth.authz import current_principal, ensure_in_scope
from app.extensions import current_session
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import jurisdictions_in_scope
from app.jurisdictions.schemas import JurisdictionSchema
from app.jurisdictions.services import get_jurisdiction_by_code

blp = Blueprint("jurisdictions", __name__, url_prefix="/api/v1/jurisdictions",
                description="行政区划 / Jurisdictions")


@blp.route("")
class Jurisdictions(MethodView):
    @blp.auth()
    @blp.response(200, JurisdictionSchema(many=True))
    def get(self) -> list[Jurisdiction]:
        """The caller's jurisdictions and everything below them, ordered by code."""
        return jurisdictions_in_scope(current_session(), current_principal().jurisdiction_paths)


@blp.route("/<code>")
class JurisdictionByCode(MethodView):
    @blp.auth()
    @blp.response(200, JurisdictionSchema)
    @blp.alt_response(404, description="不存在 / Not found")
    def get(self, code: str) -> Jurisdiction:
        """One jurisdiction in the caller's scope."""
        found = get_jurisdiction_by_code(current_session(), code)
        ensure_in_scope(current_principal(), found.path, "辖区", "Jurisdiction")
        return found
