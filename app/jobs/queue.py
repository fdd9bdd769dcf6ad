"""The job queue: one procrastinate ``App`` for the whole application; the feature modules that define its
tasks are imported by ``app.jobs.catalogue``.

Deferring never opens a connection of its own: ``defer_in`` writes the job through the caller's SQLAlchemy
session, so a job commits (or rolls back) together with the rows it is about. Workers and ``flask jobs``
open the queue on the application's database with ``opened``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import procrastinate
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

# Unopened: ``opened`` swaps in a connector for the app's database.
queue = procrastinate.App(connector=procrastinate.PsycopgConnector())


def conninfo(sqlalchemy_url: str) -> str:
    """libpq connection string of a SQLAlchemy URL (``postgresql+psycopg://…`` → ``postgresql://…``)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def opened(app: Flask) -> Iterator[procrastinate.App]:
    """``queue`` connected to ``app``'s database for the block (sync use: ``flask jobs list|retry``)."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(app.config["SQLALCHEMY_DATABASE_URI"]))
    with queue.replace_connector(connector) as connected:
        connected.open()
        try:
            yield connected
        finally:
            connected.close()


def connector_for(app: Flask) -> procrastinate.PsycopgConnector:
    """A fresh connector to ``app``'s database (workers open it asynchronously)."""
    return procrastinate.PsycopgConnector(conninfo=conninfo(app.config["SQLALCHEMY_DATABASE_URI"]))


def defer_in(session: Session, task_name: str, **task_kwargs: Any) -> int:
    """Defer ``task_name`` inside ``session``'s transaction → the job id (visible to workers at commit)."""
    connection = session.connection().connection.driver_connection  # the psycopg connection of the transaction
    # allow_unknown=False: a name no module defines is an error here, not a job that waits forever.
    job_id: int = queue.configure_task(task_name, allow_unknown=False, connection=connection).defer(**task_kwargs)
    return job_id
