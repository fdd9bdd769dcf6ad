"""The one declarative Base shared by the app and Alembic."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # The map lives on an explicit registry: Flask-SQLAlchemy subclasses the Base,
    # and SQLAlchemy refuses a per-class type_annotation_map on such subclasses.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: DateTime(timezone=True),
            # None is stored as SQL NULL, not JSON 'null': "no waiver" must be IS NULL to SQL as it is to Python.
            dict[str, Any]: JSONB(none_as_null=True),
            list[Any]: JSONB(none_as_null=True),
            uuid.UUID: UUID(as_uuid=True),
        },
    )


class TimestampMixin:
    """Creation and update times, stored in UTC by the database."""

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
