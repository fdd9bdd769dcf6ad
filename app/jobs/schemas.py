"""Edge shapes of the jobs API (admins)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate
from procrastinate.jobs import Status

STATUSES = tuple(status.value for status in Status)
MAX_REASON = 2000


class JobListArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "todo | doing | failed …"})
    task = fields.String(validate=validate.Length(min=1, max=128), metadata={"description": "e.g. make_derivatives"})
    before_id = fields.Integer(validate=validate.Range(min=1, max=2**62), metadata={"description": "next page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class _NonBlank(fields.String):
    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ma.ValidationError("Must not be blank.")
        return str(text)


class JobActionSchema(ma.Schema):
    """Why an administrator retries or cancels a job (audited)."""

    class Meta:
        unknown = ma.RAISE

    reason = _NonBlank(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class JobSchema(ma.Schema):
    id = fields.Integer()
    task_name = fields.String()
    status = fields.String(metadata={"description": "todo | doing | succeeded | failed | cancelled | aborted"})
    queue_name = fields.String()
    attempts = fields.Integer()
    args = fields.Dict(metadata={"description": "the task's arguments"})
    scheduled_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True, metadata={"description": "the last failed attempt's error"})
    last_error_at = fields.DateTime(allow_none=True)
    error_count = fields.Integer()
    progress = fields.Float(allow_none=True, metadata={"description": "0–1 where the task reports it"})


class JobPageSchema(ma.Schema):
    items = fields.List(fields.Nested(JobSchema))
    next_before_id = fields.Integer(allow_none=True)
