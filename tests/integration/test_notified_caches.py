"""Reference data kept per process for the create-and-submit request is read once, and forgotten on
every process as soon as a change commits: the penalty rules and merged settings (NOTIFY lantian_reference,
migration 0033; app/reference_cache.py) and the checklist versions a PUT names (NOTIFY
lantian_checklists, migration 0024; app/checklists/versions.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import psycopg.sql
import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.alerts.in_force import cached_alert_records
from app.alerts.models import Alert
from app.change_notices import ChangeListener
from app.checklists.hash_cache import CHANNEL as CHECKLIST_CHANNEL
from app.checklists.models import ChecklistParameterValue, ChecklistVersion
from app.checklists.parameters import checklist_parameters_for
from app.checklists.versions import named_checklist_version
from app.extensions import db
from app.jurisdictions.models import Jurisdiction
from app.notified_cache import NotifiedCache
from app.penalties.catalogue import stored_rules, sync_penalty_rules
from app.penalties.models import JurisdictionPenaltySettings, PenaltyRuleVersion
from app.penalties.rules import DEFAULT_RULES_DIR
from app.penalties.settings import effective_penalty_settings
from app.reference_cache import CHANNEL
from tests.factories import make_user


@pytest.fixture()
def cache(database_url: str) -> NotifiedCache:
    listener = ChangeListener(database_url.replace("postgresql+psycopg://", "postgresql://"))
    penalties = NotifiedCache(CHANNEL, ttl=60, listener=listener)
    assert listener.wait_listening(10)
    return penalties


def _statements_during(fn: Callable[[], Any]) -> int:
    count = 0

    def counter(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def _kept_within(seconds: float, read: Callable[[], Any]) -> bool:
    """A read made once the notifications of earlier commits have arrived is kept: the next costs nothing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        read()
        if _statements_during(read) == 0:
            return True
        time.sleep(0.02)
    return False


def _forgotten_within(seconds: float, cache: NotifiedCache, key: tuple[str, ...]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cache.get(key) is None:
            return True
        time.sleep(0.02)
    return False


def test_settings_are_read_once_and_a_change_is_seen_by_the_next_read(
    app_ctx, session: Session, tree, cache: NotifiedCache
) -> None:
    chain = ["410000", "410800", "410811"]
    assert effective_penalty_settings(session, chain, cache).policy == {}
    assert _kept_within(2.0, lambda: effective_penalty_settings(session, chain, cache))
    session.commit()
    # An administrator elsewhere sets the city's policy: only the database is shared.
    with Session(db.engine) as admin:
        city = admin.scalar(select(Jurisdiction).where(Jurisdiction.code == "410800"))
        assert city is not None
        admin.add(JurisdictionPenaltySettings(jurisdiction_id=city.id, policy={"some_choice": "b"}, updated_by="t"))
        admin.commit()
    assert _forgotten_within(2.0, cache, ("settings", *chain)), "the notification did not reach the cache (TTL 60 s)"
    assert effective_penalty_settings(session, chain, cache).policy == {"some_choice": "b"}


def test_rules_are_parsed_once_and_a_sync_is_seen_by_the_next_read(app_ctx, session: Session, cache: NotifiedCache):  # noqa: ANN201
    sync_penalty_rules(session, DEFAULT_RULES_DIR)
    session.commit()
    assert _kept_within(2.0, lambda: stored_rules(session, cache))  # after the sync's own notification
    first = stored_rules(session, cache)
    assert stored_rules(session, cache) is first
    with Session(db.engine) as admin:  # a rule version stops being current
        admin.execute(
            update(PenaltyRuleVersion).where(PenaltyRuleVersion.id == first[0].row_id).values(is_current=False)
        )
        admin.commit()
    assert _forgotten_within(2.0, cache, ("stored_rules",))
    assert first[0].row_id not in {r.row_id for r in stored_rules(session, cache)}


def test_without_its_listener_the_cache_keeps_nothing(app_ctx, session: Session, tree) -> None:
    listener = ChangeListener("postgresql://nobody@127.0.0.1:1/none")  # never connects
    lost = NotifiedCache(CHANNEL, ttl=60, listener=listener)
    chain = ["410000"]
    effective_penalty_settings(session, chain, lost)
    assert _statements_during(lambda: effective_penalty_settings(session, chain, lost)) == 1


def test_a_named_checklist_version_is_read_once_and_forgotten_when_the_catalogue_changes(
    app_ctx, session: Session, database_url: str
) -> None:
    from tests.factories_catalogue import install_shipped_checklists

    listener = ChangeListener(database_url.replace("postgresql+psycopg://", "postgresql://"))
    versions = NotifiedCache(CHECKLIST_CHANNEL, ttl=60, listener=listener)
    assert listener.wait_listening(10)
    install_shipped_checklists(session)
    session.commit()
    row = session.scalars(select(ChecklistVersion).where(ChecklistVersion.is_current.is_(True))).first()
    assert row is not None
    key, version, row_id = row.key, row.version, row.id

    def read() -> ChecklistVersion | None:
        return named_checklist_version(session, key, version, None, versions)

    assert _kept_within(2.0, read)
    session.expunge_all()  # the next request's session: a persistent copy, attributes loaded, no round trip
    kept = read()
    assert kept is not None and kept in session and kept.id == row_id and kept.content["items"]
    # The catalogue sync makes another version current: the trigger notifies, every process forgets it.
    session.execute(update(ChecklistVersion).where(ChecklistVersion.id == row_id).values(is_current=False))
    session.commit()
    assert _forgotten_within(2.0, versions, ("named", key, version, None))
    session.expunge_all()
    again = read()
    assert again is not None and again.is_current is False


def test_checklist_parameters_are_read_once_and_a_jurisdictions_new_value_is_seen(
    app_ctx, session: Session, tree, cache: NotifiedCache
) -> None:
    chain = ["410000", "410800", "410811"]

    def read() -> dict[str, Any]:
        return checklist_parameters_for(session, chain, "some_checklist", cache)

    assert read() == {}
    assert _kept_within(2.0, read)
    with Session(db.engine) as admin:  # the city sets a parameter elsewhere
        city = admin.scalar(select(Jurisdiction).where(Jurisdiction.code == "410800"))
        assert city is not None
        admin.add(ChecklistParameterValue(jurisdiction_id=city.id, checklist_key="some_checklist", name="n", value=3))
        admin.commit()
    assert _forgotten_within(2.0, cache, ("parameters", "some_checklist", *chain))
    assert read() == {"n": 3}


def test_alert_declarations_are_read_once_and_a_new_declaration_is_seen(
    app_ctx, session: Session, tree, cache: NotifiedCache
) -> None:
    chain = ["410000", "410800", "410811"]
    admin_user = make_user(session, "alert.admin", "admin", ["410800"])
    session.commit()

    def read() -> list[Any]:
        return cached_alert_records(session, chain, cache)

    assert read() == []
    assert _kept_within(2.0, read)
    with Session(db.engine) as admin:  # the city declares an alert elsewhere
        city = admin.scalar(select(Jurisdiction).where(Jurisdiction.code == "410800"))
        assert city is not None
        admin.add(
            Alert(
                jurisdiction_id=city.id,
                level="orange",
                starts_at=datetime(2026, 12, 1, tzinfo=UTC),
                issuer="焦作市重污染天气应急指挥部",
                doc_ref="焦重污染〔2026〕1号",
                created_by_id=admin_user.id,
            )
        )
        admin.commit()
    assert _forgotten_within(2.0, cache, ("alerts", *chain))
    assert [(r.jurisdiction_code, r.level) for r in read()] == [("410800", "orange")]


@pytest.mark.parametrize(
    "table",
    [
        "penalty_rule_versions",
        "jurisdiction_penalty_settings",
        "checklist_parameter_values",
        "jurisdictions",
        "sites",
        "site_zones",
        "zones",
        "alerts",
        "reduction_lists",
        "reduction_entries",
        "reduction_measures",
    ],
)
def test_a_write_to_any_table_the_reference_cache_reads_empties_it(
    app_ctx, owner_database_url: str, cache: NotifiedCache, table: str
) -> None:
    cache.put(("zones", 1), (), cache.generation())
    assert cache.get(("zones", 1)) == ()
    # Statement-level triggers (migration 0033): even a statement that changes no row notifies.
    with psycopg.connect(owner_database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DELETE FROM {} WHERE false").format(psycopg.sql.Identifier(table)))
    assert _forgotten_within(2.0, cache, ("zones", 1))
