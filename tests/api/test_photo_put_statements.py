"""A photo PUT reads nothing its own data already gives: the new row comes back from its
INSERT (RETURNING), so no statement reads the photo between the INSERT and the COMMIT; and the image checks
still refuse a JPEG cut short while nothing of it is kept."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.photos.models import Photo
from app.photos.storage import FilesystemPhotoStore, ReceivedOriginal, StoredOriginal
from app.wiring import wiring
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_photos import (
    new_id,
    photo_bytes,
    put_photo,
    sha256_hex,
    stored_originals,
    temporary_photo_store,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


@pytest.fixture()
def inspector(client, session, tree):  # noqa: ANN001, ANN201
    make_user(session, "li.si", "inspector", ["410811"])
    session.commit()
    return bearer(issue_tokens(session, "li.si"))


def test_the_new_row_is_not_read_again_before_the_commit(app, client, store, inspector) -> None:  # noqa: ANN001
    sent: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:  # noqa: ANN001
        sent.append(" ".join(sql.split()))

    def commit(_conn) -> None:  # noqa: ANN001
        sent.append("COMMIT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        response = put_photo(client, inspector, new_id(), photo_bytes("derived__gps_fractional_seconds.jpg"))
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert response.status_code == 201, response.get_data(as_text=True)
    inserted = next(i for i, s in enumerate(sent) if s.startswith("INSERT INTO photos"))
    committed = sent.index("COMMIT", inserted)
    reads_of_the_photo = [s for s in sent[inserted + 1 : committed] if re.match(r"SELECT .* FROM photos\b", s)]
    assert reads_of_the_photo == [], reads_of_the_photo
    assert "RETURNING" in sent[inserted]


def test_the_answer_needs_no_statement_after_the_commit(app, client, store, inspector) -> None:  # noqa: ANN001
    """The answer is made from the row the INSERT returned and the flags read in the same transaction: the
    commit is the request's last statement (no new transaction to read the photo and its links again)."""
    sent: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:  # noqa: ANN001
        sent.append(" ".join(sql.split()))

    def commit(_conn) -> None:  # noqa: ANN001
        sent.append("COMMIT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    pid = new_id()
    try:
        created = put_photo(client, inspector, pid, photo_bytes("derived__gps_fractional_seconds.jpg"))
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert sent[-1] == "COMMIT", sent[sent.index("COMMIT") :]
    body = created.get_json()
    assert body["id"] == pid and body["derivatives"]["state"] == "pending" and body["created_at"]
    assert client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json() == body  # the same answer as a read


def _statements_of_a_put(app, client, inspector) -> list[str]:  # noqa: ANN001
    sent: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:  # noqa: ANN001
        sent.append(" ".join(sql.split()))

    def savepoint(_conn, _name) -> None:  # noqa: ANN001
        sent.append("SAVEPOINT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "savepoint", savepoint)
    try:
        response = put_photo(client, inspector, new_id(), photo_bytes("derived__gps_fractional_seconds.jpg"))
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "savepoint", savepoint)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["flags"] == []
    return sent


def test_a_photo_no_evidence_names_yet_costs_one_question_to_the_evidence_feature(
    app, client, store, inspector
) -> None:  # noqa: ANN001
    """Most photos arrive before the inspection that names them: one EXISTS, no savepoint for the arrival hook
    and no read of links (there are none) to answer."""
    sent = _statements_of_a_put(app, client, inspector)
    assert "SAVEPOINT" not in sent
    about_links = [s for s in sent if "inspection_photo_links" in s]
    assert len(about_links) == 1 and about_links[0].startswith("SELECT EXISTS"), about_links


def test_the_insert_of_a_photo_is_compiled_once(app, client, store, inspector) -> None:  # noqa: ANN001
    """The INSERT … ON CONFLICT is a statement SQLAlchemy caches: a second upload reuses its compilation (the
    PostgreSQL ``insert()`` construct opts out of the cache and was compiled on every upload)."""
    with app.app_context():
        engine = db.engine
    compiled: list[object] = []  # the objects themselves: an id() could be reused once the first is freed

    def before(_conn, _cursor, sql, _params, context, _many) -> None:  # noqa: ANN001
        if sql.lstrip().startswith("INSERT INTO photos"):
            compiled.append(context.compiled)

    event.listen(engine, "before_cursor_execute", before)
    try:
        _statements_of_a_put(app, client, inspector)
        _statements_of_a_put(app, client, inspector)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert len(compiled) == 2 and compiled[0] is compiled[1]


class PublishRecordingStore(FilesystemPhotoStore):
    """The filesystem store, noting in ``log`` when an upload's original is published."""

    def __init__(self, root: Path, log: list[str]) -> None:
        super().__init__(root)
        self.log = log

    @contextmanager
    def receive(self, stream: IO[bytes], expected_sha256: str, max_bytes: int | None) -> Iterator[ReceivedOriginal]:
        with super().receive(stream, expected_sha256, max_bytes) as received:

            def publish() -> StoredOriginal:
                self.log.append("PUBLISH")
                return received.publish()

            yield dataclasses.replace(received, publish=publish)


def test_the_original_is_published_after_the_insert_and_before_the_commit(app, client, inspector, tmp_path) -> None:  # noqa: ANN001
    """The row's statements run while the bytes go to disk; the original is durable under its name before the
    COMMIT (a 201 means bytes and row survive a crash), and refused bytes are never published."""
    sent: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:  # noqa: ANN001
        sent.append(" ".join(sql.split()))

    def commit(_conn) -> None:  # noqa: ANN001
        sent.append("COMMIT")

    with app.app_context():
        engine = db.engine
    old = wiring(app).photo_store
    wiring(app).photo_store = store = PublishRecordingStore(tmp_path / "photos", sent)
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        whole = photo_bytes("derived__gps_fractional_seconds.jpg")
        created = put_photo(client, inspector, new_id(), whole)
        refused = put_photo(client, inspector, new_id(), whole[: len(whole) // 2])
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
        wiring(app).photo_store = old
    assert created.status_code == 201 and refused.status_code == 422, refused.get_data(as_text=True)
    assert sent.count("PUBLISH") == 1
    inserted = next(i for i, s in enumerate(sent) if s.startswith("INSERT INTO photos"))
    assert inserted < sent.index("PUBLISH") < sent.index("COMMIT", inserted)
    assert stored_originals(store) == [sha256_hex(whole)]


def test_a_jpeg_cut_short_is_still_refused_and_nothing_kept(client, session, store, inspector) -> None:  # noqa: ANN001
    whole = photo_bytes("derived__gps_fractional_seconds.jpg")
    cut = whole[: len(whole) // 2]  # cut inside the scan data
    response = put_photo(client, inspector, new_id(), cut)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["code"] == "image_undecodable"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Photo)) == 0
    assert stored_originals(store) == []
