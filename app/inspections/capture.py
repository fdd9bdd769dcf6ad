"""Capture: the phone's idempotent PUT of a draft inspection, with the site, checklist version, officers and
earlier inspection it names resolved (every problem listed at once)."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import TextClause, TextualSelect, bindparam, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, class_mapper, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app.alerts.measures import is_alert_item_key
from app.audit.services import record_audit
from app.auth.models import User
from app.auth.principal import Principal
from app.checklists.groups import group_errors, item_doc
from app.checklists.models import ChecklistVersion
from app.checklists.versions import named_checklist_version
from app.db import Base
from app.errors import FieldError, Forbidden, ValidationFailed
from app.geo.crs import to_wgs84
from app.inspections import rules
from app.inspections.access import can_see, inspection_not_found, is_participant, load_for_update
from app.inspections.evidence import refresh_link_flags
from app.inspections.feed import bump_change
from app.inspections.models import (
    CHANGE_SEQ,
    Finding,
    Inspection,
    InspectionAnswer,
    InspectionOfficer,
    InspectionPhotoLink,
)
from app.inspections.settings import Settings
from app.inspections.versions import ShowCurrent, stale_version
from app.notified_cache import NotifiedCache
from app.photos.access import get_visible_photo
from app.photos.evidence_links import EvidenceLinks
from app.photos.models import Photo
from app.sites.models import Site
from app.vocabulary import SUPERVISING_ROLES


@dataclass(frozen=True)
class PutResult:
    inspection: Inspection
    created: bool
    # Created by this request without a photo link (so without links and amendments): the one-request
    # create-and-submit's own path (app/inspections/put_and_submit.py).
    created_without_photos: bool = False


@dataclass(frozen=True)
class _Refs:
    site: Site
    checklist: ChecklistVersion
    officers: list[User]
    reinspection_of: Inspection | None = None


#: States of an earlier inspection that a re-inspection may refer to (its findings are on record).
REINSPECTABLE_STATES = ("submitted", "approved")


def _reinspection_errors(
    session: Session, principal: Principal, payload: dict[str, Any], site: Site | None, inspection_id: uuid.UUID | None
) -> tuple[Inspection | None, list[FieldError]]:
    """The earlier inspection named by ``reinspection_of``, or the reasons it cannot be used.

    In scope = the earlier inspection's site lies in the caller's jurisdictions (a re-inspection is often
    made by another team than the first visit); anything else reads as "not found" (no existence leak).
    """
    earlier_id = payload.get("reinspection_of")
    if earlier_id is None:
        return None, []
    path = "reinspection_of"
    if earlier_id == inspection_id:
        return None, [
            FieldError(
                path, "reinspection_of_self", "检查不能复查其自身", "an inspection cannot be a re-inspection of itself"
            )
        ]
    earlier = session.get(Inspection, earlier_id)
    if earlier is None or not principal.covers(earlier.site.jurisdiction.path):
        return None, [
            FieldError(
                path,
                "reinspection_not_found",
                "被复查的检查不存在或不在您的辖区内",
                "the inspection to re-inspect was not found in your jurisdictions",
            )
        ]
    errors = []
    if site is not None and earlier.site_id != site.id:
        errors.append(
            FieldError(
                path, "reinspection_other_site", "复查须针对同一场所", "a re-inspection must be of the same site"
            )
        )
    if earlier.state not in REINSPECTABLE_STATES:
        errors.append(
            FieldError(
                path,
                "reinspection_not_submitted",
                "被复查的检查须已提交或已审核",
                "the inspection to re-inspect must be submitted or approved",
            )
        )
    return earlier, errors


def _named_checklist_version(
    session: Session, payload: dict[str, Any], site: Site | None, checklists: NotifiedCache | None
) -> tuple[ChecklistVersion | None, list[FieldError]]:
    """The checklist version a PUT names, or why it does not fit the site or the answers sent."""
    errors: list[FieldError] = []
    key = payload["checklist_key"]
    checklist = named_checklist_version(
        session, key, payload.get("checklist_version"), payload.get("checklist_hash"), checklists
    )
    if checklist is None:
        errors.append(
            FieldError(
                "checklist_version",
                "checklist_not_found",
                f"检查表 {key} 的该版本不存在",
                f"checklist {key} has no such version",
            )
        )
    elif site is not None and site.kind not in (checklist.site_kinds or []):
        errors.append(
            FieldError(
                "checklist_key",
                "checklist_not_for_site_kind",
                f"检查表 {key} 不适用于场所类别 {site.kind}",
                f"checklist {key} does not cover site kind {site.kind}",
            )
        )
    if checklist is not None:
        item_keys = {i["key"] for i in checklist.content.get("items", [])}
        for answer_key in payload.get("answers", {}):
            # Items generated from the site's reduction-list measures are answered like the checklist's own; a
            # repeatable group's items per object as ``<group>.<index>.<item>`` (app/checklists/groups.py).
            if (
                answer_key not in item_keys
                and not is_alert_item_key(answer_key)
                and item_doc(checklist.content, answer_key) is None
            ):
                errors.append(
                    FieldError(
                        f"answers.{answer_key}",
                        "unknown_item",
                        f"检查表中没有此检查项：{answer_key}",
                        f"the checklist has no item {answer_key}",
                    )
                )
        # A draft may have fewer objects than a group's ``min`` (checked at submission), never more than ``max``.
        errors += [e for e in group_errors(checklist.content, payload.get("answers", {})) if e.code == "group_max"]
    return checklist, errors


def _resolve_officers(
    session: Session, refs: list[dict[str, Any]], site: Site | None
) -> tuple[list[User], list[FieldError]]:
    """The officers a PUT names (by user id or badge number), in order, or why each cannot be named."""
    officers: list[User] = []
    errors: list[FieldError] = []
    # Every officer named, by id or by badge number, with their jurisdictions, in one statement (was two per
    # officer).
    ids = [ref["user_id"] for ref in refs if ref["user_id"] is not None]
    badges = [ref["badge_number"] for ref in refs if ref["user_id"] is None]
    found = (
        list(
            session.scalars(
                select(User)
                .where(or_(User.id.in_(ids), User.badge_number.in_(badges)))
                .options(joinedload(User.jurisdictions))
            ).unique()
        )
        if refs
        else []
    )
    by_id = {u.id: u for u in found}
    by_badge = {u.badge_number: u for u in sorted(found, key=lambda u: u.id, reverse=True) if u.badge_number}
    for i, ref in enumerate(refs):
        user = by_id.get(ref["user_id"]) if ref["user_id"] is not None else by_badge.get(ref["badge_number"])
        if user is None or not user.is_active:
            what = ref["user_id"] if ref["user_id"] is not None else ref["badge_number"]
            errors.append(
                FieldError(
                    f"officers.{i}",
                    "officer_not_found",
                    f"执法人员不存在：{what}",
                    f"no such enforcement officer: {what}",
                )
            )
        elif user in officers:
            errors.append(FieldError(f"officers.{i}", "officer_duplicate", "执法人员重复", "officer listed twice"))
        elif site is not None and not any(site.jurisdiction.path.startswith(j.path) for j in user.jurisdictions):
            # Naming an officer grants them the inspection and its evidence: only officers with
            # jurisdiction over the site may be named.
            errors.append(
                FieldError(
                    f"officers.{i}",
                    "officer_out_of_jurisdiction",
                    f"执法人员 {user.display_name or user.username} 对该场所无管辖权",
                    f"officer {user.username} has no jurisdiction over this site",
                )
            )
        else:
            officers.append(user)
    return officers, errors


def _resolve_refs(
    session: Session,
    principal: Principal,
    payload: dict[str, Any],
    settings: Settings,
    inspection_id: uuid.UUID | None = None,
    checklists: NotifiedCache | None = None,
) -> _Refs:
    """Site, checklist version and officers named by a PUT; every problem listed at once (422)."""
    errors: list[FieldError] = []
    site = session.get(Site, payload["site_id"])
    if site is None or not principal.covers(site.jurisdiction.path):
        errors.append(
            FieldError(
                "site_id", "site_not_found", "场所不存在或不在您的辖区内", "site not found in your jurisdictions"
            )
        )
    checklist, checklist_errors = _named_checklist_version(session, payload, site, checklists)
    errors += checklist_errors
    officers, officer_errors = _resolve_officers(session, payload["officers"], site)
    errors += officer_errors
    if not errors:
        errors += rules.officer_errors(len(officers), settings.min_officers)
    if payload.get("ended_at") is not None:
        errors += [
            e for e in rules.window_errors(payload["started_at"], payload["ended_at"]) if e.code == "ends_before_start"
        ]
    errors += rules.future_time_errors(
        payload.get("started_at"), payload.get("ended_at"), datetime.now(UTC), settings.clock_skew
    )
    earlier, reinspection_errors = _reinspection_errors(session, principal, payload, site, inspection_id)
    errors += reinspection_errors
    if errors:
        raise ValidationFailed(
            "检查记录有字段未通过校验，详见 errors。", "Some fields are invalid; see errors.", errors=errors
        )
    assert site is not None and checklist is not None
    return _Refs(site, checklist, officers, earlier)


@dataclass(frozen=True)
class _Position:
    """Where the phone was: a WGS84 point, its accuracy, and the CRS the phone sent it in."""

    point: WKBElement | None = None
    accuracy_m: float | None = None
    crs_sent: str | None = None


def _position(payload: dict[str, Any]) -> _Position:
    loc = payload.get("location")
    if not loc:
        return _Position()
    crs = loc.get("crs") or "wgs84"
    lon, lat = to_wgs84(loc["lon"], loc["lat"], crs)
    return _Position(from_shape(Point(lon, lat), srid=4326), loc.get("accuracy_m"), crs)


def _apply_put(inspection: Inspection, payload: dict[str, Any], refs: _Refs) -> None:
    """Copy a PUT body onto the inspection."""
    inspection.site_id = refs.site.id
    inspection.site = refs.site
    inspection.checklist_version_id = refs.checklist.id
    inspection.checklist_key = refs.checklist.key
    inspection.checklist_version = refs.checklist.version
    inspection.checklist_hash = refs.checklist.content_hash
    inspection.started_at = payload["started_at"]
    inspection.ended_at = payload.get("ended_at")
    position = _position(payload)
    inspection.location, inspection.location_accuracy_m = position.point, position.accuracy_m
    inspection.location_crs = position.crs_sent
    inspection.alert_level = payload.get("alert_level") or "none"
    inspection.note = payload.get("note")
    inspection.reinspection_of_id = refs.reinspection_of.id if refs.reinspection_of is not None else None

    _apply_officers(inspection, refs.officers)
    _apply_answers(inspection, payload.get("answers", {}))


def _apply_officers(inspection: Inspection, officers: list[User]) -> None:
    """All officers are recorded, in the order sent (行政处罚法第四十二条: at least two officers)."""
    wanted = [(u.id, u.badge_number, u.display_name or u.username) for u in officers]
    current = {o.user_id: o for o in inspection.officers}
    inspection.officers[:] = [current.get(uid) or InspectionOfficer(user_id=uid) for uid, _, _ in wanted]
    for pos, (officer, (_, badge, name)) in enumerate(zip(inspection.officers, wanted, strict=True)):
        officer.position, officer.badge_number, officer.name = pos, badge, name


def _apply_answers(inspection: Inspection, answers: dict[str, dict[str, Any]]) -> None:
    """The answer set is replaced as sent (the If-Match proves the phone saw the current one; the audit
    entry keeps the previous set). Photo links are merged, never dropped (rules.merge_photo_links)."""
    by_key = {a.item_key: a for a in inspection.answers}
    new_answers = []
    for key in sorted(answers):
        data = {k: v for k, v in answers[key].items() if k != "photos" and v is not None}
        row = by_key.get(key) or InspectionAnswer(item_key=key)
        row.data = data
        row.phone_verdict = data.get("verdict")
        new_answers.append(row)
    inspection.answers[:] = new_answers

    existing: dict[str, list[str]] = {}
    for lk in inspection.photo_links:
        existing.setdefault(lk.item_key, []).append(str(lk.photo_id))
    sent = {k: [str(p) for p in a.get("photos") or []] for k, a in answers.items()}
    merged = rules.merge_photo_links(existing, sent)
    links = {(lk.item_key, str(lk.photo_id)): lk for lk in inspection.photo_links}
    for key, pids in merged.items():
        for pos, pid in enumerate(pids):
            link = links.get((key, pid))
            if link is None:
                link = InspectionPhotoLink(item_key=key, photo_id=uuid.UUID(pid), position=pos)
                inspection.photo_links.append(link)
            link.position = pos


def _refuse_unviewable_photos(
    session: Session,
    principal: Principal,
    inspection: Inspection | None,
    payload: dict[str, Any],
    evidence: EvidenceLinks,
) -> None:
    """Refuse a new link to an existing photo the caller may not view, with the photo endpoint's own 404.

    A link reveals the photo's evidence flags (GPS, capture time, editing history, other inspections using
    it), so linking must not be a way around ``GET /photos/{id}``. Links to ids no photo has yet stay
    allowed (the phone uploads photos after the inspection); links already on the inspection are not
    re-judged (the merge rule never drops them, and a replayed body must not start failing).
    """
    linked = {lk.photo_id for lk in inspection.photo_links} if inspection is not None else set()
    sent = {uuid.UUID(str(pid)) for answer in payload.get("answers", {}).values() for pid in answer.get("photos") or []}
    new = sorted(sent - linked)
    if not new:
        return
    for photo_id in session.scalars(select(Photo.id).where(Photo.id.in_(new)).order_by(Photo.id)):
        get_visible_photo(session, principal, photo_id, evidence)  # NotFound (404) when not viewable


def _audit_after(inspection: Inspection) -> dict[str, Any]:
    return {
        "state": inspection.state,
        "version": inspection.version,
        "site_id": inspection.site_id,
        "checklist": [inspection.checklist_key, inspection.checklist_version],
        "officers": [o.user_id for o in inspection.officers],
        "answers": {a.item_key: a.data for a in inspection.answers},
        "photos": [[lk.item_key, str(lk.photo_id)] for lk in inspection.photo_links],
        "reinspection_of": str(inspection.reinspection_of_id) if inspection.reinspection_of_id else None,
    }


def put_inspection(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    payload: dict[str, Any],
    if_match: str | None,
    settings: Settings,
    show_current: ShowCurrent,
    evidence: EvidenceLinks,
    checklists: NotifiedCache | None = None,
) -> PutResult:
    """Create or update a draft (or returned) inspection from the phone; idempotent.

    - unknown id: created (no If-Match needed); a concurrent create of the same id waits on the primary key
      (``INSERT … ON CONFLICT DO NOTHING``) and then takes the existing-row path under ``FOR UPDATE``;
    - the same body as the last successful PUT (hash match): 200 with the current state, whatever If-Match
      says — a retry whose response was lost must not become a 412 or a second change;
    - otherwise an update: If-Match required (428), must name the current version (412 + current state,
      shown by ``show_current``), the state must be draft or returned (409);
    - a new link to an existing photo the caller may not view (``evidence``: the photos feature's view
      grant) is the photo endpoint's 404, nothing else said.
    """
    inspection = load_for_update(session, inspection_id)
    return put_locked(
        session, principal, inspection_id, inspection, payload, if_match, settings, show_current, evidence, checklists
    )


def put_locked(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    inspection: Inspection | None,
    payload: dict[str, Any],
    if_match: str | None,
    settings: Settings,
    show_current: ShowCurrent,
    evidence: EvidenceLinks,
    checklists: NotifiedCache | None = None,
) -> PutResult:
    """``put_inspection`` for the row this transaction has just looked for under ``FOR UPDATE`` (None: no such
    row yet)."""
    body_hash = rules.canonical_hash(payload)
    if inspection is None:
        inspection, created = _create(
            session, principal, inspection_id, payload, body_hash, settings, evidence, checklists
        )
        if created:
            return PutResult(inspection, True)

    if not is_participant(principal, inspection):
        if (
            inspection.state == rules.SUBMITTED
            and principal.role in SUPERVISING_ROLES
            and can_see(principal, inspection)
        ):
            # A reviewer sees the inspection under review but corrects it through an amendment, never by
            # rewriting the inspector's record (amendments.amend_inspection). Drafts stay the officers' alone.
            raise Forbidden(
                "审核人员不能直接修改检查记录；请通过 POST /api/v1/inspections/{id}/amendments 逐项修改并说明理由。",
                "A reviewer does not rewrite the inspector's record; amend an item with a reason through "
                "POST /api/v1/inspections/{id}/amendments.",
                code="amend_instead",
            )
        raise inspection_not_found()
    if body_hash == inspection.last_put_hash:
        return PutResult(inspection, False)  # replay of the last successful PUT: same result, no change
    sent_version = rules.require_if_match(if_match)
    if sent_version != inspection.version:
        raise stale_version(inspection, sent_version, show_current)
    rules.next_state("edit", inspection.state)
    refs = _resolve_refs(session, principal, payload, settings, inspection_id, checklists)
    _refuse_unviewable_photos(session, principal, inspection, payload, evidence)
    before = _audit_after(inspection)
    _apply_put(inspection, payload, refs)
    inspection.version += 1
    inspection.last_put_hash = body_hash
    inspection.last_put_version = inspection.version
    session.flush()
    refresh_link_flags(session, inspection, settings=settings)
    record_audit(
        session, "inspection.update", "inspection", inspection.id, before=before, after=_audit_after(inspection)
    )
    bump_change(session, inspection)
    return PutResult(inspection, False)


def _just_inserted(session: Session, inspection_id: uuid.UUID, refs: _Refs) -> Inspection:
    """The row this transaction has just inserted (so locked by it already): its columns in one SELECT, its
    collections known to be empty instead of read, its site and checklist the ones just resolved (six
    statements fewer per create; the session's identity map holds objects weakly, so without these
    references the checklist would be read again at submission)."""
    inspection = session.scalars(select(Inspection).where(Inspection.id == inspection_id).options(lazyload("*"))).one()
    for collection in ("officers", "answers", "photo_links", "findings", "amendments"):
        set_committed_value(inspection, collection, [])
    set_committed_value(inspection, "site", refs.site)
    set_committed_value(inspection, "checklist", refs.checklist)
    return inspection


def _create(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    payload: dict[str, Any],
    body_hash: str,
    settings: Settings,
    evidence: EvidenceLinks,
    checklists: NotifiedCache | None = None,
) -> tuple[Inspection, bool]:
    """Insert the inspection unless a concurrent PUT did; the row, locked, and whether this call created it."""
    refs = _resolve_refs(session, principal, payload, settings, inspection_id, checklists)
    _refuse_unviewable_photos(session, principal, None, payload, evidence)
    inserted = session.execute(
        pg_insert(Inspection)
        .values(
            id=inspection_id,
            site_id=refs.site.id,
            checklist_version_id=refs.checklist.id,
            checklist_key=refs.checklist.key,
            checklist_version=refs.checklist.version,
            checklist_hash=refs.checklist.content_hash,
            state=rules.DRAFT,
            version=1,
            change_seq=CHANGE_SEQ.next_value(),
            created_by_id=principal.user_id,
            started_at=payload["started_at"],
            last_put_hash=body_hash,
            last_put_version=1,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Inspection.id)
    ).scalar()
    if inserted is None:
        inspection = load_for_update(session, inspection_id)
        assert inspection is not None
        return inspection, False
    inspection = _just_inserted(session, inspection_id, refs)
    _apply_put(inspection, payload, refs)
    session.flush()
    refresh_link_flags(session, inspection, settings=settings)
    record_audit(session, "inspection.create", "inspection", inspection.id, after=_audit_after(inspection))
    bump_change(session, inspection)
    return inspection, True


def new_draft(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    payload: dict[str, Any],
    settings: Settings,
    evidence: EvidenceLinks,
    checklists: NotifiedCache | None = None,
) -> Inspection:
    """The draft a PUT of an unknown id creates, built in memory only (in no session: nothing is written, and
    its collections are known to be empty instead of read). The same checks as the PUT's create: every problem
    with the named site, checklist, officers and earlier inspection at once (422), unviewable photos (404)."""
    refs = _resolve_refs(session, principal, payload, settings, inspection_id, checklists)
    _refuse_unviewable_photos(session, principal, None, payload, evidence)
    inspection = Inspection(
        id=inspection_id,
        state=rules.DRAFT,
        version=1,
        created_by_id=principal.user_id,
        last_put_hash=rules.canonical_hash(payload),
        last_put_version=1,
        submission_count=0,
        findings_revision=0,
        checklist=refs.checklist,
    )
    _apply_put(inspection, payload, refs)
    return inspection


def created_audit_after(inspection: Inspection) -> dict[str, Any]:
    """What the ``inspection.create`` audit row records of a new draft."""
    return _audit_after(inspection)


def _column_values(row: object) -> dict[str, Any]:
    """The column attributes set on a row built in memory (an unset one takes the table's default)."""
    return {a.key: row.__dict__[a.key] for a in class_mapper(type(row)).column_attrs if a.key in row.__dict__}


@functools.cache
def _insert_new_inspection(columns: tuple[str, ...]) -> TextualSelect:
    """``INSERT … ON CONFLICT (id) DO NOTHING RETURNING …`` of these columns, with the feed position, as text
    with typed parameters: SQLAlchemy caches the compilation of a text statement, never of the PostgreSQL
    ``insert()`` (its class opts out of the statement cache: compiled anew on every request)."""
    table = Inspection.__table__
    returned = [table.c[c] for c in ("created_at", "updated_at", "change_seq", "change_xid")]
    return (
        text(
            f"INSERT INTO inspections ({', '.join(columns)}, change_seq, change_xid)"
            f" VALUES ({', '.join(':' + c for c in columns)}, nextval('{CHANGE_SEQ.name}'), pg_current_xact_id())"
            f" ON CONFLICT (id) DO NOTHING RETURNING {', '.join(c.name for c in returned)}"
        )
        .bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))
        .columns(*returned)
    )


def insert_new(session: Session, inspection: Inspection) -> bool:
    """Write an inspection built in memory (``new_draft``, perhaps submitted since) with its officers, answers,
    photo links and findings: one INSERT per table, its feed position taken in the inspection's own INSERT
    (app/inspections/feed.py: this transaction's id and a new sequence value). False, with nothing written,
    when a concurrent request created the id first (the INSERT waits for it on the primary key).

    The evidence guards of migration 0033 let a row created in this very transaction be inserted submitted,
    its answers and officers after it."""
    values = _column_values(inspection)
    written = session.connection().execute(_insert_new_inspection(tuple(values)), values).first()
    if written is None:
        return False
    inspection.created_at, inspection.updated_at, inspection.change_seq, inspection.change_xid = written
    children: list[tuple[type[Any], list[Any]]] = [
        (InspectionOfficer, list(inspection.officers)),
        (InspectionAnswer, list(inspection.answers)),
        (InspectionPhotoLink, list(inspection.photo_links)),
        (Finding, list(inspection.findings)),
    ]
    connection = session.connection()
    for model, rows in children:
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            values = {**_column_values(row), "inspection_id": inspection.id}
            by_columns.setdefault(tuple(sorted(values)), []).append(values)
        for columns, same in by_columns.items():
            connection.execute(_insert_rows(model.__table__.name, columns), {"rows": json.dumps(same, default=_json)})
    return True


def _json(value: object) -> str:
    if isinstance(value, uuid.UUID | datetime):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a column value this insert knows")


@functools.cache
def _insert_rows(table_name: str, columns: tuple[str, ...]) -> TextClause:
    """``INSERT … SELECT … FROM jsonb_to_recordset(:rows)``: every row of a table in one statement with one
    parameter. The server runs one statement (statement-level triggers fire once, not once per row as an
    executemany makes them), and its text is the same whatever the number of rows, so psycopg converts it once
    and PostgreSQL prepares it; a multi-row ``VALUES`` of a submission's findings has more parameters than psycopg
    keeps converted (50) and was parsed anew on every request. A JSON null is SQL NULL, as the models' JSONB
    columns store None."""
    table = Base.metadata.tables[table_name]
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    types = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
    names = ", ".join(quote(c) for c in columns)
    return text(
        f"INSERT INTO {table_name} ({names}) SELECT {names} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({types})"
    )
