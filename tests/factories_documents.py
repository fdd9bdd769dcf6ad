"""Builders for document tests: facts of every kind (pure), PDF text and raster helpers."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from pypdf import PdfReader

from app.documents.facts import (
    AuthorityFacts,
    BasisFacts,
    DailyFacts,
    DocumentFacts,
    DocumentRef,
    InspectionFacts,
    ItemFacts,
    LineFacts,
    OfficerFacts,
    OnSiteFacts,
    OrderFacts,
    PartyFacts,
    PhotoFacts,
    ServiceFacts,
)

CST = timezone(timedelta(hours=8))
AUTHORITY = AuthorityFacts(
    name="焦作市生态环境局",
    review_body="焦作市人民政府",
    court="焦作市山阳区人民法院",
    statement_period_days=5,
    hearing_threshold_fen=20_000_000,
    payment_text="将罚款缴至焦作市财政局非税收入汇缴账户",
    address="焦作市山阳区示例路1号",
)
FINE = LineFacts(
    rule_key="fine.henan_76_construction_dust",
    kind="statutory_fine",
    title="施工工地未采取扬尘防治措施（河南省大气污染防治条例第七十六条）",
    basis=(BasisFacts("河南省大气污染防治条例第七十六条", "……处二万元以上十万元以下罚款……"),),
    amount_fen=7_600_000,
    status="computed",
    blocking_reasons=(),
    explanation=("裁量：三项措施未落实，按幅度内相应位置确定。",),
    payer_type="violator",
    payer_name="某建筑工程有限公司",
    item_keys=("dust.hoarding",),
)
BIG_FINE = replace(FINE, amount_fen=25_000_000)
FISCAL = LineFacts(
    rule_key="fiscal.dust_measure_failed",
    kind="fiscal_deduction",
    title="扬尘防治措施不落实（财政扣缴）",
    basis=(BasisFacts("000§五(二)", "每发现一处扬尘防治措施不落实扣缴10万元"),),
    amount_fen=30_000_000,
    status="computed",
    blocking_reasons=(),
    explanation=("每项10万元，3项。",),
    payer_type="responsible_jurisdiction",
    payer_name="焦东街道",
    item_keys=("dust.hoarding",),
)
STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=CST)


def inspection_facts(photo_sha: str = "ab" * 32) -> InspectionFacts:
    return InspectionFacts(
        inspection_id="00000000-0000-4000-8000-000000000001",
        site_name="示例小区建设项目",
        place="焦作市山阳区焦东街道示例路",
        started_at=STARTED,
        ended_at=STARTED + timedelta(hours=1),
        officers=(OfficerFacts("张三", "豫执A-0001"), OfficerFacts("李四", "豫执B-0002")),
        items=(
            ItemFacts(
                "dust.hoarding", "fail", "施工现场未设置硬质围挡", None, (PhotoFacts("p1", photo_sha, "dust.hoarding"),)
            ),
            ItemFacts("dust.pm10", "pass", "PM10 读数合格", 80.0),
        ),
    )


def facts_of(kind: str, **overrides: object) -> DocumentFacts:
    """Complete (issuable) facts of ``kind``."""
    ref = lambda k, n: DocumentRef(k, n, date(2026, 11, 21))  # noqa: E731
    base = DocumentFacts(
        kind=kind,
        authority=AUTHORITY,
        party=PartyFacts("unit", "某建筑工程有限公司", "91410800MA44XXXX1B", "焦作市山阳区某路2号", "王五"),
        inspection=inspection_facts(),
        lines=(FINE, FISCAL),
        order=OrderFacts("立即设置硬质密闭围挡，覆盖裸露土方", date(2026, 11, 27)),
        onsite=OnSiteFacts("赵六", "项目经理", "情况属实，马上整改", "signed", None),
        daily=DailyFacts(date(2026, 11, 22), date(2026, 12, 1), 7_600_000),
        service=ServiceFacts(
            (ref("penalty_decision", "豫0811环罚决字〔2026〕1号"),),
            "direct",
            datetime(2026, 11, 25, 10, 30, tzinfo=CST),
            "焦作市山阳区某路2号",
            "某建筑工程有限公司",
            "王五",
            "法定代表人",
            None,
            ("张三", "李四"),
        ),
        order_ref=ref("order_to_correct", "豫0811环责改字〔2026〕1号"),
        notice_ref=ref("advance_notice", "豫0811环罚告字〔2026〕1号"),
        decision_ref=ref("penalty_decision", "豫0811环罚决字〔2026〕1号"),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def pdf_text(data: bytes) -> str:
    """All text of a PDF (pypdf), with whitespace removed (CJK text extracts with stray spaces)."""
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def rasterise(data: bytes, tmp: Path, page: int = 1, dpi: int = 50) -> bytes:
    """One page as greyscale PGM bytes (pdftoppm from poppler-utils)."""
    pdf = tmp / "doc.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf), str(tmp / "page")],
        check=True,
        timeout=60,
    )
    out = sorted(tmp.glob("page*.pgm"))[-1].read_bytes()
    for f in tmp.glob("page*.pgm"):
        f.unlink()
    return out


# --------------------------------------------------------------------------- database builders

SETTINGS = {
    "authority_name": "焦作市生态环境局",
    "review_body": "焦作市人民政府",
    "court": "焦作市山阳区人民法院",
    "statement_period_days": 5,
    "hearing_threshold_fen": {"unit": 20_000_000, "individual": 1_000_000},
    "type_codes": {"daily_penalty_decision": "环按日罚字", "fiscal_deduction_notice": "环扣缴字"},
}


def make_officered_inspection(session, site, failed, created_by, officers):  # noqa: ANN001, ANN201
    """A submitted inspection with officers (added while it is a draft, as the phone does) and findings."""
    from sqlalchemy import select as _select

    from app.inspections.models import Finding, InspectionOfficer
    from tests.factories_penalties import make_inspection

    inspection = make_inspection(session, site, [], state="draft", created_by=created_by)
    for position, (user, name, badge) in enumerate(officers):
        session.add(
            InspectionOfficer(
                inspection_id=inspection.id, user_id=user, position=position, name=name, badge_number=badge
            )
        )
    session.flush()
    inspection.state = "submitted"
    inspection.submission_count = 1
    inspection.submitted_at = inspection.started_at + timedelta(hours=2)
    session.flush()
    checklist = inspection.checklist
    for item in failed:
        session.add(
            Finding(
                inspection_id=inspection.id,
                submission_no=1,
                item_key=item.item_key,
                checklist_key=checklist.key,
                checklist_version=checklist.version,
                checklist_hash=checklist.content_hash,
                verdict="fail",
                explanation={"zh": "不合格", "en": "failed"},
                severity=item.severity,
                source_refs=item.source_refs,
                penalty_keys=item.penalty_keys,
                answer=item.answer,
            )
        )
    session.flush()
    session.expire(inspection, ["findings"])
    assert session.scalar(_select(Finding.id).where(Finding.inspection_id == inspection.id)) is not None
    return inspection
