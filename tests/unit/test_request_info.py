"""Who is asking (app/context.py): naming the actor keeps everything else the request recorded."""

from __future__ import annotations

import contextvars
from dataclasses import fields

from app.context import RequestInfo, current_request_info, set_actor, set_request_info


def test_set_actor_keeps_every_other_field_of_the_request_info() -> None:
    def run() -> None:
        recorded = RequestInfo(**{f.name: f"value-{f.name}" for f in fields(RequestInfo)})  # type: ignore[arg-type]
        set_request_info(recorded)
        set_actor(42, "zhao.liu")
        info = current_request_info()
        for f in fields(RequestInfo):
            expected = {"actor_id": 42, "actor_username": "zhao.liu"}.get(f.name, getattr(recorded, f.name))
            assert getattr(info, f.name) == expected, f.name

    contextvars.copy_context().run(run)
