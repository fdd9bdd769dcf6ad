"""Site location services on PostGIS: context for checklists, payer for penalties, demo geography."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.demo.geo_seed import DATA_DIR, load_demo_geography
from app.demo.seed import load_demo_data
from app.geo.importer import import_geojson
from app.jurisdictions.models import Jurisdiction
from app.sites.models import Site
from app.sites.services import responsible_subdistrict, site_context
from tests.factories_geo import collection, feature, make_geography, make_site, square


def test_site_context_lists_zone_kinds_and_the_chain_root_first(session, tree) -> None:
    make_geography(session)
    site = make_site(session, 113.26, 35.25)
    session.commit()
    assert site_context(session, site) == {
        "site": {"kind": "construction_site", "attributes": {"floor_area_m2": 6000}},
        "zones": ["fireworks_ban"],
        "jurisdictions": ["410000", "410800", "410811", "410811001"],
    }


def test_site_context_leaves_out_zones_not_in_force_that_day(session, tree) -> None:
    make_geography(session)
    import_geojson(
        session,
        collection(
            feature(
                square(113.25, 35.24, 113.27, 35.26),
                code="OLD-NRMM",
                name="旧区",
                kind="nrmm_control",
                jurisdiction_code="410811",
                valid_from="2018-01-01",
                valid_to="2019-12-31",
            )
        ),
        mode="zones",
    )
    site = make_site(session, 113.26, 35.25)
    session.commit()
    assert site_context(session, site, date(2019, 6, 1))["zones"] == ["nrmm_control"]
    assert site_context(session, site, date(2024, 6, 1))["zones"] == ["fireworks_ban"]


def test_responsible_subdistrict_is_the_township_containing_the_site(session, tree) -> None:
    make_geography(session)
    east, west = make_site(session, 113.26, 35.25), make_site(session, 113.21, 35.25)
    session.commit()
    assert responsible_subdistrict(session, east).code == "410811001"
    assert responsible_subdistrict(session, west).code == "410811002"


def test_responsible_subdistrict_is_none_without_township_boundaries(session, tree) -> None:
    import_geojson(
        session,
        collection(feature(square(113.2, 35.2, 113.3, 35.3), code="410811", name="山阳区")),
        mode="jurisdictions",
    )
    site = make_site(session, 113.26, 35.25)
    session.commit()
    assert site.jurisdiction.code == "410811"
    assert responsible_subdistrict(session, site) is None


def test_demo_geography_agrees_with_the_generators_expectations(session) -> None:
    load_demo_data(session)
    session.commit()
    expected = {s["code"]: s["expected"] for s in json.loads((DATA_DIR / "sites.json").read_text())["sites"]}
    sites = session.scalars(select(Site)).all()
    assert len(sites) == len(expected) and all(s.is_demo for s in sites)
    for site in sites:
        ctx = site_context(session, site)
        assert ctx["jurisdictions"][-1] == expected[site.code]["township_code"], site.code
        assert ctx["zones"] == sorted(set(expected[site.code]["zone_kinds"])), site.code
        assert responsible_subdistrict(session, site).code == expected[site.code]["township_code"]


def test_demo_load_is_idempotent(session) -> None:
    load_demo_data(session)
    session.commit()
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    assert load_demo_geography(session) == []
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    assert (
        session.scalar(select(func.count()).select_from(Jurisdiction).where(Jurisdiction.boundary.is_not(None))) == 11
    )


def test_demo_load_imports_the_illustrative_reduction_list_once(session) -> None:
    from app.alerts.models import ReductionList

    load_demo_data(session)
    session.commit()
    load_demo_data(session)
    session.commit()
    (lst,) = session.scalars(select(ReductionList)).all()
    assert lst.illustrative is True and "非真实" in lst.title and lst.jurisdiction.code == "410811"
