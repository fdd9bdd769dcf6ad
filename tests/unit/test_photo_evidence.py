"""app.photos.evidence: flags inform review, they never block."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.photos.evidence import evidence_flags
from app.photos.metadata import GpsFix, OriginalInfo
from tests.photo_samples import photo_path

REPO = Path(__file__).resolve().parents[2]
CST = timezone(timedelta(hours=8))
WINDOW_START = datetime(2026, 11, 20, 9, 0, tzinfo=CST)
WINDOW_END = datetime(2026, 11, 20, 10, 0, tzinfo=CST)


def make_meta(**overrides) -> OriginalInfo:
    base = OriginalInfo(
        format="JPEG",
        mime="image/jpeg",
        width=4000,
        height=3000,
        orientation=1,
        taken_at=datetime(2026, 11, 20, 9, 30, tzinfo=CST),
        taken_at_source="DateTimeOriginal",
        modified_at=datetime(2026, 11, 20, 9, 30),
        gps=GpsFix(lat=35.22, lon=113.24),
        gps_problem=None,
        make="Xiaomi",
        model="Redmi Note 12",
        software="V14.0.6.0.TMPCNXM",
    )
    return replace(base, **overrides)


def flags_for(meta: OriginalInfo, **kw) -> list:
    args = dict(
        site_distance_m=25.0,
        window_start=WINDOW_START,
        window_end=WINDOW_END,
        tolerance=timedelta(minutes=30),
        reused_in_other_inspection=False,
    )
    args.update(kw)
    return evidence_flags(meta, **args)


def codes(flags) -> list[str]:
    return [f.code for f in flags]


def test_clean_phone_photo_at_the_site_during_the_inspection_has_no_flags():
    assert flags_for(make_meta()) == []


@pytest.mark.parametrize("reason", ["missing", "malformed", "bad_ref", "null_island", "void"])
def test_photo_without_usable_gps_is_flagged_no_gps_with_reason(reason):
    [flag] = flags_for(make_meta(gps=None, gps_problem=reason), site_distance_m=None)
    assert flag.code == "no_gps" and flag.details == {"reason": reason}
    assert flag.message_zh and flag.message_en


def test_photo_taken_2_km_from_the_site_is_flagged_far_from_site():
    [flag] = flags_for(make_meta(), site_distance_m=2000.0)
    assert flag.code == "far_from_site"
    assert flag.details["distance_m"] == 2000.0 and flag.details["max_distance_m"] == 300.0


def test_distance_exactly_at_the_limit_is_not_flagged():
    assert flags_for(make_meta(), site_distance_m=300.0) == []


def test_distance_limit_is_configurable_per_site_kind():
    assert codes(flags_for(make_meta(), site_distance_m=250.0, max_distance_m=200.0)) == ["far_from_site"]


def test_unknown_distance_is_not_flagged_far():
    assert flags_for(make_meta(), site_distance_m=None) == []


def test_photo_taken_the_day_before_is_flagged_time_outside_window():
    meta = make_meta(taken_at=datetime(2026, 11, 19, 9, 30, tzinfo=CST), modified_at=datetime(2026, 11, 19, 9, 30))
    [flag] = flags_for(meta)
    assert flag.code == "time_outside_window"
    assert flag.message_en == "photo taken before the inspection"


def test_photo_within_tolerance_after_the_window_is_not_flagged():
    meta = make_meta(taken_at=WINDOW_END + timedelta(minutes=29), modified_at=None)
    assert flags_for(meta) == []


def test_naive_capture_time_is_read_as_china_time():
    # 09:30 camera-local without OffsetTimeOriginal = 01:30 UTC, inside the window
    meta = make_meta(taken_at=datetime(2026, 11, 20, 9, 30))
    assert flags_for(meta) == []


def test_naive_capture_time_outside_window_says_the_zone_was_assumed():
    meta = make_meta(taken_at=datetime(2026, 11, 20, 18, 0), modified_at=None)
    [flag] = flags_for(meta)
    assert flag.details["timezone_assumed"] is True and flag.details["assumed_tz"] == "Asia/Shanghai"


def test_missing_capture_time_is_flagged():
    assert codes(flags_for(make_meta(taken_at=None, taken_at_source=None))) == ["no_capture_time"]


def test_naive_window_is_a_programming_error():
    with pytest.raises(ValueError):
        flags_for(make_meta(), window_start=datetime(2026, 11, 20, 9, 0))


def test_photo_reused_in_another_inspection_is_flagged_with_the_other_ids():
    [flag] = flags_for(make_meta(), reused_in_other_inspection=True, other_inspections=["a1b2"])
    assert flag.code == "reused_photo" and flag.details["other_inspections"] == ["a1b2"]


@pytest.mark.parametrize(
    "software", ["Adobe Photoshop CC 2019 (Windows)", "Snapseed 2.0", "美图秀秀", "MeituXiuxiu", "PicsArt", "GIMP 2.10"]
)
def test_editor_named_in_software_tag_is_flagged(software):
    [flag] = flags_for(make_meta(software=software))
    assert flag.code == "edited_by_software"
    assert flag.details["reasons"][0]["rule"] == "software_tag"


@pytest.mark.parametrize("software", ["14.4.2", "fw 05.15 prm 07.53", "HDR+ 1.0.5", None])
def test_phone_firmware_in_software_tag_is_not_an_edit(software):
    assert flags_for(make_meta(software=software)) == []


def test_metadata_rewritten_a_day_after_capture_is_flagged():
    meta = make_meta(modified_at=datetime(2026, 11, 21, 8, 0))
    [flag] = flags_for(meta)
    assert flag.details["reasons"][0]["rule"] == "modified_after_capture"


def test_modified_time_check_can_be_disabled():
    meta = make_meta(modified_at=datetime(2026, 11, 21, 8, 0))
    assert flags_for(meta, modified_tolerance=None) == []


def test_flags_serialise_to_plain_dicts():
    [flag] = flags_for(make_meta(), site_distance_m=2000.0)
    assert set(flag.to_dict()) == {"code", "message_zh", "message_en", "details"}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_nikon_d5000_processed_in_bridge_is_flagged_edited():
    from app.photos.processing import inspect_original  # real metadata end to end

    meta = inspect_original(photo_path("drew__jpg__Nikon_D5000.jpg"))
    flags = evidence_flags(
        meta,
        site_distance_m=None,
        window_start=datetime(2011, 3, 12, 15, 0, tzinfo=CST),
        window_end=datetime(2011, 3, 12, 16, 0, tzinfo=CST),
        tolerance=timedelta(minutes=30),
        reused_in_other_inspection=False,
    )
    edited = next(f for f in flags if f.code == "edited_by_software")
    assert [r["rule"] for r in edited.details["reasons"]] == ["software_tag", "modified_after_capture"]


def test_evidence_module_does_not_import_pil():
    code = "import sys, app.photos.evidence, app.photos.storage; assert 'PIL' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
