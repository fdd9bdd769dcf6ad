"""The flask-smorest Api whose every error is application/problem+json (RFC 9457).

Depends on nothing of the application but ``app.errors``: the Blueprint subclass, which needs the
authorisation decorator, lives in ``app.blueprint``."""

from __future__ import annotations

import json
import logging
from typing import Any

import marshmallow as ma
from flask import Response, g
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from app.errors import AppError, FieldError

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"

# Titles for HTTP errors raised by Flask/Werkzeug itself (routing, body limits, webargs).
_HTTP_PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式有误", "Bad request"),
    401: ("unauthorized", "未登录或令牌无效", "Authentication required"),
    403: ("forbidden", "无权执行此操作", "Forbidden"),
    404: ("not_found", "资源不存在", "Not found"),
    405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    406: ("not_acceptable", "无法提供所请求的格式", "Not acceptable"),
    409: ("conflict", "与当前状态冲突", "Conflict"),
    412: ("precondition_failed", "版本已过期，请合并后重试", "Precondition failed"),
    413: ("payload_too_large", "上传内容过大", "Payload too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
    422: ("validation_failed", "输入未通过校验", "Validation failed"),
    428: ("precondition_required", "缺少 If-Match 版本头", "Precondition required"),
    429: ("too_many_requests", "请求过于频繁", "Too many requests"),
    500: ("internal_error", "服务器内部错误，请稍后重试", "Internal server error"),
}

# Chinese for marshmallow's stock messages; others get a generic prefix.
_MESSAGE_ZH = {
    "Missing data for required field.": "缺少必填字段。",
    "Unknown field.": "未知字段。",
    "Field may not be null.": "字段不能为空。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Invalid input type.": "输入类型无效。",
    "Invalid value.": "取值无效。",
}


def _zh(message: str) -> str:
    if message in _MESSAGE_ZH:
        return _MESSAGE_ZH[message]
    if message.startswith("Must be one of"):
        return "取值必须是以下之一：" + message.split(":", 1)[-1].strip()
    return "字段无效：" + message


def flatten_messages(messages: Any, prefix: str = "") -> list[FieldError]:
    """Turn marshmallow/webargs nested messages into path-addressed field errors."""
    out: list[FieldError] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, path))
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, (dict, list)):
                out.extend(flatten_messages(item, prefix))
            else:
                code = "unknown_field" if item == "Unknown field." else "invalid"
                out.append(FieldError(prefix or "_body", code, _zh(str(item)), str(item)))
    else:
        out.append(FieldError(prefix or "_body", "invalid", _zh(str(messages)), str(messages)))
    return out


def problem_response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    request_id = getattr(g, "request_id", None)
    if request_id:
        body.setdefault("request_id", request_id)
    resp = Response(json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def render_app_error(error: AppError) -> Response:
    headers = error.extra.pop("_headers", None) if isinstance(error.extra, dict) else None
    return problem_response(error.to_problem(), error.status, headers)


def render_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code, title_zh, title_en = _HTTP_PROBLEMS.get(status, ("http_error", "请求失败", error.name))
    detail_en = error.description if status != 500 else title_en
    problem = AppError(title_zh, detail_en or title_en)
    problem.status, problem.code, problem.title_zh, problem.title_en = status, code, title_zh, title_en
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # webargs validation errors
        messages = data["messages"]
        # drop the location level ("json", "query", ...) when there is only one
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))
        problem.errors = flatten_messages(messages)
        problem.detail_zh = "请求中有字段未通过校验，详见 errors。"
        problem.detail_en = "Some fields are invalid; see errors."
    headers = dict(data.get("headers") or {})
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem_response(problem.to_problem(), status, headers)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error response of this API."""

    type = ma.fields.String(metadata={"description": "URI naming the problem type"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Stable machine-readable error code"})
    title_zh = ma.fields.String()
    message_zh = ma.fields.String(metadata={"description": "中文说明"})
    message_en = ma.fields.String()
    request_id = ma.fields.String()
    errors = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Field errors: path, code, message_zh, message_en"}
    )


class LantianApi(Api):
    """Api whose every error is application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        self._app.register_error_handler(AppError, render_app_error)
        self._app.register_error_handler(HTTPException, self.handle_http_exception)
        self._app.register_error_handler(Exception, self.handle_unexpected)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return render_http_exception(error)

    def handle_unexpected(self, error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return render_http_exception(error)
        log.exception("unhandled error", exc_info=error)
        code, title_zh, title_en = _HTTP_PROBLEMS[500]
        problem = AppError(title_zh, title_en)
        problem.status, problem.code, problem.title_zh, problem.title_en = 500, code, title_zh, title_en
        return problem_response(problem.to_problem(), 500)
