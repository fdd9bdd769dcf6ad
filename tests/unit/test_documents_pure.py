"""Pure document modules: 大写 amounts, dates, numbers, facts round trip, blockers; and the rendering itself
(WeasyPrint to PDF, read back by pypdf, rasterised by pdftoppm: not blank, CJK glyphs, not tofu)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from app.documents.blocking import blockers
from app.documents.chinese import amount_in_figures, amount_in_words, amount_text, chinese_date, integer_words
from app.documents.facts import OnSiteFacts, facts_hash, from_json, to_json
from app.documents.kinds import KINDS
from app.documents.numbering import default_prefix, format_number, pattern_problem
from app.documents.render import DEFAULT_FONT_PATH, RenderInput, render_html, render_pdf
from tests.factories_documents import facts_of, pdf_text, rasterise

LATIN_ONLY_FONTS = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core: no CJK glyphs


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (10_000_000, "壹拾万元整"),
        (54_500, "伍佰肆拾伍元整"),
        (2_000_000, "贰万元整"),
        (7_600_000, "柒万陆仟元整"),
        (100_500_000, "壹佰万零伍仟元整"),
        (10_000_050_000, "壹亿零伍佰元整"),
        (100_000_000_000, "拾亿元整".replace("拾", "壹拾")),
        (10_050, "壹佰元伍角整"),
        (105, "壹元零伍分"),
        (1_010, "壹拾元壹角整"),
        (55, "伍角伍分"),
        (0, "零元整"),
        (1_000_100, "壹万零壹元整"),
        (10_100_000, "壹拾万零壹仟元整"),
        (12_345_600, "壹拾贰万叁仟肆佰伍拾陆元整"),
    ],
)
def test_amounts_in_capitals(fen: int, words: str) -> None:
    assert amount_in_words(fen) == words


def test_figures_dates_and_both_forms() -> None:
    assert amount_in_figures(7_600_000) == "76,000.00" and amount_in_figures(5) == "0.05"
    assert amount_text(54_500) == "人民币伍佰肆拾伍元整（¥545.00元）"
    assert chinese_date(date(2025, 1, 10)) == "2025年1月10日"
    assert integer_words(1_0000_0000) == "壹亿"
    with pytest.raises(ValueError):
        amount_in_words(-1)


def test_numbers_follow_the_henan_pattern() -> None:
    assert format_number("{prefix}{type}〔{year}〕{n}号", prefix="豫0811", type_code="环罚决字", year=2026, n=7) == (
        "豫0811环罚决字〔2026〕7号"
    )
    assert default_prefix("410811") == "豫0811" and default_prefix("110101") is None and default_prefix(None) is None
    assert pattern_problem("{prefix}{type}〔{year}〕{n}号") is None
    assert (
        pattern_problem("{prefix}{n}") == "needs_n_and_year"
        and pattern_problem("{x}{n}{year}") == "unknown_placeholder"
    )


def test_facts_survive_the_json_round_trip() -> None:
    facts = facts_of("penalty_decision")
    assert from_json(to_json(facts)) == facts
    assert facts_hash(facts, "A") != facts_hash(facts, "B")


def test_complete_facts_have_no_blockers_and_gaps_are_named() -> None:
    for kind in KINDS:
        assert blockers(facts_of(kind), type_code="X", number_prefix="豫0811") == [], kind
    facts = facts_of("inspection_record", onsite=OnSiteFacts(signature="refused"))
    assert [b.code for b in blockers(facts, type_code=None, number_prefix=None)] == ["refusal_unwitnessed"]
    unverified = replace(facts_of("penalty_decision").lines[0], blocking_reasons=("unverified",))
    facts = facts_of("penalty_decision", lines=(unverified,))
    assert [b.code for b in blockers(facts, type_code="X", number_prefix="P")] == ["line_unverified"]
    to_be_set = replace(unverified, blocking_reasons=("amount_to_be_set",), amount_fen=None)
    # An order prints no amount: only unverified text blocks it.
    assert blockers(facts_of("order_to_correct", lines=(to_be_set,)), type_code="X", number_prefix="P") == []


def _doc(kind: str, **kw: object) -> RenderInput:
    facts = facts_of(kind)
    base = RenderInput(
        facts, "豫0811环罚决字〔2026〕7号", date(2026, 11, 23), facts_hash(facts, "n"), "https://h/verify/t", False, {}
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_renders_a4_with_page_numbers_and_the_hearing_rule(kind: str) -> None:
    text = pdf_text(render_pdf(_doc(kind)))
    assert KINDS[kind].title_zh.replace(" ", "") in text and "第1页共" in text


def test_the_hearing_right_is_printed_above_the_threshold_only() -> None:
    from tests.factories_documents import BIG_FINE, FISCAL

    small = pdf_text(render_pdf(_doc("advance_notice")))
    big_facts = facts_of("advance_notice", lines=(BIG_FINE, FISCAL))
    big = pdf_text(render_pdf(_doc("advance_notice", facts=big_facts)))
    assert "要求举行听证" not in small and "要求举行听证" in big and "五日内" in big


def test_the_appendix_prints_each_photos_copy_and_original_hash() -> None:
    photo = Path(__file__).resolve().parents[1] / "data" / "photos" / "drew__jpg__HTC_Desire.jpg"
    sha = "ab" * 32
    text = pdf_text(render_pdf(_doc("penalty_decision", images={sha: photo.read_bytes()})))
    assert sha in text


def test_a_draft_is_marked_and_unnumbered() -> None:
    text = pdf_text(render_pdf(_doc("penalty_decision", number=None, draft=True, verify_url=None)))
    assert "样稿" in text and "DRAFT" in text and "豫0811环罚决字" not in text


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_page_of_each_kind_rasterises_with_ink(kind: str, tmp_path) -> None:  # noqa: ANN001
    page = rasterise(render_pdf(_doc(kind)), tmp_path)
    pixels = page[page.index(b"255\n") + 4 :]
    dark = sum(1 for p in pixels if p < 128)
    assert 0.005 < dark / len(pixels) < 0.5  # text on the page: neither blank nor a black box


def test_cjk_glyphs_are_real_not_tofu(tmp_path) -> None:  # noqa: ANN001
    """Two different characters render differently with the embedded font; with only a Latin font (a
    fontconfig of DejaVu alone, in a child process) they come out as the same .notdef box (tofu)."""

    def glyph(ch: str, font: str | None, env: dict[str, str] | None = None) -> bytes:
        script = (
            "import sys; from weasyprint import HTML;"
            "font=sys.argv[2];"
            "css=('@font-face{font-family:T;src:url(file://'+font+')}') if font else '';"
            "sys.stdout.buffer.write(HTML(string='<style>'+css+'@page{size:30mm 30mm;margin:2mm}"
            "body{font-family:T;font-size:60pt}</style>'+sys.argv[1]).write_pdf())"
        )
        pdf = subprocess.run(
            [sys.executable, "-c", script, ch, font or ""], capture_output=True, check=True, env=env, timeout=60
        ).stdout
        return rasterise(pdf, tmp_path, dpi=40)

    assert glyph("永", DEFAULT_FONT_PATH) != glyph("国", DEFAULT_FONT_PATH)
    if not LATIN_ONLY_FONTS.is_dir():
        pytest.skip("no Latin-only font directory to simulate the missing CJK font")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{LATIN_ONLY_FONTS}</dir><cachedir>{tmp_path}</cachedir></fontconfig>'
    )
    env = {"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    assert glyph("永", None, env) == glyph("国", None, env)  # tofu: what a missing CJK font looks like


def test_html_names_the_embedded_font() -> None:
    assert "wqy-microhei.ttc" in render_html(_doc("order_to_correct"))


def test_the_repository_holds_no_generated_pdf() -> None:
    root = Path(__file__).resolve().parents[2]
    listed = subprocess.run(["git", "ls-files", "*.pdf", "**/*.pdf"], cwd=root, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    assert listed.stdout.strip() == ""


def test_importing_the_renderer_keeps_truncated_images_refused() -> None:
    """WeasyPrint sets PIL's LOAD_TRUNCATED_IMAGES on import; the renderer puts the default back, so photo
    uploads keep refusing truncated JPEGs in every process that renders documents."""
    from PIL import ImageFile

    import app.documents.render  # noqa: F401

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("kind", ["order_to_correct", "advance_notice", "penalty_decision", "daily_penalty_decision"])
def test_a_unit_party_without_its_legal_representative_blocks_what_is_served_on_it(kind: str) -> None:
    # 令28 第九条（一）: the order names 法定代表人或者主要负责人; the same party block heads every document served on
    # the party, so an issued one must never print 【待定：法定代表人】.
    facts = facts_of(kind)
    unit = replace(facts, party=replace(facts.party, kind="unit", legal_representative=None))
    codes = [b.code for b in blockers(unit, type_code="X", number_prefix="P")]
    assert codes == ["legal_representative_missing"]
    person = replace(facts, party=replace(facts.party, kind="individual", legal_representative=None))
    assert blockers(person, type_code="X", number_prefix="P") == []


def test_the_party_address_is_needed_where_it_is_printed_and_not_on_the_fiscal_notice() -> None:
    # 行政处罚法第五十九条第一款（一）: 当事人的姓名或者名称、地址.
    for kind in ("penalty_decision", "inspection_record"):
        facts = facts_of(kind)
        no_address = replace(facts, party=replace(facts.party, address="  "))
        assert [b.code for b in blockers(no_address, type_code="X", number_prefix="P")] == ["party_address_missing"]
    fiscal = facts_of("fiscal_deduction_notice")
    fiscal = replace(fiscal, party=replace(fiscal.party, address=None, legal_representative=None))
    assert blockers(fiscal, type_code="X", number_prefix="P") == []
