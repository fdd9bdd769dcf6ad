"""The job queue (procrastinate on our PostgreSQL): uploads defer derivative jobs, workers run them,
transient failures are retried, permanent ones stay visible, a killed worker loses nothing, and the
periodic expiry job removes stale resumable uploads."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.photos import derivatives, upload
from app.photos.evidence_links import NO_EVIDENCE_LINKS
from app.photos.models import Photo
from app.photos.tasks import EXPIRE_STALE_PARTIALS, MAKE_DERIVATIVES, defer_derivatives
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_photos import drain_worker, photo_bytes, put_photo, sha256_hex, temporary_photo_store

GPS_JPEG = "derived__gps_fractional_seconds.jpg"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def store(app, tmp_path):
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


@pytest.fixture()
def inspector(client, session, tree):
    make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    return bearer(issue_tokens(session, "zhang.san"))


def _jobs(session, task: str = MAKE_DERIVATIVES) -> list:
    session.rollback()
    return session.execute(
        text(
            "SELECT id, status, attempts, args, scheduled_at FROM procrastinate_jobs WHERE task_name = :task ORDER BY id"
        ),
        {"task": task},
    ).all()


def _upload(client, headers, name: str = GPS_JPEG) -> str:
    pid = str(uuid.uuid4())
    response = put_photo(client, headers, pid, photo_bytes(name))
    assert response.status_code == 201, response.get_data(as_text=True)
    return pid


def _make_due(session, job_id: int) -> None:
    """The backoff has passed (instead of waiting for it)."""
    session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = :id"), {"id": job_id})
    session.commit()


def test_an_upload_defers_a_job_that_the_worker_runs_to_ready_derivatives(app, client, session, store, inspector):
    pid = _upload(client, inspector)
    [job] = _jobs(session)
    assert (job.status, job.args) == ("todo", {"photo_id": pid})
    assert client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json()["derivatives"]["state"] == "pending"

    assert drain_worker(app, store) == 1

    assert _jobs(session)[0].status == "succeeded"
    assert client.get(f"/api/v1/photos/{pid}", headers=inspector).get_json()["derivatives"]["state"] == "ready"
    sha = sha256_hex(photo_bytes(GPS_JPEG))
    assert store.derivative_exists(sha, derivatives.DISPLAY) and store.derivative_exists(sha, derivatives.THUMBNAIL)


def test_an_upload_rolled_back_leaves_no_job(session, store, tree):
    user = make_user(session, "zhang.san", "inspector", ["410811"])
    session.commit()
    from app.auth.principal import Principal

    principal = Principal(user.id, user.username, user.role, ("/410000/410800/410811/",))
    data = photo_bytes(GPS_JPEG)
    upload.put_photo(
        session,
        store,
        principal,
        uuid.uuid4(),
        io.BytesIO(data),
        sha256_hex(data),
        max_bytes=None,
        max_pixels=50_000_000,
        links=NO_EVIDENCE_LINKS,
    )
    assert session.scalar(text("SELECT count(*) FROM procrastinate_jobs")) == 1  # inside the transaction …
    session.rollback()  # … the request died before COMMIT: neither the row nor its job exists
    assert session.scalar(select(Photo.id)) is None
    assert _jobs(session) == []


def test_a_transient_failure_is_retried_with_backoff(app, client, session, store, inspector):
    pid = _upload(client, inspector)
    sha = sha256_hex(photo_bytes(GPS_JPEG))
    # The derivative folder cannot be created (a file stands in its way): an OSError, not a verdict on the bytes.
    blocker = store.derivative_path(sha, derivatives.THUMBNAIL).parent
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"in the way")

    before = time.time()
    assert drain_worker(app, store) == 0  # the job did not end: it waits for its retry
    [job] = _jobs(session)
    assert (job.status, job.attempts) == ("todo", 1)
    assert job.scheduled_at.timestamp() >= before + 9  # backoff: 10 s before the second attempt
    photo = session.get(Photo, uuid.UUID(pid))
    assert (photo.derivatives_state, photo.derivatives_error) == ("pending", "derivative_error_retrying")

    blocker.unlink()
    _make_due(session, job.id)
    assert drain_worker(app, store) == 1
    [job] = _jobs(session)
    assert (job.status, job.attempts) == ("succeeded", 2)
    session.expire_all()
    assert session.get(Photo, uuid.UUID(pid)).derivatives_state == "ready"


def test_a_permanent_failure_ends_failed_and_shows_in_the_dead_letters(app, session, store, inspector):
    # An original stored before a stricter upload check existed: the row is inserted directly.
    data = photo_bytes("pillow__Tests__images__truncated_jpeg.jpg")
    sha = sha256_hex(data)
    store.put_original(sha, data)
    uploader = session.scalar(text("SELECT id FROM users WHERE username = 'zhang.san'"))
    photo = Photo(
        id=uuid.uuid4(),
        sha256=sha,
        uploader_id=uploader,
        scope_paths=["/410000/410800/410811/"],
        size_bytes=len(data),
        format="JPEG",
        mime="image/jpeg",
        width=100,
        height=100,
    )
    session.add(photo)
    session.flush()
    job_id = defer_derivatives(session, photo.id)
    session.commit()

    assert drain_worker(app, store) == 1
    [job] = _jobs(session)
    assert (job.id, job.status, job.attempts) == (job_id, "failed", 1)  # not retried

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list", "--status", "failed"])
    assert listed.exit_code == 0, listed.output
    [line] = listed.output.strip().splitlines()
    assert line.startswith(f"{job_id}\tfailed\tmake_derivatives\t") and "image_undecodable" in line
    dead = runner.invoke(args=["jobs", "failed"])
    assert f"{job_id}\tfailed" in dead.output and "DerivativesFailed" in dead.output
    assert runner.invoke(args=["jobs", "list", "--status", "succeeded", "--task", "make_derivatives"]).output == ""

    assert session.get(Photo, photo.id).derivatives_state == "failed"
    retried = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert retried.exit_code == 0, retried.output
    assert "waits for its derivatives again" in retried.output
    assert _jobs(session)[0].status == "todo"
    session.expire_all()
    reopened = session.get(Photo, photo.id)
    assert (reopened.derivatives_state, reopened.derivatives_attempts) == ("pending", 0)
    again = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert again.exit_code != 0 and "only failed jobs" in again.output
    assert drain_worker(app, store) == 1  # the retried job runs the photo again (and it fails again for good)
    session.expire_all()
    assert session.get(Photo, photo.id).derivatives_state == "failed"


def test_killing_a_worker_loses_no_job(app, client, session, store, inspector, database_url, data_dir, monkeypatch):
    from app.extensions import db

    pid = _upload(client, inspector)
    [job] = _jobs(session)
    # Hold the photo's row lock so the first worker's job blocks inside its transaction.
    with db.engine.connect() as holder:
        holder.execute(text("SELECT id FROM photos WHERE id = :id FOR UPDATE"), {"id": pid})
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LANTIAN_DATA_DIR": str(data_dir),
            "SECRET_KEY": app.config["SECRET_KEY"],
            "JOBS_STALLED_AFTER_SECONDS": "1",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "jobs", "worker"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while _jobs(session)[0].status != "doing":
                assert time.monotonic() < deadline and worker.poll() is None, "the worker never took the job"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGKILL)  # no clean shutdown: the job stays "doing"
            worker.wait()
        holder.rollback()
    assert _jobs(session)[0].status == "doing"

    # Another worker, once the dead one's heartbeat is older than JOBS_STALLED_AFTER_SECONDS, takes it over.
    monkeypatch.setitem(app.config, "JOBS_STALLED_AFTER_SECONDS", 1)
    time.sleep(1.5)
    assert drain_worker(app, store) == 1
    [after] = _jobs(session)
    assert (after.id, after.status) == (job.id, "succeeded")
    session.expire_all()
    assert session.get(Photo, uuid.UUID(pid)).derivatives_state == "ready"


def test_the_periodic_expiry_job_removes_stale_partials_and_keeps_fresh_ones(app, session, store, monkeypatch):
    from app.jobs.queue import defer_in, queue

    assert [
        p.task.name for p in queue.periodic_registry.periodic_tasks.values() if p.task.name == EXPIRE_STALE_PARTIALS
    ] == [EXPIRE_STALE_PARTIALS]
    monkeypatch.setitem(app.config, "PHOTO_PARTIAL_MAX_AGE_HOURS", 1)
    stale, fresh = f"u1-{uuid.uuid4().hex}", f"u1-{uuid.uuid4().hex}"
    store.spool.append_partial(stale, 0, b"x" * 1000, None)
    store.spool.append_partial(fresh, 0, b"y" * 1000, None)
    two_hours_ago = time.time() - 2 * 3600
    os.utime(store.spool.partial_path(stale), (two_hours_ago, two_hours_ago))
    # What the worker's periodic deferrer does on the tick (every ten minutes).
    defer_in(session, EXPIRE_STALE_PARTIALS, timestamp=int(time.time()))
    session.commit()

    drain_worker(app, store)

    assert [row.status for row in _jobs(session, EXPIRE_STALE_PARTIALS)][-1] == "succeeded"
    assert store.spool.partial_offset(stale) == 0 and not store.spool.partial_path(stale).exists()
    assert store.spool.partial_offset(fresh) == 1000
    assert store.spool.partials_usage("u1-") == (1, 1000)


def test_the_worker_knows_every_task_the_application_defers():
    """Tasks are put on the queue by importing their modules (app.jobs.catalogue). In a fresh interpreter that
    imports only the worker, as ``flask jobs worker`` does, every task the application defers is known: one
    missing there would wait in the queue forever."""
    import subprocess
    import sys

    from app.photos.tasks import EXPIRE_STALE_PARTIALS, MAKE_DERIVATIVES

    code = "from app.jobs.worker import run_worker; from app.jobs.queue import queue; print(*sorted(queue.tasks))"
    known = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert {MAKE_DERIVATIVES, EXPIRE_STALE_PARTIALS, "retry_stalled_jobs"} <= set(known)


def test_a_stalled_periodic_job_whose_twin_is_queued_ends_failed_and_the_worker_runs_on(
    app, session, store, monkeypatch
):
    # A worker died mid-job (the expiry job stays "doing"); the periodic deferrer queued its next run meanwhile,
    # which holds the same queueing lock. Putting the dead one back would violate the lock: it ends failed, the
    # twin runs, and the worker that found it starts normally (it used to crash at start, every time).
    from app.jobs.worker import run_worker

    lock = EXPIRE_STALE_PARTIALS
    insert = text(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args)"
        " VALUES ('default', :task, :lock, CAST(:args AS jsonb)) RETURNING id"
    )
    stalled_id = session.scalar(insert, {"task": lock, "lock": lock, "args": '{"timestamp": 1}'})
    worker_id = session.scalar(text("SELECT procrastinate_register_worker_v1()"))
    fetched = session.execute(
        text("SELECT id FROM procrastinate_fetch_job_v2(NULL, :worker)"), {"worker": worker_id}
    ).scalar_one()
    assert fetched == stalled_id
    session.execute(
        text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = :id"),
        {"id": worker_id},
    )
    twin_id = session.scalar(insert, {"task": lock, "lock": lock, "args": '{"timestamp": 2}'})
    session.commit()

    monkeypatch.setitem(app.config, "JOBS_STALLED_AFTER_SECONDS", 1)
    run_worker(app, once=True, concurrency=1)
    statuses = {row.id: row.status for row in _jobs(session, EXPIRE_STALE_PARTIALS)}
    assert (statuses[stalled_id], statuses[twin_id]) == ("failed", "succeeded")  # (and the deferrer's own run)
