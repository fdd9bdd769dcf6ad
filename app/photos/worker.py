"""The derivative worker: ``flask photos worker`` (derivatives are made after the response).

Polls the database for photos whose derivatives are pending and makes them one photo per
transaction (``SELECT … FOR UPDATE SKIP LOCKED``), so any number of workers (and on-demand
requests) can run side by side without doing the same photo twice. Each transaction is short;
a photo that keeps failing transiently is skipped for the rest of the pass and marked failed
after ``derivatives.MAX_DERIVATIVE_ATTEMPTS``.

Each pass also expires resumable uploads untouched for ``PHOTO_PARTIAL_MAX_AGE_HOURS``: the worker
runs all the time (``flask photos gc`` only when an operator asks), and an upload's quota is only
freed when its partial goes. The worker must therefore share the app servers' data folder (it does
already, for the originals of the filesystem store).
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from app.extensions import current_session, db
from app.photos.derivatives import process_next_pending
from app.photos.storage import PhotoStore
from app.wiring import wiring

log = logging.getLogger(__name__)


def drain_pending(
    session: Session,
    store: PhotoStore,
    *,
    max_pixels: int,
    limit: int | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Process pending photos until none is left (or ``limit``/``stop``); commits each. → count."""
    done = 0
    skip: set[uuid.UUID] = set()
    while limit is None or done < limit:
        if stop is not None and stop.is_set():
            break
        photo = process_next_pending(session, store, max_pixels=max_pixels, skip=skip)
        if photo is None:
            session.commit()
            break
        if photo.derivatives_state == "pending":  # transient failure: retry on a later pass
            skip.add(photo.id)
        log.info("photo %s derivatives %s", photo.id, photo.derivatives_state)
        session.commit()
        done += 1
    return done


def expire_stale_partials(store: PhotoStore, max_age: timedelta) -> int:
    """Remove resumable uploads untouched for ``max_age`` (their phones start over) → how many."""
    expired = store.spool.expire_partials(max_age)
    for upload_id, size in expired:
        log.info("expired resumable upload %s (%s bytes)", upload_id, size)
    return len(expired)


def run_worker(
    app: Flask, *, once: bool = False, poll_seconds: float | None = None, stop: threading.Event | None = None
) -> int:
    """Loop until ``stop`` is set (SIGTERM in the CLI); ``once`` drains the queue and returns."""
    stop = stop or threading.Event()
    poll = poll_seconds if poll_seconds is not None else float(app.config.get("PHOTO_WORKER_POLL_SECONDS", 2))
    store = wiring(app).photo_store
    partial_age = timedelta(hours=float(app.config.get("PHOTO_PARTIAL_MAX_AGE_HOURS", 72)))
    total = 0
    while not stop.is_set():
        try:
            expire_stale_partials(store, partial_age)
        except OSError:  # e.g. a partial finished meanwhile; the next pass tries again
            log.exception("expiring stale partial uploads failed")
        with app.app_context():
            try:
                total += drain_pending(
                    current_session(), store, max_pixels=int(app.config["MAX_IMAGE_PIXELS"]), stop=stop
                )
            except Exception:  # noqa: BLE001 - e.g. the database restarting: log, wait, retry
                log.exception("photo worker pass failed")
                db.session.rollback()
            finally:
                db.session.remove()
        if once:
            break
        stop.wait(poll)
    return total
