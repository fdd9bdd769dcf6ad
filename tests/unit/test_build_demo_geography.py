"""The demo data files under app/demo/data are what scripts/build_demo_geography.py generates."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.build_demo_geography import DATA_DIR, build

ROOT = Path(__file__).resolve().parents[2]


def test_generator_writes_into_the_demo_data_folder():
    assert DATA_DIR == ROOT / "app" / "demo" / "data"


def test_files_are_what_the_generator_produces():
    for name, doc in build().items():
        on_disk = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
        assert json.loads(json.dumps(doc, ensure_ascii=False)) == on_disk, (
            f"{name} is stale: rerun python -m scripts.build_demo_geography"
        )
