"""Every task the job queue runs, in one list of imports.

Procrastinate registers a task where its module defines it (``@queue.task``), so importing the module is
what puts the task on ``queue``. Workers and ``flask jobs`` import this module; a test checks that every task
name the application defers is here.
"""

from __future__ import annotations

from types import ModuleType

from app.documents import tasks as document_tasks
from app.jobs import tasks as queue_upkeep
from app.maplayers import tasks as map_tasks
from app.photos import tasks as photo_tasks
from app.review import tasks as review_tasks
from app.stats import tasks as stats_tasks

TASK_MODULES: tuple[ModuleType, ...] = (
    queue_upkeep,
    photo_tasks,
    document_tasks,
    stats_tasks,
    review_tasks,
    map_tasks,
)
