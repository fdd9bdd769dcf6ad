"""Unbound extensions, initialised in the application factory."""

from __future__ import annotations

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

from app.api import LantianApi
from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = LantianApi()


def current_session() -> Session:
    """The SQLAlchemy Session of the current app context: what routes and CLI commands pass to services.

    Services are typed ``session: Session`` (STYLE rule 3). ``db.session`` is Flask-SQLAlchemy's
    ``scoped_session`` proxy: it forwards to a Session but is not one, so mypy rejects it there.
    Calling the proxy returns the very Session it forwards to for this app context (the one
    ``db.session.commit()`` commits), so this changes no behaviour and keeps one precise type in
    every service signature, rather than widening all of them to ``Session | scoped_session``.
    """
    return db.session()
