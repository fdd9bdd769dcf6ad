"""Where and when each checklist item has force: the union of its sources' scopes (pure).

An item's plan sources (``source: ["000#14", ...]``) each name a seed; the checklist's ``sources`` entry of that
seed gives the plan's jurisdiction (GB/T 2260 code) and period. A clause of a county plan has force in that
county during that plan's period only; the province's plan (002) makes it province-wide; a law article the item
names in ``legal_basis`` (with its own jurisdictions and dates) makes it wider still. The item applies at a site
on a day when one of these parts covers the site's jurisdiction chain and the day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.checklists.sources import REF_RE
from app.checklists.spec import ChecklistSpec, ItemSpec


@dataclass(frozen=True)
class ScopePart:
    """One source's reach: the clause or article, where (None = everywhere) and when (inclusive dates)."""

    ref: str
    jurisdictions: tuple[str, ...] | None
    start: str | None
    end: str | None
    place_zh: str
    kind: str  # plan | law

    def covers(self, chain: Iterable[str], on: str) -> bool:
        if self.jurisdictions is not None and not set(self.jurisdictions) & set(chain):
            return False
        if self.start is not None and on < self.start:
            return False
        return self.end is None or on <= self.end

    def describe(self) -> tuple[str, str]:
        when_zh = f"{self.start}起" if self.start else "不限时间"
        when_en = f"from {self.start}" if self.start else "any date"
        if self.end:
            when_zh, when_en = f"{self.start}至{self.end}", f"{self.start} to {self.end}"
        place_en = "everywhere" if self.jurisdictions is None else ", ".join(self.jurisdictions)
        return f"{self.ref}（{self.place_zh}，{when_zh}）", f"{self.ref} ({place_en}, {when_en})"

    def to_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            "jurisdictions": "all" if self.jurisdictions is None else list(self.jurisdictions),
            "from": self.start,
            "to": self.end,
        }


def item_scope(checklist: ChecklistSpec, item: ItemSpec) -> tuple[ScopePart, ...]:
    """The item's scope: one part per plan source (its seed's jurisdiction and period) and per legal basis.

    A source whose seed the checklist does not declare with a jurisdiction adds no reach (validation refuses it).
    """
    seeds = {s.seed: s for s in checklist.sources}
    parts: list[ScopePart] = []
    for ref in item.sources:
        m = REF_RE.match(ref)
        source = seeds.get(m.group("seed")) if m else None
        if source is None or source.jurisdiction is None:
            continue
        parts.append(
            ScopePart(
                ref,
                (source.jurisdiction,),
                source.period_start,
                source.period_end,
                source.jurisdiction_name or source.jurisdiction,
                "plan",
            )
        )
    for basis in item.legal_basis:
        place = "全国" if basis.jurisdictions is None else "、".join(basis.jurisdictions)
        parts.append(ScopePart(basis.ref, basis.jurisdictions, basis.start, basis.end, place, "law"))
    return tuple(parts)


def covering_parts(parts: Iterable[ScopePart], chain: Iterable[str], on: str) -> list[ScopePart]:
    """The parts that give the item force at a site of ``chain`` on day ``on`` (YYYY-MM-DD)."""
    codes = list(chain)
    return [p for p in parts if p.covers(codes, on)]


def scope_because(parts: list[ScopePart]) -> dict[str, str]:
    """Why the item has force here and now, e.g. "000#14（山阳区，2022-01-01起）"."""
    described = [p.describe() for p in parts]
    return {
        "zh": "适用依据：" + "；".join(zh for zh, _ in described),
        "en": "In force under " + "; ".join(en for _, en in described),
    }


def scope_not_here(parts: tuple[ScopePart, ...]) -> dict[str, str]:
    """Why the item has no force at this site on this day: every source's reach, none of which covers it."""
    described = [p.describe() for p in parts]
    return {
        "zh": "本项来源在此辖区或此日期无效力：" + "；".join(zh for zh, _ in described),
        "en": "No source of this item has force in this jurisdiction on this date: "
        + "; ".join(en for _, en in described),
    }
