"""The buffering front of ``make run``: a project-managed nginx before gunicorn.

gunicorn's gthread workers give each connection a thread while its request is read and its answer is written,
so a dozen clients sending one byte a second hold every thread. nginx holds those connections instead, for the
cost of a few kilobytes each: it reads the whole request (headers within ``client_header_timeout``, the body
into a temporary file) before passing it on, and reads the whole answer from gunicorn before a slow phone
downloads it. gunicorn then only ever talks to nginx, over a unix socket in a folder that only nginx can reach.

Everything lives under ``<data folder>/front`` (configuration, pid, logs, temporary files, the problem
documents of the errors nginx answers itself); this is not the system's nginx service. As root the worker
processes run as ``www-data``, like Debian's own nginx.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from app.errors import PROBLEM_TYPE_PREFIX

WORKER_USER = "www-data"
ERRORS_URI = "/_front_errors/"
# How long an export may take to produce (no row cap; an XLSX sends nothing until its workbook is closed).
EXPORT_READ_TIMEOUT = "1800s"

# The errors nginx answers itself, as the app's problems (app/api.py): status -> (code, title_zh, title_en,
# message_zh, message_en), with the codes the app gives the same statuses (400, 404, 413, 500); 404 only for
# nginx's own paths, as the app's answers pass through untouched. nginx closes the connection on a timed-out
# request (408) rather than answering; 499 (the client closed first) exists only in its log, where nobody is
# left to read a document, and error_page refuses it.
PROBLEMS: dict[int, tuple[str, str, str, str, str]] = {
    400: ("bad_request", "请求格式有误", "Bad request", "请求无法解析。", "The request could not be parsed."),
    404: ("not_found", "资源不存在", "Not found", "请求的资源不存在。", "The requested resource does not exist."),
    408: (
        "request_timeout",
        "请求超时",
        "Request timeout",
        "客户端发送请求过慢，连接已关闭。",
        "The client sent the request too slowly.",
    ),
    413: (
        "payload_too_large",
        "上传内容过大",
        "Payload too large",
        "请求体超过服务器允许的大小。",
        "The request body is larger than the server accepts.",
    ),
    414: (
        "uri_too_long",
        "请求地址过长",
        "URI too long",
        "请求地址超过服务器允许的长度。",
        "The request URI is longer than the server accepts.",
    ),
    431: (
        "request_header_fields_too_large",
        "请求头过大",
        "Request header fields too large",
        "请求头超过服务器允许的大小。",
        "The request headers are larger than the server accepts.",
    ),
    500: (
        "internal_error",
        "服务器内部错误，请稍后重试",
        "Internal server error",
        "服务器内部错误，请稍后重试。",
        "Internal server error; try again later.",
    ),
    502: (
        "bad_gateway",
        "服务暂时不可用，请稍后重试",
        "Bad gateway",
        "应用服务器暂时无法连接，请稍后重试。",
        "The application server could not be reached; try again later.",
    ),
    503: (
        "service_unavailable",
        "服务暂时不可用，请稍后重试",
        "Service unavailable",
        "服务暂时不可用，请稍后重试。",
        "The service is temporarily unavailable; try again later.",
    ),
    504: (
        "gateway_timeout",
        "服务器处理超时，请稍后重试",
        "Gateway timeout",
        "应用服务器未能及时应答，请稍后重试。",
        "The application server did not answer in time; try again later.",
    ),
}
# nginx's own code for "request header or cookie too large" is 494; clients get 431 (RFC 6585).
ERROR_PAGES = {status: status for status in PROBLEMS} | {494: 431}


def problem_document(status: int) -> dict[str, object]:
    """The problem+json body of an error nginx answers itself (the fields of AppError.to_problem)."""
    code, title_zh, title_en, message_zh, message_en = PROBLEMS[status]
    return {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title_en,
        "status": status,
        "detail": message_en,
        "code": code,
        "title_zh": title_zh,
        "message_zh": message_zh,
        "message_en": message_en,
    }


def find_nginx() -> str:
    """The nginx binary (in /usr/sbin, which is not on every user's PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise SystemExit("nginx not found: it is the front of `make run`. Install: apt-get install nginx-light")
    return found


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if os.geteuid() == 0:
        return 16384
    return min(16384, hard if hard != resource.RLIM_INFINITY else 16384)


@dataclass
class NginxFront:
    """nginx on ``host:port`` proxying to gunicorn on the unix socket ``upstream_socket``."""

    base: Path
    host: str
    port: int
    max_body_bytes: int
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.base = Path(self.base).resolve()
        self.run_as = WORKER_USER if os.geteuid() == 0 else None

    @property
    def config_path(self) -> Path:
        return self.base / "nginx.conf"

    @property
    def upstream_socket(self) -> Path:
        return self.base / "run" / "gunicorn.sock"

    @property
    def error_log(self) -> Path:
        return self.base / "logs" / "error.log"

    # -- files -------------------------------------------------------------
    def prepare(self) -> None:
        """Write the configuration and the problem documents; make the folders nginx's workers need."""
        for sub in ("logs", "temp", "errors", "run"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o711)
        for status in PROBLEMS:
            (self.base / "errors" / f"{status}.json").write_text(
                json.dumps(problem_document(status), ensure_ascii=False) + "\n", encoding="utf-8"
            )
        (self.base / "errors").chmod(0o755)
        # Only nginx (and root) may reach gunicorn: with TRUST_PROXY_HEADERS=1 whoever connects there chooses
        # the client address the app records.
        run = self.base / "run"
        run.chmod(0o750)
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(run, 0, grp.getgrnam(self.run_as).gr_gid)
            os.chown(self.base / "temp", pw.pw_uid, pw.pw_gid)
        self.config_path.write_text(self.render_config(), encoding="utf-8")

    def render_config(self) -> str:
        nofile = _open_files_limit()
        b = self.base
        error_pages = "\n".join(
            f"        error_page {status} ={shown} {ERRORS_URI}{shown}.json;"
            if status != shown
            else f"        error_page {status} {ERRORS_URI}{status}.json;"
            for status, shown in sorted(ERROR_PAGES.items())
        )
        user = f"user {self.run_as};\n" if self.run_as else ""
        return f"""\
# Generated by scripts/front.py at every start of `make run`: edit that file, not this one.
{user}worker_processes auto;
worker_rlimit_nofile {nofile};
pid {b}/nginx.pid;
error_log {self.error_log} warn;
daemon off;

events {{
    worker_connections {nofile // 2};
}}

http {{
    types {{ }}
    default_type application/octet-stream;
    access_log {b}/logs/access.log;
    client_body_temp_path {b}/temp/body;
    proxy_temp_path {b}/temp/proxy;
    fastcgi_temp_path {b}/temp/fastcgi;
    uwsgi_temp_path {b}/temp/uwsgi;
    scgi_temp_path {b}/temp/scgi;

    server_tokens off;
    sendfile on;
    tcp_nodelay on;

    # Slow clients: the whole request head within 10 s; a body or an answer stalled for 30 s is dropped.
    client_header_timeout 10s;
    client_body_timeout 30s;
    send_timeout 30s;
    reset_timedout_connection on;
    keepalive_timeout 30s;
    keepalive_requests 1000;
    # A request line or header line above 8 KiB is refused here (414, 431), well inside gunicorn's own limits.
    client_header_buffer_size 1k;
    large_client_header_buffers 4 8k;
    # The app's MAX_CONTENT_LENGTH: MAX_UPLOAD_BYTES of photo plus multipart framing.
    client_max_body_size {self.max_body_bytes};
    client_body_buffer_size 128k;

    # No upstream keep-alive: a unix-socket connection per request is cheap, and it avoids reusing a
    # connection gunicorn is closing (a non-idempotent request would get a 502).
    upstream lantian_app {{
        server unix:{self.upstream_socket};
    }}

    map $http_host $lantian_host {{
        "" $host;
        default $http_host;
    }}

    server {{
        listen {listen_address(self.host, self.port)} default_server backlog=4096;
        server_name _;

{error_pages}

        # Every location below passes to gunicorn the same way (inherited: none sets its own headers).
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $lantian_host;
        # Replaced, not appended to: the app takes the first address (TRUST_PROXY_HEADERS=1), and a
        # client must not choose it.
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_request_buffering on;
        proxy_connect_timeout 5s;
        # Above gunicorn's 60 s worker timeout: gunicorn ends a stuck request first.
        proxy_send_timeout 90s;

        # Exports have no row cap: a CSV streams for as long as it has rows, and an XLSX sends nothing until its
        # workbook is closed (about 3 minutes for 1 M inspections, bench/README.md) — past the 90 s below. They
        # pass through unbuffered (memory and disk flat here too) and may take up to {EXPORT_READ_TIMEOUT}.
        location ^~ /api/v1/exports/ {{
            proxy_pass http://lantian_app;
            proxy_buffering off;
            proxy_read_timeout {EXPORT_READ_TIMEOUT};
        }}

        # A statistics answer can be 1 MiB (the province's 2,512 townships as plain JSON): held in memory whole
        # instead of half of it going through a temporary file on every request, as past the 512 KiB below.
        location ^~ /api/v1/stats/ {{
            proxy_pass http://lantian_app;
            proxy_buffering on;
            proxy_buffer_size 16k;
            proxy_buffers 128 16k;
            proxy_busy_buffers_size 64k;
            proxy_read_timeout 90s;
        }}

        location / {{
            proxy_pass http://lantian_app;
            # Whole requests go to gunicorn, whole answers come back before the client reads them.
            proxy_buffering on;
            proxy_buffer_size 16k;
            proxy_buffers 32 16k;
            proxy_busy_buffers_size 64k;
            proxy_read_timeout 90s;
        }}

        location ^~ {ERRORS_URI} {{
            internal;
            alias {b}/errors/;
            types {{ }}
            default_type application/problem+json;
            add_header Cache-Control no-store always;
            etag off;
        }}
    }}
}}
"""

    # -- process -------------------------------------------------------------
    def _argv(self, *extra: str) -> list[str]:
        return [find_nginx(), "-p", f"{self.base}/", "-c", str(self.config_path), "-e", str(self.error_log), *extra]

    def check(self) -> None:
        """``nginx -t``: refuse to start on a configuration nginx rejects, or files its workers cannot read."""
        result = subprocess.run(self._argv("-t", "-q"), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"nginx refused {self.config_path}:\n{result.stderr}")
        if self.run_as:
            probe = self.base / "errors" / "400.json"
            if subprocess.run(["runuser", "-u", self.run_as, "--", "test", "-r", str(probe)]).returncode != 0:
                raise SystemExit(
                    f"nginx's workers ({self.run_as}) cannot read {probe}: let others traverse "
                    f"the folders above {self.base} (chmod o+x)"
                )

    def start(self, timeout: float = 15.0) -> None:
        """Start nginx in the foreground (a child of this process) and wait until it accepts; ``prepare`` first."""
        self.check()
        self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"nginx exited with {self.proc.returncode}; see {self.error_log}:\n"
                    + self.error_log.read_text(errors="replace")[-2000:]
                )
            try:
                with socket.create_connection((self.connect_host, self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"nginx did not accept on {self.host}:{self.port}; see {self.error_log}") from None
                time.sleep(0.05)

    @property
    def connect_host(self) -> str:
        """Where a local client reaches the front (a wildcard bind is reached on loopback)."""
        return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)

    def terminate(self) -> None:
        """Ask nginx to finish the requests in flight and exit (does not wait)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop; a fast one (SIGTERM) when requests are still in flight after ``timeout``."""
        if self.proc is None:
            return
        self.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
