"""The nginx front's generated configuration and problem documents (no nginx needed)."""

from __future__ import annotations

from pathlib import Path

from app.api import _HTTP_PROBLEMS
from app.config import max_request_body_bytes
from scripts.front import ERROR_PAGES, PROBLEMS, problem_document
from scripts.run_server import front_for


def test_front_binds_loopback_by_default(tmp_path: Path) -> None:
    front = front_for({}, tmp_path)
    assert (front.host, front.port) == ("127.0.0.1", 8000)
    assert "listen 127.0.0.1:8000 " in front.render_config()


def test_host_and_port_choose_the_bind(tmp_path: Path) -> None:
    assert "listen 0.0.0.0:8125 " in front_for({"HOST": "0.0.0.0", "PORT": "8125"}, tmp_path).render_config()
    assert "listen [::1]:8125 " in front_for({"HOST": "::1", "PORT": "8125"}, tmp_path).render_config()


def test_body_limit_is_the_apps(tmp_path: Path) -> None:
    config = front_for({"MAX_UPLOAD_BYTES": "1000"}, tmp_path).render_config()
    assert f"client_max_body_size {max_request_body_bytes({'MAX_UPLOAD_BYTES': '1000'})};" in config
    assert "server_tokens off;" in config


def test_every_error_page_has_a_problem_document_with_the_apps_fields() -> None:
    for status, shown in ERROR_PAGES.items():
        problem = problem_document(shown)
        assert problem["status"] == shown, status
        assert {"type", "title", "status", "code", "message_zh", "message_en"} <= problem.keys()


def test_statuses_the_app_also_answers_keep_the_apps_codes() -> None:
    for status in PROBLEMS.keys() & _HTTP_PROBLEMS.keys():
        assert PROBLEMS[status][0] == _HTTP_PROBLEMS[status][0], status
