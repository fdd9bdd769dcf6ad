"""Configuration, read from the environment in one place.

| variable | default | meaning |
|---|---|---|
| DATABASE_URL | local cluster under ``LANTIAN_DATA_DIR/pg``, role ``lantian_app`` | SQLAlchemy URL the application connects with (the runtime role: DML only); set it to use a real server |
| DATABASE_OWNER_URL | local cluster, role ``lantian_owner``; else ``DATABASE_URL`` | SQLAlchemy URL ``flask db upgrade`` migrates with (the owner role: owns tables, functions, triggers) |
| DATABASE_RUNTIME_ROLE | the user name in ``DATABASE_URL`` | role the migrations grant the runtime privileges to |
| DATABASE_CONNECT_TIMEOUT_SECONDS | 5 | longest wait for a new database connection (libpq ``connect_timeout``); an unreachable host then answers 503 instead of hanging a worker |
| DATABASE_RETRY_AFTER_SECONDS | 5 | ``Retry-After`` of the 503 ``database_unavailable`` answered while the database cannot be reached |
| LANTIAN_DATA_DIR | ``<repo>/var`` | data folder: local cluster, photos, generated files |
| SECRET_KEY | generated once into ``LANTIAN_DATA_DIR/secret_key`` | signs access tokens |
| ACCESS_TOKEN_TTL_SECONDS | 900 | access-token lifetime (at most 15 minutes) |
| REFRESH_TOKEN_TTL_SECONDS | 1209600 | refresh-token lifetime (14 days) |
| LOGIN_MAX_FAILURES_PER_ACCOUNT | 5 | failed logins per account within the window before lock-out |
| LOGIN_MAX_FAILURES_PER_IP | 20 | failed logins per client IP within the window before lock-out |
| LOGIN_WINDOW_SECONDS | 900 | rate-limit window and lock-out duration |
| MAX_UPLOAD_BYTES | 20971520 | largest photo (bytes of the image), 413 above it; request bodies may exceed it by 64 KiB of multipart framing |
| MAX_IMAGE_PIXELS | 50000000 | largest decoded photo, 422 above it (decompression bombs) |
| INSPECTOR_APP_BASE_MAP | (none) | the inspector app's base map, JSON ``{"url": "https://…/{z}/{x}/{y}.png", "crs": "gcj02" or "wgs84", "attribution": "…"}`` (GCJ-02 for Chinese tile services); none: the site map shows positions without tiles |
| MIN_OFFICERS | 2 | enforcement officers required on an inspection (行政处罚法 Art. 42) |
| PHOTO_STORAGE | filesystem | where photo originals/derivatives live: ``filesystem`` (under ``LANTIAN_DATA_DIR/photos``) or ``s3`` (an S3-compatible bucket; upload temp files and resumable partials stay under ``LANTIAN_DATA_DIR/photos``) |
| PHOTO_S3_BUCKET | (none) | bucket for ``PHOTO_STORAGE=s3`` (must exist; required) |
| PHOTO_S3_PREFIX | (empty) | key prefix inside the bucket, e.g. ``lantian/`` (keys: ``originals/ab/cd/<sha256>``, ``derivatives/…``) |
| PHOTO_S3_ENDPOINT_URL | (AWS) | endpoint of an S3-compatible service (MinIO, OSS/COS S3 gateways), e.g. ``http://minio:9000`` |
| PHOTO_S3_REGION | (boto3 chain: ``AWS_DEFAULT_REGION``/``AWS_REGION``) | region of the bucket |
| PHOTO_S3_ADDRESSING_STYLE | auto | ``path`` (MinIO without a domain) / ``virtual`` (Aliyun OSS) / ``auto`` |
| PHOTO_S3_CONDITIONAL_PUT | 1 | 0 = the endpoint lacks ``If-None-Match: *`` on PUT: head-then-put (safe: keys are content hashes) |
| AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE | (boto3 chain) | S3 credentials, read by boto3 itself (env, ``~/.aws``, instance/container role); never stored by Lantian |
| PHOTO_PARTIALS_MAX_PER_USER | 20 | unfinished resumable uploads one user may hold open (429 ``upload_quota_exceeded`` above it; our choice: a day's photos queued offline) |
| PHOTO_PARTIALS_MAX_BYTES_PER_USER | 209715200 | bytes one user may park in unfinished resumable uploads (200 MiB, ten photos at MAX_UPLOAD_BYTES; 429 above it) |
| PHOTO_PARTIAL_MAX_AGE_HOURS | 72 | a resumable upload untouched this long is removed by the periodic ``expire_stale_partials`` job (the phone starts it over) |
| JOBS_CONCURRENCY | 2 | jobs one ``flask jobs worker`` runs at once (more workers, on more machines, scale out) |
| JOBS_STALLED_AFTER_SECONDS | 60 | a worker silent this long is taken for dead and its running jobs are queued again |
| PHOTO_CACHE_MAX_AGE_SECONDS | 3600 | how long a browser may reuse photo bytes without asking again (``Cache-Control: private, max-age=…``; never shared caches; short, so revoked access does not leave evidence in a browser cache) |
| PHOTO_WATERMARK_FONT | (WenQuanYi Micro Hei) | TrueType/TTC font for the watermark band of notice copies |
| DOCUMENT_FONT_PATH | fonts-wqy-microhei's file | CJK font embedded in enforcement documents (PDF) |
| DOCUMENT_VERIFY_BASE_URL | (empty: a path only) | public origin printed in a document's QR code, e.g. ``https://host`` → ``https://host/verify/<token>`` |
| PHOTO_MAX_DISTANCE_M | 300 | default distance from the site beyond which a photo is flagged |
| PHOTO_MAX_DISTANCE_BY_KIND | (none) | per-site-kind distances, e.g. ``road_segment=1000,construction_site=500`` (no source gives values) |
| PHOTO_TIME_TOLERANCE_S | 1800 | slack either side of the inspection window before a photo's capture time is flagged (no source gives one) |
| INSPECTION_CLOCK_SKEW_S | 300 | how far an inspection's start/end time may lie ahead of the server's clock (phone clock drift) before it is refused as in the future (422 ``time_in_future``; no source gives one) |
| GEO_IMPORT_MAX_DEPTH | 32 | deepest JSON nesting of an imported GeoJSON file (422 ``geojson_too_deep``; a MultiPolygon feature needs 8) |
| GEO_IMPORT_MAX_VERTICES_PER_FEATURE | 50000 | most positions in one imported feature (413 ``too_many_vertices``) |
| GEO_IMPORT_MAX_VERTICES | 2000000 | most positions in one import through the API (413 ``too_many_vertices``; not applied by ``flask geo import``) |
| GEO_IMPORT_MAX_SECONDS | 45 | longest processing of one import through the API (413 ``import_too_slow``; not applied by ``flask geo import``) |
| JSON_MAX_DEPTH | 64 | deepest nesting of arrays/objects accepted in a JSON request body (422 ``json_too_deep`` beyond) |
| JSON_MAX_BODY_BYTES | 4194304 | largest JSON request body (413 ``payload_too_large`` above it); photos have their own limit |
| INSPECTION_FEED_MAX_LIMIT | 500 | largest page of the inspections sync feed |
| REVIEW_RISK_WEIGHTS | (defaults in ``app/review/risk.py``) | JSON object of review-queue risk reason code → points, e.g. ``{"high_amount": 20}``; unknown codes refuse to start |
| REVIEW_MIN_DURATION_MINUTES | 15 | an inspection shorter than this scores ``short_inspection`` in the review queue (no source gives a minimum) |
| REVIEW_NEAR_DUPLICATE_MAX_BITS | 8 | photos whose 64-bit perceptual hashes differ in at most this many bits are near-duplicates: one linked to another inspection (with other bytes) scores ``near_duplicate_photo`` in the review queue (our choice; no source gives one) |
| REVIEW_HIGH_AMOUNT_FEN | 10000000 | a penalty total (fen) at or above this scores ``high_amount`` in the review queue (¥100,000; no source gives one) |
| TRUST_PROXY_HEADERS | 0 | 1 = take the client IP from X-Forwarded-For (behind a reverse proxy) |
| CONSOLE_BASEMAP_URL | (none) | the console map's base layer, a tile URL template (``https://…/{z}/{x}/{y}.png``); none: boundaries and zones only (works offline) |
| CONSOLE_BASEMAP_CRS | wgs84 | datum of those tiles: ``gcj02`` for Chinese services (Gaode, Tencent), ``wgs84`` otherwise |
| CONSOLE_BASEMAP_ATTRIBUTION | (none) | attribution text the tile service requires |
| CONSOLE_BASEMAP_MAX_ZOOM | 18 | deepest zoom the tile service serves |
| LOG_LEVEL | INFO | log level of the JSON logs |
| HOST | 127.0.0.1 | address the front of ``make run`` (nginx) listens on; 0.0.0.0 to serve the network |
| PORT | 8000 | port of ``make run`` (the front) |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from app.review.risk import RiskWeights

REPO_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# A request body may exceed the photo by this much multipart framing.
UPLOAD_FRAMING_BYTES = 64 * 1024


def max_request_body_bytes(environ: Mapping[str, str] = os.environ) -> int:
    """Largest request body: MAX_UPLOAD_BYTES of photo plus framing (Flask's 413, and the front's in make run)."""
    return int(environ.get("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)) + UPLOAD_FRAMING_BYTES


def data_dir() -> Path:
    return Path(os.environ.get("LANTIAN_DATA_DIR", REPO_ROOT / "var")).resolve()


def local_database_url(base: Path, role: str = "lantian_app") -> str:
    """URL of the project-managed cluster (unix socket inside the data folder) for ``role``: ``lantian_app``
    (runtime) or ``lantian_owner`` (migrations), the roles scripts/localpg.py creates."""
    sock = base / "pg" / "run"
    return f"postgresql+psycopg://{role}@/lantian?host={sock}&port=5432"


def runtime_role(database_url: str) -> str | None:
    """The role the migrations grant runtime privileges to: DATABASE_RUNTIME_ROLE, else the URL's user."""
    return os.environ.get("DATABASE_RUNTIME_ROLE") or make_url(database_url).username


def _secret_key(base: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = base / "secret_key"
    if not path.exists():
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Config:
    """Production defaults; every value comes from the environment."""

    def __init__(self) -> None:
        base = data_dir()
        self.DATA_DIR = str(base)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or local_database_url(base)
        # Migrations run as the owner role; the application only ever connects as the runtime role.
        self.DATABASE_OWNER_URL = (
            os.environ.get("DATABASE_OWNER_URL")
            or os.environ.get("DATABASE_URL")
            or local_database_url(base, "lantian_owner")
        )
        self.DATABASE_RUNTIME_ROLE = runtime_role(self.SQLALCHEMY_DATABASE_URI)
        # No pool_pre_ping (a round trip per request): app/db_liveness.py finds connections the server closed
        # by looking at their sockets at checkout, so requests still recover by themselves after a restart.
        # jit=off: the planner prices the statistics and review-queue statements high enough to JIT-compile them,
        # which costs more than it saves on requests answered in milliseconds (EXPLAIN ANALYZE at 100,000
        # inspections: 4.4 s of LLVM in a 5.2 s statement; township statistics 411 ms with JIT, 232 ms without).
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "connect_args": {
                "connect_timeout": _int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5),
                "options": "-c jit=off",
            },
        }
        self.DATABASE_RETRY_AFTER_SECONDS = _int("DATABASE_RETRY_AFTER_SECONDS", 5)
        self.SECRET_KEY = _secret_key(base)
        # Valid sessions kept per process, evicted by NOTIFY on revocation; this TTL is only the fallback bound
        # (app/auth/session_cache.py). 0 switches the cache off: every request reads its session.
        self.AUTH_SESSION_CACHE_SECONDS = _int("AUTH_SESSION_CACHE_SECONDS", 10)
        # Current checklist hashes kept per process, forgotten by NOTIFY when the catalogue changes; the TTL is the
        # fallback bound (app/checklists/hash_cache.py). 0: every revalidation reads the hash.
        self.CHECKLIST_CACHE_SECONDS = _int("CHECKLIST_CACHE_SECONDS", 10)
        # Reference data every submission reads (penalty rules and settings, checklist parameters, a site's zones
        # and responsible sub-district) kept per process, emptied by NOTIFY when any of it changes; the TTL is
        # the fallback bound (app/reference_cache.py). 0: every submission reads them.
        self.REFERENCE_CACHE_SECONDS = _int("REFERENCE_CACHE_SECONDS", 10)
        self.ACCESS_TOKEN_TTL_SECONDS = min(_int("ACCESS_TOKEN_TTL_SECONDS", 900), 900)
        self.REFRESH_TOKEN_TTL_SECONDS = _int("REFRESH_TOKEN_TTL_SECONDS", 14 * 24 * 3600)
        self.LOGIN_MAX_FAILURES_PER_ACCOUNT = _int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
        self.LOGIN_MAX_FAILURES_PER_IP = _int("LOGIN_MAX_FAILURES_PER_IP", 20)
        self.LOGIN_WINDOW_SECONDS = _int("LOGIN_WINDOW_SECONDS", 900)
        self.PASSWORD_HASH_PARAMETERS: dict[str, int] | None = None  # argon2-cffi's defaults (RFC 9106)
        self.MAX_UPLOAD_BYTES = _int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
        # Flask's own 413 for whole bodies; the photo store enforces MAX_UPLOAD_BYTES on the image itself.
        self.MAX_CONTENT_LENGTH = max_request_body_bytes()
        self.MAX_IMAGE_PIXELS = _int("MAX_IMAGE_PIXELS", 50_000_000)
        self.MIN_OFFICERS = _int("MIN_OFFICERS", 2)
        self.INSPECTOR_APP_BASE_MAP = os.environ.get("INSPECTOR_APP_BASE_MAP", "")
        self.PHOTO_MAX_DISTANCE_M = _int("PHOTO_MAX_DISTANCE_M", 300)
        self.PHOTO_MAX_DISTANCE_BY_KIND = {
            k.strip(): int(v)
            for k, _, v in (
                p.partition("=") for p in os.environ.get("PHOTO_MAX_DISTANCE_BY_KIND", "").split(",") if p.strip()
            )
        }
        self.PHOTO_TIME_TOLERANCE_S = _int("PHOTO_TIME_TOLERANCE_S", 1800)
        self.INSPECTION_CLOCK_SKEW_S = _int("INSPECTION_CLOCK_SKEW_S", 300)
        self.JSON_MAX_DEPTH = _int("JSON_MAX_DEPTH", 64)
        self.JSON_MAX_BODY_BYTES = _int("JSON_MAX_BODY_BYTES", 4 * 1024 * 1024)
        self.INSPECTION_FEED_MAX_LIMIT = _int("INSPECTION_FEED_MAX_LIMIT", 500)
        # Validated here, so a mistyped reason code stops the start instead of a request.
        self.REVIEW_RISK_WEIGHTS = RiskWeights.from_json(os.environ.get("REVIEW_RISK_WEIGHTS")).as_dict()
        self.REVIEW_MIN_DURATION_MINUTES = _int("REVIEW_MIN_DURATION_MINUTES", 15)
        self.REVIEW_HIGH_AMOUNT_FEN = _int("REVIEW_HIGH_AMOUNT_FEN", 10_000_000)
        self.REVIEW_NEAR_DUPLICATE_MAX_BITS = _int("REVIEW_NEAR_DUPLICATE_MAX_BITS", 8)
        self.GEO_IMPORT_MAX_DEPTH = _int("GEO_IMPORT_MAX_DEPTH", 32)
        self.GEO_IMPORT_MAX_VERTICES_PER_FEATURE = _int("GEO_IMPORT_MAX_VERTICES_PER_FEATURE", 50_000)
        self.GEO_IMPORT_MAX_VERTICES = _int("GEO_IMPORT_MAX_VERTICES", 2_000_000)
        self.GEO_IMPORT_MAX_SECONDS = float(os.environ.get("GEO_IMPORT_MAX_SECONDS", "45"))
        self.TRUST_PROXY_HEADERS = os.environ.get("TRUST_PROXY_HEADERS", "0") == "1"
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        self.CONSOLE_BASEMAP_URL = os.environ.get("CONSOLE_BASEMAP_URL", "")
        self.CONSOLE_BASEMAP_CRS = os.environ.get("CONSOLE_BASEMAP_CRS", "wgs84")
        self.CONSOLE_BASEMAP_ATTRIBUTION = os.environ.get("CONSOLE_BASEMAP_ATTRIBUTION", "")
        self.CONSOLE_BASEMAP_MAX_ZOOM = _int("CONSOLE_BASEMAP_MAX_ZOOM", 18)
        self.PHOTO_ROOT = str(base / "photos")
        self.PHOTO_STORAGE = os.environ.get("PHOTO_STORAGE", "filesystem")
        self.PHOTO_S3_BUCKET = os.environ.get("PHOTO_S3_BUCKET", "")
        self.PHOTO_S3_PREFIX = os.environ.get("PHOTO_S3_PREFIX", "")
        self.PHOTO_S3_ENDPOINT_URL = os.environ.get("PHOTO_S3_ENDPOINT_URL") or None
        self.PHOTO_S3_REGION = os.environ.get("PHOTO_S3_REGION") or None
        self.PHOTO_S3_ADDRESSING_STYLE = os.environ.get("PHOTO_S3_ADDRESSING_STYLE", "auto")
        self.PHOTO_S3_CONDITIONAL_PUT = os.environ.get("PHOTO_S3_CONDITIONAL_PUT", "1") != "0"
        self.PHOTO_PARTIALS_MAX_PER_USER = _int("PHOTO_PARTIALS_MAX_PER_USER", 20)
        self.PHOTO_PARTIALS_MAX_BYTES_PER_USER = _int("PHOTO_PARTIALS_MAX_BYTES_PER_USER", 200 * 1024 * 1024)
        self.PHOTO_PARTIAL_MAX_AGE_HOURS = float(os.environ.get("PHOTO_PARTIAL_MAX_AGE_HOURS", "72"))
        self.JOBS_CONCURRENCY = _int("JOBS_CONCURRENCY", 2)
        self.JOBS_STALLED_AFTER_SECONDS = float(os.environ.get("JOBS_STALLED_AFTER_SECONDS", "60"))
        self.PHOTO_CACHE_MAX_AGE_SECONDS = _int("PHOTO_CACHE_MAX_AGE_SECONDS", 3600)
        self.PHOTO_WATERMARK_FONT = os.environ.get("PHOTO_WATERMARK_FONT") or None
        self.DOCUMENT_FONT_PATH = (
            os.environ.get("DOCUMENT_FONT_PATH") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
        )
        self.DOCUMENT_VERIFY_BASE_URL = os.environ.get("DOCUMENT_VERIFY_BASE_URL", "")
        self.CHECKLISTS_DIR = str(REPO_ROOT / "checklists")
        self.JSON_AS_ASCII = False
        # flask-smorest / OpenAPI
        self.API_TITLE = "Lantian 蓝天巡查 API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"  # served from the swagger-ui-bundle package


class TestConfig(Config):
    """Tests: database URLs handed in by the test run (runtime role; owner role for migrations), a fixed key."""

    def __init__(self, database_url: str, data_dir_path: str, owner_url: str | None = None) -> None:
        os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
        super().__init__()
        self.TESTING = True
        # The cheapest argon2 parameters: a login costs microseconds instead of ~0.1 s.
        self.PASSWORD_HASH_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.DATABASE_OWNER_URL = owner_url or database_url
        self.DATABASE_RUNTIME_ROLE = runtime_role(database_url)
        # In-process tests log out and expect the next request refused at once: no cache unless a test asks.
        self.AUTH_SESSION_CACHE_SECONDS = 0
        self.CHECKLIST_CACHE_SECONDS = 0
        self.REFERENCE_CACHE_SECONDS = 0
        self.DATA_DIR = data_dir_path
        self.PHOTO_ROOT = str(Path(data_dir_path) / "photos")
