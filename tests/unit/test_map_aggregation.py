"""Which tiles the rollup answers exactly (app/maplayers/aggregation.py): pure, no database."""

from __future__ import annotations

from datetime import date

import pytest

from app.maplayers.aggregation import counts_per_site, rollup_answers
from app.review.queries import QueueFilter


@pytest.mark.parametrize(
    "flt",
    [
        QueueFilter(),
        QueueFilter(states=("approved", "submitted")),
        QueueFilter(checklist="catering_fumes", site_kind="restaurant", jurisdiction_path="/410000/410800/"),
    ],
)
def test_state_checklist_kind_and_jurisdiction_are_read_from_the_rollup_below_zoom_12(flt: QueueFilter) -> None:
    for layer in ("inspections", "findings"):
        assert rollup_answers(layer, 8, flt) and rollup_answers(layer, 11, flt)
        assert not rollup_answers(layer, 12, flt)  # points with attributes from zoom 12


@pytest.mark.parametrize(
    "flt",
    [
        QueueFilter(inspected_from=date(2026, 1, 1)),
        QueueFilter(submitted_to=date(2026, 1, 1)),
        QueueFilter(inspector_id=7),
        QueueFilter(site_id=3),
        QueueFilter(flags=("exif_missing",)),
        QueueFilter(min_amount_fen=100),
        QueueFilter(has_failed=True),
        QueueFilter(has_failed=False),
    ],
)
def test_any_other_filter_is_computed_live(flt: QueueFilter) -> None:
    assert not rollup_answers("inspections", 8, flt) and not rollup_answers("findings", 10, flt)


def test_the_sites_layer_reads_the_rollup_unless_one_site_is_asked_for() -> None:
    assert rollup_answers("sites", 8, QueueFilter(site_kind="restaurant", inspected_from=date(2026, 1, 1)))
    assert not rollup_answers("sites", 8, QueueFilter(site_id=3))
    assert not rollup_answers("sites", 12, QueueFilter())


def test_inspections_and_findings_are_counts_per_site_below_zoom_12_only() -> None:
    assert counts_per_site("inspections", 11) and counts_per_site("findings", 0)
    assert not counts_per_site("inspections", 12) and not counts_per_site("sites", 8)
