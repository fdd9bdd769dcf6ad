"""PUT /inspections/{uuid} with reinspection_of: same site, submitted/approved, in scope."""

from __future__ import annotations

import pytest

from app.sites.models import Site
from tests.factories_checklists import make_site
from tests.factories_inspections import make_world, new_id, put, put_body
from tests.factories_penalties import make_inspection


@pytest.fixture()
def world(session, client, tree):  # noqa: ANN001, ANN201
    return make_world(session, client)


def earlier(session, world, **kwargs):  # noqa: ANN001, ANN201
    site = session.get(Site, world.site_id) if "site" not in kwargs else kwargs.pop("site")
    inspection = make_inspection(session, site, [], created_by=world.other_inspector, **kwargs)
    session.commit()
    return str(inspection.id)


def test_reinspection_of_a_submitted_inspection_of_the_same_site_is_recorded(client, session, world):
    first = earlier(session, world)
    response = put(client, world.headers["insp_a"], new_id(), put_body(world, reinspection_of=first))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reinspection_of"] == first


def test_reinspection_refusals_are_listed(client, session, world):
    draft = earlier(session, world, state="draft")
    other_site = make_site(
        session, "construction_site", {"floor_area_m2": 3000}, at=(113.25, 35.22), jurisdiction_code="410811001"
    )
    elsewhere = earlier(session, world, site=other_site)
    boai_site = make_site(
        session, "construction_site", {"floor_area_m2": 3000}, at=(113.06, 35.17), jurisdiction_code="410822001"
    )
    out_of_scope = earlier(session, world, site=boai_site)
    h = world.headers["insp_a"]
    cases = {
        draft: "reinspection_not_submitted",
        elsewhere: "reinspection_other_site",
        out_of_scope: "reinspection_not_found",
        new_id(): "reinspection_not_found",
    }
    for earlier_id, code in cases.items():
        response = put(client, h, new_id(), put_body(world, reinspection_of=earlier_id))
        assert response.status_code == 422, response.get_json()
        assert code in [e["code"] for e in response.get_json()["errors"]], (code, response.get_json())
    same = new_id()
    response = put(client, h, same, put_body(world, reinspection_of=same))
    assert "reinspection_of_self" in [e["code"] for e in response.get_json()["errors"]]
