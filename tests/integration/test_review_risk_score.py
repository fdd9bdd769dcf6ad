"""The queue orders by a SQL score; reviewers read the pure module's explanation: the two must agree."""

from __future__ import annotations

import random

from sqlalchemy import Boolean, Float, Integer, String, column, select, values
from sqlalchemy.dialects.postgresql import ARRAY

from app.review.queries import score_sql
from app.review.risk import InspectionFacts, RiskSettings, RiskWeights, assess

FLAGS = ["far_from_site", "time_outside_window", "edited_by_software", "no_gps", "no_capture_time", "reused_photo"]


def _facts(rng: random.Random) -> InspectionFacts:
    return InspectionFacts(
        site_kind=rng.choice(["construction_site", "road_segment"]),
        officer_count=rng.randint(0, 3),
        failed_without_photo=rng.choice([0, 0, 1, 3]),
        flag_codes=tuple(rng.choice([*FLAGS, "future_flag"]) for _ in range(rng.randint(0, 4))),
        reused_photos=rng.choice([0, 0, 1]),
        distance_m=rng.choice([None, 50.0, 299.9, 300.0, 300.1, 900.0, 2500.0]),
        outside_jurisdiction=rng.choice([None, False, True]),
        duration_s=rng.choice([None, 60.0, 899.0, 900.0, 3600.0]),
        total_amount_fen=rng.choice([0, 9_999_999, 10_000_000, 50_000_000]),
        near_duplicate_photos=rng.choice([0, 0, 1, 2]),
        alert_claimed=rng.choice(["none", "orange"]),
        alert_in_force=rng.choice([None, "none", "orange", "red"]),
    )


def _sql_scores(session, rows: list[InspectionFacts], settings: RiskSettings) -> list[int]:  # noqa: ANN001
    table = values(
        column("n", Integer),
        column("site_kind", String),
        column("officer_count", Integer),
        column("failed_without_photo", Integer),
        column("flag_codes", ARRAY(String)),
        column("reused_photos", Integer),
        column("distance_m", Float),
        column("outside_jurisdiction", Boolean),
        column("duration_s", Float),
        column("total_amount_fen", Integer),
        column("near_duplicate_photos", Integer),
        column("alert_claimed", String),
        column("alert_in_force", String),
        name="facts",
    ).data(
        [
            (
                n,
                f.site_kind,
                f.officer_count,
                f.failed_without_photo,
                list(f.flag_codes),
                f.reused_photos,
                f.distance_m,
                f.outside_jurisdiction,
                f.duration_s,
                f.total_amount_fen,
                f.near_duplicate_photos,
                f.alert_claimed,
                f.alert_in_force,
            )
            for n, f in enumerate(rows)
        ]
    )
    return [int(s) for s in session.scalars(select(score_sql(table, settings)).order_by(table.c.n))]


def test_sql_score_equals_the_explained_score_on_generated_facts(session):
    rng = random.Random(20261125)
    rows = [_facts(rng) for _ in range(300)]
    for settings in (
        RiskSettings(),
        RiskSettings(
            weights=RiskWeights.from_mapping(
                {"photo_other_flag": 7, "high_amount": 40, "too_few_officers": 0, "near_duplicate_photo": 3}
            ),
            min_officers=3,
            max_distance_by_kind=(("road_segment", 1000.0),),
            min_duration_s=600,
            high_amount_fen=1,
        ),
    ):
        assert _sql_scores(session, rows, settings) == [assess(f, settings).score for f in rows]
