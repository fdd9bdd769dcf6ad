"""Alembic environment (run through Flask-Migrate: ``flask db upgrade``)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

import app.models  # noqa: F401  (registers every table on the metadata)
from app.db_roles import grant_runtime_privileges
from app.migration_support import include_object

config = context.config
if config.config_file_name and not current_app.testing:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def process_revision_directives(ctx, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")
        return
    alembic_helpers.writer.process_revision_directives(ctx, revision, directives)


def run_migrations_online() -> None:
    # Migrations run as the owner role (DATABASE_OWNER_URL), never as the application's runtime role; the
    # runtime role's privileges are granted at the end of every run, in the same transaction (app/db_roles.py).
    engine = create_engine(current_app.config["DATABASE_OWNER_URL"], poolclass=NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object,
            process_revision_directives=process_revision_directives,
            render_item=alembic_helpers.render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            grant_runtime_privileges(connection, current_app.config.get("DATABASE_RUNTIME_ROLE"))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
