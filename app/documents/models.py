"""Issued documents, their number counters and the jurisdictions' document settings.

``Document``: one issued (or issuing) document. Its facts, number, content digest and verification token are
fixed when the number is taken; the PDF bytes and their SHA-256 are written once, by the render job, and
then never change (migration 0014's triggers; the runtime role cannot alter them). A void keeps the row and
its bytes: the number stays taken, visibly voided.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

DOCUMENT_STATES = ("rendering", "issued", "failed", "voided")


class DocumentSettings(Base):
    """A jurisdiction's document settings (inherited downwards, nearest wins): authority name, number
    pattern and prefix, type codes, review body, court, 陈述申辩 period, hearing thresholds, payment text."""

    __tablename__ = "document_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class DocumentNumberCounter(Base):
    """The last number taken per issuing authority, prefix, type code and year (documents.md §0.3)."""

    __tablename__ = "document_number_counters"

    authority: Mapped[str] = mapped_column(String(200), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(40), primary_key=True)
    type_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("uq_documents_number", "number", unique=True, postgresql_where=text("number IS NOT NULL")),
        Index("ix_documents_pdf_sha256", "pdf_sha256"),
        # A voided document is reissued once: its replacement is the one document that names it.
        Index("uq_documents_replaces_id", "replaces_id", unique=True, postgresql_where=text("replaces_id IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the client's id: a retried issue is the same document
    kind: Mapped[str] = mapped_column(String(40))
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    # The case (案件) the document was issued from (facts_from_case), when it was.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(200))
    sequence_key: Mapped[str | None] = mapped_column(String(400))
    sequence_no: Mapped[int | None] = mapped_column(Integer)
    facts: Mapped[dict[str, Any]]
    content_sha256: Mapped[str] = mapped_column(String(64))
    verify_token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[date]  # Asia/Shanghai date printed on the document
    issued_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    rendered_at: Mapped[datetime | None]
    render_error: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)


class PartySignature(Base):
    """The party's signature on the on-site record, or a photo of a witnessed refusal (documents.md §1 item 8),
    uploaded by the phone as a photo (write-once, content-addressed) and recorded here with its hash.
    Append-only: a later record supersedes an earlier one in the next 笔录, never erases it."""

    __tablename__ = "party_signatures"
    # One record per photo: a retried POST finds it (migration 0030).
    __table_args__ = (Index("uq_party_signatures_inspection_id_photo_id", "inspection_id", "photo_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("photos.id"))
    photo_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))  # signed | refused
    signer_name: Mapped[str | None] = mapped_column(String(100))
    witness: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
