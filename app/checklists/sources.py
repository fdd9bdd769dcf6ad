"""Source references of checklist items and the plan texts they cite (``checklists/sources/``).

Pure module (no Flask, no SQLAlchemy). References: ``SEED#N`` (item N of seed SEED), ``SEED#N(k)`` (sub-item
k of item N, e.g. ``003#15(4)``), ``SEED§LABEL`` (a section outside the numbered items, e.g. ``000§五(二)``,
``003§一(二)3``, ``003§附件2``). ``seed_item_index(sources_dir)`` gives, per seed number, the numbered items
of the plan's task section as ``"N"`` (and ``"N(k)"`` for their （k） sub-items) and every section label as
``"§..."``, e.g. ``{"000": {"17", "15(4)", "§五(二)", "§一(二)3", ...}}``.
"""

from __future__ import annotations

import re
from pathlib import Path

REF_RE = re.compile(r"^(?P<seed>[0-9]{3})(?:#(?P<item>[0-9]+(?:\([0-9]+\))?)|(?P<section>§\S+))$")

_CN_NUM = "一二三四五六七八九十"
_TOP_RE = re.compile(rf"^([{_CN_NUM}]+)、")
_SUB_RE = re.compile(rf"^\(([{_CN_NUM}]+)\)")
_NUM_RE = re.compile(r"^([0-9]{1,3})\s*[.、](?![0-9])")
_SUBITEM_RE = re.compile(r"^\(([0-9]{1,2})\)")
_ANNEX_RE = re.compile(r"^附件\s*([0-9]+)\s*$")


def _normalise_line(line: str) -> str:
    line = line.replace("（", "(").replace("）", ")").replace("．", ".")
    return line.lstrip("#* \t\u3000").strip()


def parse_seed_text(text: str) -> set[str]:
    """Item numbers (``"17"``, ``"15(4)"``) and section labels (``"§五(二)"``) of one seed text."""
    labels: set[str] = set()
    top = sub = None
    in_tasks = False
    item: str | None = None
    for raw in text.splitlines():
        line = _normalise_line(raw)
        if not line:
            continue
        if m := _ANNEX_RE.match(line):
            labels.add(f"§附件{m.group(1)}")
            top, sub, item, in_tasks = f"附件{m.group(1)}", None, None, False
            continue
        if m := _TOP_RE.match(line):
            top, sub, item = m.group(1), None, None
            in_tasks = "主要任务" in line
            labels.add(f"§{top}")
            continue
        if top is None or top.startswith("附件"):
            continue
        if m := _SUB_RE.match(line):
            sub, item = m.group(1), None
            labels.add(f"§{top}({sub})")
            continue
        if m := _NUM_RE.match(line):
            n = str(int(m.group(1)))
            labels.add(f"§{top}({sub}){n}" if sub else f"§{top}{n}")
            if in_tasks:
                labels.add(n)
                item = n
            continue
        if item and (m := _SUBITEM_RE.match(line)):
            labels.add(f"{item}({int(m.group(1))})")
    return labels


def seed_item_index(sources_dir: str | Path) -> dict[str, set[str]]:
    """Map seed number (``"000"``) to the item numbers and section labels its text contains."""
    index: dict[str, set[str]] = {}
    for path in sorted(Path(sources_dir).glob("[0-9][0-9][0-9]_*.txt")):
        seed = path.name[:3]
        index.setdefault(seed, set()).update(parse_seed_text(path.read_text(encoding="utf-8")))
    return index


def ref_exists(ref: str, index: dict[str, set[str]]) -> bool:
    """Whether ``ref`` names an item or section that exists in the cited seed text."""
    m = REF_RE.match(ref)
    if not m:
        return False
    labels = index.get(m.group("seed"), set())
    return (m.group("item") or m.group("section")) in labels
