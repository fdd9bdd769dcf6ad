"""Jobs API (admins): the queue's jobs in the caller's scope, retry a failed one, cancel a queued one."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session, db
from app.jobs.actions import cancel_job, retry_job
from app.jobs.listing import JobPage, JobRow, list_jobs
from app.jobs.schemas import JobActionSchema, JobListArgsSchema, JobPageSchema, JobSchema

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="后台任务 / Background jobs (admins)")


@blp.route("")
class Jobs(MethodView):
    @blp.auth("admin")
    @blp.arguments(JobListArgsSchema, location="query")
    @blp.response(200, JobPageSchema)
    def get(self, args: dict[str, Any]) -> JobPage:
        """Jobs newest first (state, task, attempts, last error, created/finished); filters and paging."""
        return list_jobs(current_session(), current_principal(), **args)


@blp.route("/<int:job_id>/retry")
class JobRetry(MethodView):
    @blp.auth("admin")
    @blp.arguments(JobActionSchema)
    @blp.response(200, JobSchema)
    @blp.problem(404, "不存在或不在辖区内 / Not found in your jurisdictions")
    @blp.problem(409, "只有失败的任务可以重试 / Only failed jobs are retried")
    def post(self, data: dict[str, Any], job_id: int) -> JobRow:
        """Put a failed job back in the queue, due now (admins; audited with the reason)."""
        job = retry_job(current_session(), current_principal(), job_id, data["reason"])
        db.session.commit()
        return job


@blp.route("/<int:job_id>/cancel")
class JobCancel(MethodView):
    @blp.auth("admin")
    @blp.arguments(JobActionSchema)
    @blp.response(200, JobSchema)
    @blp.problem(404, "不存在或不在辖区内 / Not found in your jurisdictions")
    @blp.problem(409, "只有排队中的任务可以取消 / Only queued jobs are cancelled")
    def post(self, data: dict[str, Any], job_id: int) -> JobRow:
        """Cancel a queued job that has not started (admins; audited with the reason)."""
        job = cancel_job(current_session(), current_principal(), job_id, data["reason"])
        db.session.commit()
        return job
