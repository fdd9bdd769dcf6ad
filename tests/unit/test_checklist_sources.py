from pathlib import Path

from app.checklists.sources import seed_item_index

SOURCES = Path(__file__).resolve().parents[2] / "checklists" / "sources"


def test_seed_index_finds_items_subitems_and_sections():
    idx = seed_item_index(SOURCES)
    assert {"17", "14", "43"} <= idx["000"] and "44" not in idx["000"]
    assert {"15(4)", "3(1)", "23", "§一(二)3", "§一(四)", "§附件2"} <= idx["003"]
    assert "§五(二)" in idx["000"]
    assert "38" in idx["001"] and "37" in idx["004"] and "41" in idx["002"]
