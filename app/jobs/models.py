"""Errors of failed job attempts. procrastinate's own tables (``procrastinate_jobs`` …) keep a job's status
and attempts but not why it failed; the worker writes one row here per failed attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class JobError(Base):
    __tablename__ = "job_errors"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # procrastinate_jobs.id; no foreign key: that table is procrastinate's, not a model.
    job_id: Mapped[int] = mapped_column(BigInteger, index=True)
    task_name: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int]
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(server_default=func.now())
