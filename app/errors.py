"""One error vocabulary for the whole service (RFC 9457 problem details).

Services and pure modules raise ``AppError`` subclasses; ``app.http_errors``
renders them as ``application/problem+json``.  This module imports nothing
from Flask so pure code can raise these errors too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_TYPE_PREFIX = "urn:lantian:problem:"


@dataclass(frozen=True)
class FieldError:
    """One invalid piece of input, addressed by a path such as ``answers.dust_fence.value``."""

    path: str
    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class AppError(Exception):
    """Base of every error a client may see.

    Subclasses set ``status``, ``code`` (stable, machine-readable) and the
    bilingual titles; instances carry a bilingual detail and optional field errors.
    """

    status: int = 400
    code: str = "bad_request"
    title_zh: str = "请求有误"
    title_en: str = "Bad request"

    def __init__(
        self,
        detail_zh: str | None = None,
        detail_en: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        self.detail_zh = detail_zh or self.title_zh
        self.detail_en = detail_en or self.title_en
        self.errors = list(errors or [])
        self.extra = dict(extra or {})
        if code:
            self.code = code
        super().__init__(self.detail_en)

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.code,
            "title": self.title_en,
            "status": self.status,
            "detail": self.detail_en,
            "code": self.code,
            "title_zh": self.title_zh,
            "message_zh": self.detail_zh,
            "message_en": self.detail_en,
        }
        if self.errors:
            body["errors"] = [e.to_dict() for e in self.errors]
        # Extension members never replace the problem's own (RFC 9457: ``status`` is the HTTP status).
        body.update({key: value for key, value in self.extra.items() if key not in body})
        return body


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    title_zh = "输入未通过校验"
    title_en = "Validation failed"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title_zh = "资源不存在"
    title_en = "Not found"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title_zh = "未登录或令牌无效"
    title_en = "Authentication required"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title_zh = "无权执行此操作"
    title_en = "Forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title_zh = "与当前状态冲突"
    title_en = "Conflict"


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    title_zh = "版本已过期，请合并后重试"
    title_en = "Precondition failed"


class PreconditionRequired(AppError):
    status = 428
    code = "precondition_required"
    title_zh = "缺少 If-Match 版本头"
    title_en = "Precondition required"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title_zh = "上传内容过大"
    title_en = "Payload too large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    title_zh = "不支持的内容类型"
    title_en = "Unsupported media type"


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"
    title_zh = "请求过于频繁"
    title_en = "Too many requests"


class RuleViolation(AppError):
    """A business rule refuses the operation (e.g. a penalty rule without an amount)."""

    status = 422
    code = "rule_violation"
    title_zh = "违反业务规则"
    title_en = "Business rule violated"


@dataclass
class ErrorList:
    """Collects field errors so a rejection can list every problem at once."""

    items: list[FieldError] = field(default_factory=list)

    def add(self, path: str, code: str, message_zh: str, message_en: str) -> None:
        self.items.append(FieldError(path, code, message_zh, message_en))

    def __bool__(self) -> bool:
        return bool(self.items)
