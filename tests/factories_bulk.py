"""A small generated workload (bench/generate.py at a test scale) for statistics, exports and map layers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.generate import Counts, Scale, generate
from tests.factories import make_tree, make_user
from tests.factories_catalogue import install_shipped_checklists, install_shipped_penalty_rules

TEST_SCALE = Scale(cities=2, counties=12, townships_per_county=2, sites=120, inspections=1200)


@dataclass(frozen=True)
class Generated:
    counts: Counts


def load_generated(session: Session, owner_url: str, *, scale: Scale = TEST_SCALE, seed: int = 7) -> Generated:
    """Catalogues, the demo tree, a generated workload (committed), and users: ``sup.boai`` (supervisor of
    博爱县 410822), ``sup.henan`` (supervisor of 河南省), ``insp.boai`` (inspector of 博爱县)."""
    install_shipped_checklists(session)
    install_shipped_penalty_rules(session)
    make_tree(session)
    session.commit()
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:
            counts = generate(conn, scale, seed=seed)
    finally:
        engine.dispose()
    make_user(session, "sup.boai", "supervisor", ["410822"])
    make_user(session, "sup.henan", "supervisor", ["410000"])
    make_user(session, "insp.boai", "inspector", ["410822"])
    session.commit()
    return Generated(counts)
