"""Penalty endpoints: rules in force, jurisdiction settings, an inspection's penalty lines."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session, db
from app.localtime import today_local
from app.penalties import computation, presenters, settings
from app.penalties.schemas import (
    InspectionPenaltiesSchema,
    OverrideSchema,
    PenaltyLineSchema,
    PenaltyRuleSchema,
    PenaltySettingsPutSchema,
    PenaltySettingsSchema,
    RecomputedPenaltiesSchema,
    RecomputeSchema,
    RulesQueryArgsSchema,
)

blp = Blueprint("penalties", __name__, url_prefix="/api/v1", description="处罚与扣缴 / Penalties and fiscal deductions")


@blp.route("/penalties/rules")
class PenaltyRules(MethodView):
    @blp.auth()
    @blp.arguments(RulesQueryArgsSchema, location="query")
    @blp.response(200, PenaltyRuleSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Penalty rules in force on a date (default today), with verified flags and amount status."""
        on = args["on"] or today_local()
        return [
            presenters.rule_view(r)
            for r in settings.rules_in_force_on(current_session(), on, args["jurisdiction"], current_principal())
        ]


@blp.route("/penalties/settings/<code>")
class PenaltySettings(MethodView):
    @blp.auth("admin")
    @blp.response(200, PenaltySettingsSchema)
    @blp.problem(404, "不存在 / Not found")
    def get(self, code: str) -> dict[str, Any]:
        """A jurisdiction's penalty policy, discretion parameters and set amounts (own and inherited)."""
        return presenters.settings_view(settings.get_penalty_settings(current_session(), code, current_principal()))

    @blp.auth("admin")
    @blp.arguments(PenaltySettingsPutSchema)
    @blp.response(200, PenaltySettingsSchema)
    @blp.problem(404, "不存在 / Not found")
    @blp.problem(422, "设置无效 / Invalid settings")
    def put(self, data: dict[str, Any], code: str) -> dict[str, Any]:
        """Replace a jurisdiction's penalty settings (audited)."""
        body = presenters.settings_view(
            settings.put_penalty_settings(current_session(), code, data, current_principal())
        )
        db.session.commit()
        return body


@blp.route("/inspections/<uuid:inspection_id>/penalties")
class InspectionPenalties(MethodView):
    @blp.auth()
    @blp.response(200, InspectionPenaltiesSchema)
    @blp.problem(404, "不存在 / Not found")
    def get(self, inspection_id: uuid.UUID) -> dict[str, Any]:
        """Penalty lines of an inspection with the full breakdown, totals per payer kind and issuability."""
        return presenters.penalties_view(
            computation.get_inspection_penalties(current_session(), current_principal(), inspection_id)
        )


@blp.route("/inspections/<uuid:inspection_id>/penalties/recompute")
class RecomputePenalties(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(RecomputeSchema)
    @blp.response(200, RecomputedPenaltiesSchema)
    @blp.problem(404, "不存在 / Not found")
    @blp.problem(409, "审核人调整不再适用 / Overrides no longer fit (overrides_no_longer_fit)")
    @blp.problem(422, "缺少理由 / Reason required")
    def post(self, data: dict[str, Any], inspection_id: uuid.UUID) -> dict[str, Any]:
        """Recompute with the rules and settings in force now, optionally setting discretion factors
        (cooperation, prompt_correction, first_offence_slight_harm, finder_level); reason required; audited.
        Supervisors' overrides still within the new legal range are carried; others refuse it (409) unless
        drop_overrides. The answer adds ``diff``: each line and the totals before and after."""
        body = presenters.recompute_view(
            computation.recompute_penalties(
                current_session(),
                current_principal(),
                inspection_id,
                data["reason"],
                data.get("factors"),
                data["drop_overrides"],
            )
        )
        db.session.commit()
        return body


@blp.route("/inspections/<uuid:inspection_id>/penalties/<int:line_id>/override")
class OverridePenaltyLine(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(OverrideSchema)
    @blp.response(200, PenaltyLineSchema)
    @blp.problem(404, "不存在 / Not found")
    @blp.problem(422, "超出法定幅度或缺少理由 / Out of range or no reason")
    def post(self, data: dict[str, Any], inspection_id: uuid.UUID, line_id: int) -> dict[str, Any]:
        """Set a line's amount within the legal range with a written reason (audited)."""
        body = presenters.line_view(
            computation.override_line(
                current_session(), current_principal(), inspection_id, line_id, data["amount_fen"], data["reason"]
            )
        )
        db.session.commit()
        return body
