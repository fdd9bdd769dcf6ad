"""HTML (Jinja) → PDF (WeasyPrint) for every kind, from frozen facts. No Flask, no SQLAlchemy.

A4, title block, 文号, party block, numbered sections, signature and seal area, "第 x 页 共 y 页", an evidence
appendix (each photo's notice copy and its original's SHA-256), the content digest and a QR code of the
verification URL. The CJK font is embedded from a file (fonts-wqy-microhei by default) so the PDF reads the
same everywhere; a draft carries 样稿/DRAFT on every page and no number.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import HTML

from app.documents.blocking import carried_lines
from app.documents.chinese import amount_in_figures, amount_text, chinese_date, chinese_datetime
from app.documents.facts import DocumentFacts, PhotoFacts
from app.documents.kinds import KINDS, SERVICE_METHODS
from app.localtime import LOCAL_TZ
from app.photos.processing import refuse_truncated_images

# WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on when imported: photo evidence must keep refusing
# truncated uploads in every process that also renders documents (web for previews, the worker).
refuse_truncated_images()

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # Debian fonts-wqy-microhei

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class RenderInput:
    facts: DocumentFacts
    number: str | None
    issued_on: date
    content_sha256: str
    verify_url: str | None  # None: a draft (nothing to verify)
    draft: bool
    images: Mapping[str, bytes]  # original sha256 -> notice copy (JPEG)
    language: str = "zh"  # "en": a reading copy, only ever a draft (never issued)


def _gap(value: Any, label: str) -> Any:
    if value is None or value == "":
        return Markup('<span class="gap">【待定：{}】</span>').format(label)
    return value


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ) if moment.tzinfo is not None else moment


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def qr_png(url: str) -> bytes:
    """The verification URL as a QR code (PNG, pure Python)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def render_html(doc: RenderInput, *, font_path: str | None = DEFAULT_FONT_PATH) -> str:
    """The document as HTML, ready for WeasyPrint."""
    facts = doc.facts
    kind = KINDS[facts.kind]
    lines = carried_lines(facts)
    photos = [p for inspection in facts.all_inspections for item in inspection.items for p in item.photos]
    if facts.kind in ("fiscal_deduction_notice", "service_record"):
        photos = []
    onsite = facts.onsite
    if facts.kind == "inspection_record" and onsite and onsite.signature_photo_id and onsite.signature_sha256:
        photos.append(PhotoFacts(onsite.signature_photo_id, onsite.signature_sha256, "party_signature"))
    items = {i.item_key: i.text for i in facts.inspection.items}
    proposed = sum(line.amount_fen or 0 for line in lines if line.kind == "statutory_fine")
    case = facts.case
    if case is not None and case.proposed_fine_fen is not None:
        proposed = case.proposed_fine_fen  # the case's notice may propose less than the lines (第四十四条)
    hearing = facts.authority.hearing_threshold_fen is not None and proposed > facts.authority.hearing_threshold_fen
    if case is not None and case.hearing_right is not None:
        hearing = case.hearing_right  # the case decided it when the notice was served (第六十三条)
    template = _env.get_template("english.html" if doc.language == "en" else f"{facts.kind}.html")
    return template.render(
        kind=kind,
        facts=facts,
        case=case,
        inspections=facts.all_inspections,
        signed_on=facts.signed_on or doc.issued_on,
        authority=facts.authority,
        party=facts.party,
        inspection=facts.inspection,
        onsite=facts.onsite,
        order=facts.order,
        daily=facts.daily,
        service=facts.service,
        order_ref=facts.order_ref,
        notice_ref=facts.notice_ref,
        decision_ref=facts.decision_ref,
        replaces_ref=facts.replaces_ref,
        lines=lines,
        photos=photos,
        images={sha: _data_uri("image/jpeg", data) for sha, data in doc.images.items()},
        total=proposed,
        decided=facts.decided_amount_fen if facts.decided_amount_fen is not None else proposed,
        fiscal_total=sum(line.amount_fen or 0 for line in lines),
        payers=sorted({line.payer_name or "（扣缴主体待定）" for line in lines}),
        hearing=hearing,
        you="单位" if facts.party.kind == "unit" else "",
        number=doc.number,
        issued_on=doc.issued_on,
        draft=doc.draft,
        content_sha256=doc.content_sha256,
        verify_url=doc.verify_url,
        qr=_data_uri("image/png", qr_png(doc.verify_url)) if doc.verify_url else None,
        font_url=Path(font_path).resolve().as_uri() if font_path else None,
        gap=_gap,
        amount=amount_text,
        figures=amount_in_figures,
        cn_date=chinese_date,
        cn_datetime=chinese_datetime,
        local=_local,
        item_text=lambda key: items.get(key, key),
        kind_title=lambda key: KINDS[key].title_zh if key in KINDS else key,
        methods=SERVICE_METHODS,
    )


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint on our own HTML (no base URL: nothing outside the data URIs and the font file loads)."""
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def render_pdf(doc: RenderInput, *, font_path: str | None = DEFAULT_FONT_PATH) -> bytes:
    """The document as PDF bytes."""
    return html_to_pdf(render_html(doc, font_path=font_path))


def verification_page(view: Any) -> str:
    """The public verification page (HTML) of a document's public view."""
    amount = amount_text(view.amount_fen) if view.amount_fen is not None else "—"
    return _env.get_template("verify.html").render(view=view, amount=amount)
