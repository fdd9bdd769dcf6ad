"""PURE risk score of an inspection in the supervisor's review queue: facts in, explained score out.

No Flask, no SQLAlchemy. ``app.review.queue`` gathers one ``InspectionFacts`` per inspection in SQL and
orders the queue by the same score computed as a SQL expression (``app.review.queue.score_sql``); this module
is what the reviewer reads: every reason that fired, with its stable code, zh/en text and points.
The score is the sum of the points. Each reason counts once per inspection, however often it was seen
(``count`` says how often), so a single sloppy habit does not drown every other signal.

Reasons (stable codes; points are ``RiskWeights``, configurable with ``REVIEW_RISK_WEIGHTS``):

- ``failed_item_without_photo``  a failed item of the current submission has no photo (neither linked nor
                                 added by a reviewer's amendment).
- ``photo_<flag>``               a linked photo carries the evidence flag ``<flag>`` (``far_from_site``,
                                 ``time_outside_window``, ``edited_by_software``, ``no_gps``,
                                 ``no_capture_time``; any other flag: ``photo_other_flag``). The stored
                                 ``reused_photo`` flag is not counted here: ``reused_photo`` below is
                                 computed live, so a later reuse elsewhere shows too.
- ``reused_photo``               a linked photo's original (sha256) is linked to another inspection.
- ``near_duplicate_photo``       a linked photo is a near-duplicate (a resized or re-encoded copy: perceptual
                                 hashes at most REVIEW_NEAR_DUPLICATE_MAX_BITS of 64 bits apart, see
                                 ``app.photos.processing.perceptual_hash``) of a photo with other bytes linked
                                 to another inspection. Identical bytes are ``reused_photo``'s, not this one's.
                                 No source gives a distance: configuration only.
- ``location_far_from_site``     the inspection's own position is farther from the site than the photo
                                 distance configured for the site kind (PHOTO_MAX_DISTANCE_M / _BY_KIND).
- ``location_outside_jurisdiction`` the inspection's position lies outside the boundary of the site's
                                 jurisdiction (only where that boundary is imported).
- ``too_few_officers``           fewer officers than MIN_OFFICERS (行政处罚法第四十二条: 执法人员不得少于两人).
- ``short_inspection``           ended_at - started_at below REVIEW_MIN_DURATION_MINUTES. No source gives a
                                 minimum duration: configuration only.
- ``alert_level_mismatch``       the alert level the phone claimed differs from the level the server found
                                 declared when the inspection began (app.alerts): the claim is only a note.
- ``high_amount``                the current penalty total (fiscal deductions + statutory fines, fen) is at
                                 least REVIEW_HIGH_AMOUNT_FEN. No source gives a threshold: configuration only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

#: Evidence flags scored each under its own reason (``photo_<flag>``); see ``app.photos.evidence``.
SCORED_FLAGS: tuple[str, ...] = (
    "far_from_site",
    "time_outside_window",
    "edited_by_software",
    "no_gps",
    "no_capture_time",
)
#: Counted by the live sha256 check instead (``reused_photo``).
UNSCORED_FLAGS: frozenset[str] = frozenset({"reused_photo"})


@dataclass(frozen=True)
class RiskWeights:
    """Points per reason. Defaults are our choice (no source ranks these signals); override any of them
    with ``REVIEW_RISK_WEIGHTS`` (a JSON object of reason code → integer points)."""

    failed_item_without_photo: int = 30
    photo_far_from_site: int = 10
    photo_time_outside_window: int = 10
    photo_edited_by_software: int = 20
    photo_no_gps: int = 5
    photo_no_capture_time: int = 5
    photo_other_flag: int = 5
    reused_photo: int = 25
    near_duplicate_photo: int = 20
    location_far_from_site: int = 15
    location_outside_jurisdiction: int = 15
    too_few_officers: int = 25
    short_inspection: int = 10
    high_amount: int = 10
    alert_level_mismatch: int = 20

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, object]) -> RiskWeights:
        """Defaults with ``overrides`` applied; an unknown code or a non-integer weight is a ``ValueError``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"REVIEW_RISK_WEIGHTS: unknown reason codes {unknown}; known: {sorted(known)}")
        values: dict[str, int] = {}
        for code, points in overrides.items():
            if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 1000:
                raise ValueError(f"REVIEW_RISK_WEIGHTS: {code} must be an integer 0..1000, got {points!r}")
            values[code] = points
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | None) -> RiskWeights:
        if not text or not text.strip():
            return cls()
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("REVIEW_RISK_WEIGHTS must be a JSON object of reason code → points")
        return cls.from_mapping(raw)

    def points(self, code: str) -> int:
        value = getattr(self, code)
        assert isinstance(value, int)
        return value

    def flag_points(self, flag: str) -> int:
        return self.points(flag_reason_code(flag))

    def as_dict(self) -> dict[str, int]:
        return {f.name: self.points(f.name) for f in fields(self)}


@dataclass(frozen=True)
class RiskSettings:
    weights: RiskWeights = field(default_factory=RiskWeights)
    # 行政处罚法第四十二条: at least two officers (MIN_OFFICERS).
    min_officers: int = 2
    default_max_distance_m: float = 300.0
    max_distance_by_kind: tuple[tuple[str, float], ...] = ()
    # No source gives either number: configuration (REVIEW_MIN_DURATION_MINUTES, REVIEW_HIGH_AMOUNT_FEN).
    min_duration_s: int = 15 * 60
    high_amount_fen: int = 10_000_000
    # Perceptual hashes this many bits apart (of 64) or fewer are near-duplicates. Our choice, configurable
    # (REVIEW_NEAR_DUPLICATE_MAX_BITS): a resized or re-encoded copy differs in a few bits, different scenes
    # in about half of them (tests/unit/test_photo_phash.py measures both on the test photos).
    near_duplicate_max_bits: int = 8

    def max_distance_for(self, site_kind: str) -> float:
        return dict(self.max_distance_by_kind).get(site_kind, self.default_max_distance_m)


@dataclass(frozen=True)
class InspectionFacts:
    """What the queue query gathers for one inspection."""

    site_kind: str
    officer_count: int
    failed_without_photo: int
    # One entry per flag per link (a code may repeat).
    flag_codes: tuple[str, ...]
    reused_photos: int
    distance_m: float | None  # inspection position to site; None without a position
    outside_jurisdiction: bool | None  # None: no position or no imported boundary
    duration_s: float | None  # None unless both times are known
    total_amount_fen: int
    near_duplicate_photos: int = 0
    alert_claimed: str = "none"  # what the phone said
    alert_in_force: str | None = None  # what the server found at submission; None before submission

    @property
    def alert_mismatch(self) -> bool:
        return self.alert_in_force is not None and self.alert_claimed != self.alert_in_force


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    message_zh: str
    message_en: str
    count: int = 1


@dataclass(frozen=True)
class Assessment:
    score: int
    reasons: tuple[Reason, ...]


_FLAG_TEXT = {
    "far_from_site": ("照片拍摄位置远离场所", "photo taken far from the site"),
    "time_outside_window": ("照片拍摄时间不在检查时段内", "photo taken outside the inspection window"),
    "edited_by_software": ("照片经软件编辑", "photo edited by software"),
    "no_gps": ("照片无定位信息", "photo without GPS position"),
    "no_capture_time": ("照片无拍摄时间", "photo without capture time"),
}


def flag_reason_code(flag: str) -> str:
    return f"photo_{flag}" if flag in SCORED_FLAGS else "photo_other_flag"


def _flag_reasons(flag_codes: tuple[str, ...], weights: RiskWeights) -> list[Reason]:
    per_reason: Counter[str] = Counter()
    others: set[str] = set()
    for flag in flag_codes:
        if flag in UNSCORED_FLAGS:
            continue
        per_reason[flag_reason_code(flag)] += 1
        if flag not in SCORED_FLAGS:
            others.add(flag)
    out = []
    for flag in SCORED_FLAGS:
        code = flag_reason_code(flag)
        if per_reason[code]:
            zh, en = _FLAG_TEXT[flag]
            n = per_reason[code]
            out.append(Reason(code, weights.points(code), f"{zh}（{n} 张）", f"{en} ({n})", n))
    if per_reason["photo_other_flag"]:
        names = ", ".join(sorted(others))
        n = per_reason["photo_other_flag"]
        out.append(
            Reason(
                "photo_other_flag",
                weights.photo_other_flag,
                f"照片有其他证据标记：{names}",
                f"photo evidence flags: {names}",
                n,
            )
        )
    return out


def assess(facts: InspectionFacts, settings: RiskSettings) -> Assessment:
    """The reasons that fire for ``facts`` (in a fixed order) and their total."""
    w = settings.weights
    reasons: list[Reason] = []
    if facts.failed_without_photo > 0:
        n = facts.failed_without_photo
        reasons.append(
            Reason(
                "failed_item_without_photo",
                w.failed_item_without_photo,
                f"{n} 项不合格无照片证据",
                f"{n} failed item(s) without photo evidence",
                n,
            )
        )
    reasons.extend(_flag_reasons(facts.flag_codes, w))
    if facts.reused_photos > 0:
        n = facts.reused_photos
        reasons.append(
            Reason(
                "reused_photo",
                w.reused_photo,
                f"{n} 张照片也用于其他检查记录",
                f"{n} photo(s) also used in another inspection",
                n,
            )
        )
    if facts.near_duplicate_photos > 0:
        n = facts.near_duplicate_photos
        k = settings.near_duplicate_max_bits
        reasons.append(
            Reason(
                "near_duplicate_photo",
                w.near_duplicate_photo,
                f"{n} 张照片与其他检查记录中的照片近似重复（感知哈希相差不超过 {k} 位）",
                f"{n} photo(s) near-duplicate of a photo in another inspection (perceptual hashes within {k} bits)",
                n,
            )
        )
    limit = settings.max_distance_for(facts.site_kind)
    if facts.distance_m is not None and facts.distance_m > limit:
        reasons.append(
            Reason(
                "location_far_from_site",
                w.location_far_from_site,
                f"检查定位距场所 {facts.distance_m:.0f} 米（上限 {limit:.0f} 米）",
                f"inspection position {facts.distance_m:.0f} m from the site (limit {limit:.0f} m)",
            )
        )
    if facts.outside_jurisdiction:
        reasons.append(
            Reason(
                "location_outside_jurisdiction",
                w.location_outside_jurisdiction,
                "检查定位不在场所所属辖区内",
                "inspection position outside the site's jurisdiction",
            )
        )
    if facts.officer_count < settings.min_officers:
        # 行政处罚法第四十二条: 执法人员不得少于两人.
        reasons.append(
            Reason(
                "too_few_officers",
                w.too_few_officers,
                f"执法人员 {facts.officer_count} 人，少于 {settings.min_officers} 人（行政处罚法第四十二条）",
                f"{facts.officer_count} officer(s), fewer than {settings.min_officers} (Administrative Penalty Law "
                "Art. 42)",
            )
        )
    if facts.duration_s is not None and facts.duration_s < settings.min_duration_s:
        minutes = facts.duration_s / 60
        reasons.append(
            Reason(
                "short_inspection",
                w.short_inspection,
                f"检查用时 {minutes:.0f} 分钟，少于 {settings.min_duration_s // 60} 分钟",
                f"inspection took {minutes:.0f} min, under {settings.min_duration_s // 60} min",
            )
        )
    if facts.alert_mismatch:
        reasons.append(
            Reason(
                "alert_level_mismatch",
                w.alert_level_mismatch,
                f"手机上报预警级别 {facts.alert_claimed} 与系统记录的 {facts.alert_in_force} 不一致",
                f"phone claimed alert level {facts.alert_claimed}, declared level was {facts.alert_in_force}",
            )
        )
    if facts.total_amount_fen >= settings.high_amount_fen:
        yuan = facts.total_amount_fen / 100
        reasons.append(
            Reason(
                "high_amount",
                w.high_amount,
                f"处罚金额合计 {yuan:,.2f} 元",
                f"penalty total CNY {yuan:,.2f}",
            )
        )
    return Assessment(sum(r.points for r in reasons), tuple(reasons))
