"""POST /inspections/{id}/penalties/recompute with supervisor discretion factors."""

from __future__ import annotations

import pytest

from app.penalties.computation import compute_penalties_for_inspection
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import dust_failures, make_construction_site, make_inspection, make_penalty_world


@pytest.fixture()
def setup(session, tree, client):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    owner = make_user(session, "insp.owner", "inspector", ["410811"])
    make_user(session, "sup.sy", "supervisor", ["410811"])
    inspection = make_inspection(
        session, make_construction_site(session), dust_failures("hoarding"), created_by=owner.id
    )
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    return {
        "url": f"/api/v1/inspections/{inspection.id}/penalties",
        "h": {u: bearer(issue_tokens(session, u)) for u in ("insp.owner", "sup.sy")},
    }


def test_supervisor_factors_exempt_a_first_slight_promptly_corrected_offence_and_show_in_the_breakdown(client, setup):
    response = client.post(
        setup["url"] + "/recompute",
        headers=setup["h"]["sup.sy"],
        json={
            "reason": "首次违法，危害轻微，当场整改完毕",
            "factors": {"first_offence_slight_harm": True, "prompt_correction": True, "finder_level": "city"},
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    lines = {l["rule_key"]: l for l in body["lines"]}
    assert lines["fine.henan_76_construction_dust"]["status"] == "exempt"
    assert lines["fiscal.dust_measure_failed"]["amount_fen"] == 10_000_000
    factors = body["computation"]["discretion_factors"]
    assert factors["set_by"] == "sup.sy" and factors["finder_level"] == "city"
    again = client.get(setup["url"], headers=setup["h"]["insp.owner"]).get_json()
    assert again["computation"]["discretion_factors"]["prompt_correction"] is True


def test_unknown_factor_or_level_is_a_422(client, setup):
    h = setup["h"]["sup.sy"]
    assert (
        client.post(
            setup["url"] + "/recompute", headers=h, json={"reason": "理由充分", "factors": {"remorse": True}}
        ).status_code
        == 422
    )
    assert (
        client.post(
            setup["url"] + "/recompute", headers=h, json={"reason": "理由充分", "factors": {"finder_level": "village"}}
        ).status_code
        == 422
    )
