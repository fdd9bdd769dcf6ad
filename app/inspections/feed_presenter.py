"""A sync-feed page built from Core rows: each item the same JSON as ``InspectionSchema`` dumps of
``presenter.present_inspection`` (what GET /inspections/{id} answers), without hydrating ORM objects or running
marshmallow per nested object (~1,300 objects and their dumps for 50 inspections).

Three SELECTs for the page's inspections: officers, answers and current findings aggregated to one JSON value
each per inspection by PostgreSQL; photo links with the photos' arrival state; amendments, each ordered as the ORM relationships order them, then plain values in the key
order of ``schemas.InspectionSchema`` and with its conversions (UUID and datetime as text, integers, floats).
Supervisors' evidence flags go through the same rules as ``presenter.present_inspection`` (the photo's view
rules, ``evidence.visible_flags``), reading the Photo rows only for links that carry flags.
``tests/api/test_inspections_feed_rows.py`` compares this output with the ORM presenter's for a rich
inspection (answers, findings, photo links, amendments, a return).
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Row, Select, bindparam, func, literal_column, select, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.schemas import TaskSchema
from app.cases.tasks import due_tasks, present_task
from app.etags import version_etag
from app.inspections import rules
from app.inspections.amending import AmendmentView, amendment_photos, effective_answers
from app.inspections.evidence import uploaded_photos, visible_flags
from app.inspections.feed import FeedPage
from app.inspections.models import (
    Finding,
    Inspection,
    InspectionAmendment,
    InspectionAnswer,
    InspectionOfficer,
    InspectionPhotoLink,
)
from app.inspections.presenter import may_see_flags
from app.jurisdictions.models import Jurisdiction
from app.photos.models import Photo
from app.sites.models import Site
from app.vocabulary import SUPERVISING_ROLES

_TASKS = TaskSchema(many=True)


# -- marshmallow's conversions (fields.UUID, DateTime, Integer, Float, String, List(String)) --------------------


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dict(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else dict(value)


def _texts(values: Iterable[Any] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def _pick(value: Mapping[str, Any], fields: Sequence[tuple[str, Callable[[Any], Any]]]) -> dict[str, Any]:
    """A nested schema's dump of a dict: its declared keys that are present, converted, in declared order."""
    return {key: convert(value[key]) for key, convert in fields if key in value}


_ITEM_COMMENT = (("item_key", _text), ("comment", _text))
_FLAG = (("code", _text), ("message_zh", _text), ("message_en", _text), ("details", _dict))


def _item_comments(comments: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [_pick(c, _ITEM_COMMENT) for c in comments or []]


# -- the page's rows -------------------------------------------------------------------------------------------


def _grouped(rows: Iterable[Row[Any]]) -> dict[uuid.UUID, list[Row[Any]]]:
    out: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        out[row.inspection_id].append(row)
    return out


def _obj(*pairs: Any) -> Any:
    """json_build_object with constant keys written as SQL literals (a bound key has no type to infer)."""
    args: list[Any] = []
    for key, value in zip(pairs[::2], pairs[1::2], strict=True):
        args += [literal_column(f"'{key}'"), value]
    return func.json_build_object(*args)


def _collections() -> tuple[Any, Any, Any]:
    """Per inspection (correlated to ``inspections``), one JSON value each for its officers, answers ([item
    key, data] pairs in item order) and current findings: decoded once per inspection instead of once per
    JSONB cell (~40 per inspection)."""
    o, a, f = InspectionOfficer, InspectionAnswer, Finding
    i = Inspection
    officers = (
        select(
            func.json_agg(
                aggregate_order_by(
                    _obj("user_id", o.user_id, "badge_number", o.badge_number, "name", o.name), o.position
                )
            )
        )
        .where(o.inspection_id == i.id)
        .scalar_subquery()
    )
    answers = (
        select(func.json_agg(aggregate_order_by(func.json_build_array(a.item_key, a.data), a.item_key)))
        .where(a.inspection_id == i.id)
        .scalar_subquery()
    )
    # Inspection.current_findings: the current submission's current revision, in id order; the keys in
    # FindingSchema's order.
    finding = _obj(
        "id", f.id, "item_key", f.item_key, "checklist_key", f.checklist_key, "checklist_version",
        f.checklist_version, "checklist_hash", f.checklist_hash, "verdict", f.verdict, "phone_verdict",
        f.phone_verdict, "explanation", f.explanation, "value", f.value, "severity", f.severity, "source_refs",
        f.source_refs, "penalty_keys", f.penalty_keys, "photo_ids",
        func.coalesce(f.answer["photos"], literal_column("'[]'::jsonb")), "waiver", f.waiver, "object", f.object_ref,
    )  # fmt: skip
    findings = (
        select(func.json_agg(aggregate_order_by(finding, f.id)))
        .where(f.inspection_id == i.id, f.submission_no == i.submission_count, f.revision == i.findings_revision)
        .scalar_subquery()
    )
    return (
        type_coerce(officers, JSON).label("officers"),
        type_coerce(answers, JSON).label("answers"),
        type_coerce(findings, JSON).label("findings"),
    )


def _aggregated(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    """``_collections`` of the inspections ``ids`` (one statement)."""
    stmt = select(Inspection.id, *_collections()).where(Inspection.id.in_(ids))
    return {row.id: row for row in session.execute(stmt)}


class _PageRows:
    """Everything the page shows beside the inspections' own columns, in three statements."""

    def __init__(
        self,
        session: Session,
        ids: list[uuid.UUID],
        aggregated: dict[uuid.UUID, Row[Any]] | None = None,
        *,
        without_links_or_amendments: bool = False,
    ) -> None:
        link, m = InspectionPhotoLink, InspectionAmendment
        self.aggregated = aggregated if aggregated is not None else _aggregated(session, ids)
        if without_links_or_amendments:
            self.links: dict[uuid.UUID, list[Row[Any]]] = {}
            self.amendments: dict[uuid.UUID, list[Row[Any]]] = {}
            return
        self.links = _grouped(
            session.execute(
                select(
                    link.inspection_id,
                    link.photo_id,
                    link.item_key,
                    link.position,
                    link.linked_at,
                    link.flags,
                    Photo.id.is_not(None).label("uploaded"),
                    Photo.derivatives_state,
                )
                .outerjoin(Photo, Photo.id == link.photo_id)
                .where(link.inspection_id.in_(ids))
                .order_by(link.item_key, link.position)
            )
        )
        self.amendments = _grouped(
            session.execute(
                select(
                    m.inspection_id,
                    m.id,
                    m.seq,
                    m.submission_no,
                    m.findings_revision,
                    m.item_key,
                    m.kind,
                    m.answer_before,
                    m.answer_after,
                    m.photo_ids,
                    m.reason,
                    m.by_id,
                    m.created_at,
                )
                .where(m.inspection_id.in_(ids))
                .order_by(m.seq)
            )
        )


def feed_columns() -> tuple[Any, ...]:
    """The inspection columns a feed item shows (``feed.inspection_feed`` selects them with the site's)."""
    i = Inspection
    return (
        i.id,
        i.state,
        i.version,
        i.checklist_key,
        i.checklist_version,
        i.checklist_hash,
        i.started_at,
        i.ended_at,
        func.ST_X(i.location).label("lon"),
        func.ST_Y(i.location).label("lat"),
        i.location_accuracy_m,
        i.location_crs,
        i.alert_level,
        i.note,
        i.review_comment,
        i.reviewed_at,
        i.reviewed_by_id,
        i.review_item_comments,
        i.decision,
        i.decided_by_id,
        i.decided_at,
        i.decision_reason,
        i.decision_item_comments,
        i.reinspection_of_id,
        i.submitted_at,
        i.submission_count,
        i.created_by_id,
        i.created_at,
        i.updated_at,
    )


# -- one item --------------------------------------------------------------------------------------------------


def _amendment(row: Row[Any], first_of: Mapping[tuple[int, str], Row[Any]]) -> dict[str, Any]:
    """presenter.present_amendment: the inspector's original answer is what the item's first amendment in
    that submission started from."""
    return {
        "id": str(row.id),
        "seq": row.seq,
        "submission_no": row.submission_no,
        "findings_revision": row.findings_revision,
        "item_key": row.item_key,
        "kind": row.kind,
        "original_answer": _dict(first_of[(row.submission_no, row.item_key)].answer_before),
        "answer_before": _dict(row.answer_before),
        "answer_after": _dict(row.answer_after),
        "photos": _texts(row.photo_ids),
        "reason": row.reason,
        "by": row.by_id,
        "at": _iso(row.created_at),
    }


def _finding(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding as json_build_object gave it; FindingSchema's Float: a whole-number reading is 5.0, not 5."""
    if finding["value"] is not None:
        finding["value"] = float(finding["value"])
    return finding


class _Flags:
    """Evidence flags as ``presenter._photo_links`` shows them: supervisors and admins who may view the photo."""

    def __init__(self, session: Session, viewer: Principal, links: Iterable[Row[Any]]) -> None:
        self.session, self.viewer = session, viewer
        flagged = [link.photo_id for link in links if link.flags is not None and link.uploaded]
        supervising = viewer.role in SUPERVISING_ROLES
        self.photos = uploaded_photos(session, flagged) if supervising else {}
        self.allowed: dict[uuid.UUID, bool] = {}

    def of(self, link: Row[Any]) -> list[dict[str, Any]] | None:
        if link.flags is None:
            return None  # visible_flags(None) is None whoever looks
        photo = self.photos.get(link.photo_id)
        if photo is None:
            return None  # not a supervisor, or the photo has not arrived
        if link.photo_id not in self.allowed:
            self.allowed[link.photo_id] = may_see_flags(self.session, self.viewer, photo)
        if not self.allowed[link.photo_id]:
            return None
        shown = visible_flags(self.session, link.flags, self.viewer)
        return None if shown is None else [_pick(flag, _FLAG) for flag in shown]


def _item(row: Row[Any], rows: _PageRows, flags: _Flags) -> dict[str, Any]:
    iid = row.id
    aggregated = rows.aggregated[iid]
    amendments = rows.amendments.get(iid, [])
    first_of: dict[tuple[int, str], Row[Any]] = {}
    for m in amendments:
        first_of.setdefault((m.submission_no, m.item_key), m)
    # amendments.applied_amendments: those of the current submission, unless returned or a draft.
    applied = (
        [] if row.state in rules.EDITABLE_STATES else [m for m in amendments if m.submission_no == row.submission_count]
    )
    applied_views = [
        AmendmentView(m.item_key, m.kind, m.answer_after, tuple(str(p) for p in m.photo_ids)) for m in applied
    ]
    links = rows.links.get(iid, [])
    photos_by_item: dict[str, list[str]] = {}
    for link in links:
        photos_by_item.setdefault(link.item_key, []).append(str(link.photo_id))
    for item_key, pids in amendment_photos(applied_views).items():
        photos = photos_by_item.setdefault(item_key, [])
        photos += [p for p in pids if p not in photos]
    answers = {
        key: {**data, "photos": photos_by_item.get(key, [])}
        for key, data in effective_answers(dict(aggregated.answers or ()), applied_views).items()
    }
    original_answers: dict[str, Any] = {}
    for m in applied:
        if m.item_key not in original_answers:
            original_answers[m.item_key] = _dict(first_of[(m.submission_no, m.item_key)].answer_before)
    review = (
        None
        if row.review_comment is None and row.reviewed_at is None
        else {
            "comment": row.review_comment,
            "at": _iso(row.reviewed_at),
            "by": row.reviewed_by_id,
            "item_comments": _item_comments(row.review_item_comments),
        }
    )
    decision = (
        None
        if row.decision is None
        else {
            "action": row.decision,
            "by": row.decided_by_id,
            "at": _iso(row.decided_at),
            "reason": row.decision_reason,
            "item_comments": _item_comments(row.decision_item_comments),
        }
    )
    location = (
        None
        if row.lon is None
        else {
            "lon": row.lon,
            "lat": row.lat,
            "accuracy_m": row.location_accuracy_m,
            "crs": "wgs84",
            "crs_sent": row.location_crs,
        }
    )
    return {
        "id": str(iid),
        "state": row.state,
        "version": row.version,
        "etag": version_etag(row.version),
        "site": {
            "id": row.site_id,
            "name": row.site_name,
            "kind": row.site_kind,
            "jurisdiction": row.jurisdiction_code,
        },
        "checklist": {"key": row.checklist_key, "version": row.checklist_version, "hash": row.checklist_hash},
        "officers": aggregated.officers or [],
        "started_at": _iso(row.started_at),
        "ended_at": _iso(row.ended_at),
        "location": location,
        "alert_level": row.alert_level,
        "note": row.note,
        "answers": answers,
        "original_answers": original_answers,
        "amendments": [_amendment(m, first_of) for m in amendments],
        "photos": [
            {
                "photo_id": str(link.photo_id),
                "item_key": link.item_key,
                "position": link.position,
                "linked_at": _iso(link.linked_at),
                "uploaded": bool(link.uploaded),
                "derivatives_state": link.derivatives_state,
                "flags": flags.of(link),
            }
            for link in links
        ],
        "findings": [_finding(f) for f in aggregated.findings or []],
        "review": review,
        "decision": decision,
        "reinspection_of": _text(row.reinspection_of_id),
        "submitted_at": _iso(row.submitted_at),
        "submission_count": row.submission_count,
        "created_by": row.created_by_id,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


def present_feed_rows(session: Session, page: FeedPage, viewer: Principal) -> dict[str, Any]:
    """The feed page as ``viewer`` sees it, JSON-ready (what ``FeedSchema`` would dump), from Core rows."""
    ids = [row.id for row in page.inspections]
    rows = _PageRows(session, ids) if ids else None
    items = []
    if rows is not None:
        flags = _Flags(session, viewer, (link for links in rows.links.values() for link in links))
        items = [_item(row, rows, flags) for row in page.inspections]
    return {
        "items": items,
        "tasks": _TASKS.dump([present_task(t) for t in due_tasks(session, viewer)]),
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }


@functools.cache
def _one_inspection() -> Select[Any]:
    """The statement of ``present_inspection_rows``, built once: its cache key (a walk of ~60 columns and three
    correlated aggregates) is kept on the statement object, so each request only looks the compilation up."""
    return (
        select(
            Inspection.site_id,
            Site.name.label("site_name"),
            Site.kind.label("site_kind"),
            Jurisdiction.code.label("jurisdiction_code"),
            *feed_columns(),
            *_collections(),
        )
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(Inspection.id == bindparam("inspection_id"))
    )


def present_inspection_rows(
    session: Session, inspection_id: uuid.UUID, viewer: Principal, *, created_without_photos: bool = False
) -> dict[str, Any]:
    """One inspection as ``viewer`` sees it, JSON-ready (what ``InspectionSchema`` dumps of
    ``presenter.present_inspection``), in three statements: its columns, site and collections; its photo
    links; its amendments. For answers right after a commit, which expires every attribute and collection of
    the ORM object: reading them back through the ORM took six statements and a marshmallow pass.

    ``created_without_photos``: the inspection was created by this request with no photo link, so it has no
    links and no amendments (a reviewer amends a submitted inspection later): one statement. The rest is still
    read back rather than built from the request: it is the database's rendering GET shows (JSONB key order,
    the collation's item order, timestamps in the session's time zone), which a copy could only imitate."""
    row = session.execute(_one_inspection(), {"inspection_id": inspection_id}).one()
    rows = _PageRows(session, [inspection_id], {inspection_id: row}, without_links_or_amendments=created_without_photos)
    flags = _Flags(session, viewer, rows.links.get(inspection_id, []))
    return _item(row, rows, flags)
