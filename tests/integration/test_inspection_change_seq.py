"""The sync feed's classic gap — positions committed out of order — without serialising writers (feed module)."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.extensions import db
from app.inspections.feed import START, bump_change, decode_cursor, inspection_feed
from app.inspections.models import Inspection
from app.inspections.settings import Settings
from tests.factories_inspections import make_world, new_id, put, put_body


def _read_feed(principal, cursor: str | None) -> tuple[list[str], str]:  # noqa: ANN001
    """Everything the feed hands out after ``cursor``, page by page, as a phone would read it."""
    seen: list[str] = []
    with Session(db.engine) as reader:
        while True:
            page = inspection_feed(reader, principal, cursor, 50, Settings())
            seen += [str(i.id) for i in page.inspections]
            cursor = page.next_cursor
            if not page.has_more:
                return seen, cursor


def test_a_change_committed_after_a_later_one_is_not_skipped_and_writers_do_not_wait(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    first, second = new_id(), new_id()
    for iid in (first, second):
        put(client, world.headers["insp_a"], iid, put_body(world))
    principal = Principal(world.supervisor, "sup_sy", "supervisor", ("/410000/410800/410811/",))
    _, cursor = _read_feed(principal, None)

    engine = db.engine  # the writer thread has no app context
    t1 = Session(engine)
    one = t1.get(Inspection, uuid.UUID(first))
    assert one is not None
    bump_change(t1, one)  # T1 holds a position, not committed yet

    done = threading.Event()

    def writer() -> None:
        with Session(engine) as t2:
            two = t2.get(Inspection, uuid.UUID(second))
            assert two is not None
            bump_change(t2, two)
            t2.commit()
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert done.wait(10), "T2 waited for T1: unrelated inspection writes must not serialise"
        seen, cursor_during = _read_feed(principal, cursor)
        # Whatever the feed hands out while T1 is open, T1's change must still come after that cursor.
        t1.commit()
    finally:
        t1.close()
        thread.join(10)
    seen_after, _ = _read_feed(principal, cursor_during)
    assert sorted(seen + seen_after) == sorted([first, second])
    assert first in seen_after  # T1 committed last: after every cursor handed out while it ran


def test_no_change_is_lost_under_many_parallel_writers(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    ids = [new_id() for _ in range(12)]
    for iid in ids:
        put(client, world.headers["insp_a"], iid, put_body(world))
    principal = Principal(world.supervisor, "sup_sy", "supervisor", ("/410000/410800/410811/",))
    _, cursor = _read_feed(principal, None)
    engine = db.engine
    rounds = 15
    last_seq: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()
    delivered: list[tuple[str, int]] = []

    def writer(my_ids: list[str]) -> None:
        for _ in range(rounds):
            for iid in my_ids:
                with Session(engine) as tx:
                    row = tx.get(Inspection, uuid.UUID(iid))
                    assert row is not None
                    bump_change(tx, row)
                    seq = row.change_seq
                    tx.commit()
                with lock:
                    last_seq[iid] = seq

    def reader() -> None:
        nonlocal cursor
        with Session(engine) as tx:
            while not stop.is_set():
                page = inspection_feed(tx, principal, cursor, 7, Settings())
                delivered.extend((str(i.id), i.change_seq) for i in page.inspections)
                positions = [(int(i.change_xid), i.change_seq) for i in page.inspections]
                assert positions == sorted(positions)
                assert all(p > (decode_cursor(cursor).xid, decode_cursor(cursor).seq) for p in positions)
                cursor = page.next_cursor
                tx.rollback()  # a fresh snapshot per page, as separate requests have

    writers = [threading.Thread(target=writer, args=(ids[i::4],)) for i in range(4)]
    reading = threading.Thread(target=reader)
    reading.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    stop.set()
    reading.join(30)
    rest, _ = _read_feed(principal, cursor)
    final_seen = dict(delivered)
    with Session(engine) as tx:
        for iid in rest:
            row = tx.get(Inspection, uuid.UUID(iid))
            assert row is not None
            final_seen[iid] = row.change_seq
    # Every inspection's last change reached the phone: a change committed behind a cursor would be missing.
    assert final_seen == last_seq
    assert decode_cursor(cursor) != START
