"""The party's signature (or a photo of a witnessed refusal to sign) for the on-site record.

The phone uploads the image as a photo (PUT /api/v1/photos/{id}: stored byte for byte, content-addressed),
then records it here against the inspection; the next 笔录 prints its status, the witness and the image's
SHA-256, and carries the image in its evidence appendix. 令8 第四十三条 (superseded) and practice: a refusal
does not stop the record, but it is written down with a witness (documents.md §1 item 8).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.documents.models import PartySignature
from app.errors import Conflict, FieldError, ValidationFailed
from app.inspections.access import get_inspection
from app.photos.access import get_visible_photo
from app.photos.evidence_links import EvidenceLinks


def record_signature(
    session: Session, principal: Principal, inspection_id: uuid.UUID, data: dict[str, Any], links: EvidenceLinks
) -> tuple[PartySignature, bool]:
    """Record an uploaded signature image (or refusal photo) for an inspection the caller may see. Audited.

    → (the record, whether it is new). The same photo recorded again for the same inspection is a retry whose
    answer was lost: the first record is returned, nothing is appended; the same photo with other details is a
    conflict (a new signature is a new photo).
    """
    inspection = get_inspection(session, principal, inspection_id)
    photo = get_visible_photo(session, principal, data["photo_id"], links)
    if data["status"] == "refused" and not data.get("witness"):
        raise ValidationFailed(
            "拒签须记明见证人",
            "A refusal to sign needs a witness",
            code="refusal_unwitnessed",
            errors=[FieldError("witness", "required", "须填写见证人", "name the witness")],
        )
    values = {
        "inspection_id": inspection.id,
        "photo_id": photo.id,
        "photo_sha256": photo.sha256,
        "status": data["status"],
        "signer_name": data.get("signer_name"),
        "witness": data.get("witness"),
        "recorded_by_id": principal.user_id,
    }
    new_id = session.scalar(
        insert(PartySignature)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["inspection_id", "photo_id"])
        .returning(PartySignature.id)
    )
    if new_id is None:
        first = session.scalars(
            select(PartySignature).where(
                PartySignature.inspection_id == inspection.id, PartySignature.photo_id == photo.id
            )
        ).one()
        if (first.status, first.signer_name, first.witness) != (
            values["status"],
            values["signer_name"],
            values["witness"],
        ):
            raise Conflict(
                "该照片已记录为另一签名结果",
                "This photo is already recorded with other signature details",
                code="signature_photo_taken",
            )
        return first, False
    row = session.get_one(PartySignature, new_id)
    record_audit(
        session,
        "party_signature.record",
        "inspection",
        inspection.id,
        after={"photo_id": str(photo.id), "sha256": photo.sha256, "status": row.status, "witness": row.witness},
    )
    return row, True


def latest_signature(session: Session, inspection_id: uuid.UUID) -> PartySignature | None:
    return session.scalars(
        select(PartySignature)
        .where(PartySignature.inspection_id == inspection_id)
        .order_by(PartySignature.recorded_at.desc(), PartySignature.id.desc())
        .limit(1)
    ).first()
