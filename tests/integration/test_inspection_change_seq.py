"""The sync feed's classic gap: sequence values committed out of order (feed.bump_change)."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.inspections.feed import bump_change
from app.inspections.models import Inspection
from tests.factories_inspections import make_world, new_id, put, put_body


def _visible_seqs(after: int) -> list[tuple[str, int]]:
    with Session(db.engine) as reader:
        return [
            (str(i), s)
            for i, s in reader.execute(
                select(Inspection.id, Inspection.change_seq)
                .where(Inspection.change_seq > after)
                .order_by(Inspection.change_seq)
            )
        ]


def test_a_later_change_cannot_commit_before_an_earlier_seq(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    first, second = new_id(), new_id()
    for iid in (first, second):
        put(client, world.headers["insp_a"], iid, put_body(world))
    baseline = max(s for _, s in _visible_seqs(0))

    engine = db.engine  # the writer thread has no app context
    t1 = Session(engine)
    one = t1.get(Inspection, uuid.UUID(first))
    bump_change(t1, one)  # T1 holds seq N, not committed yet
    seq_one = one.change_seq

    done = threading.Event()
    result: dict[str, int] = {}

    def writer() -> None:
        with Session(engine) as t2:
            two = t2.get(Inspection, uuid.UUID(second))
            bump_change(t2, two)  # must wait for T1's commit
            result["seq"] = two.change_seq
            t2.commit()
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert not done.wait(0.5), "T2 took a change_seq while T1 was still in flight"
        assert _visible_seqs(baseline) == []  # a phone reading now sees nothing new, not N+1 without N
        t1.commit()
        assert done.wait(10)
    finally:
        t1.close()
        thread.join(10)
    assert result["seq"] > seq_one
    assert _visible_seqs(baseline) == [(first, seq_one), (second, result["seq"])]
