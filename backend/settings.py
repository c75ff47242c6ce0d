"""Every setting comes from the environment, with defaults that work on a laptop.

The README's Configuration section lists each variable; keep the two in step.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(make run generates one into var/secret_key)."
        )
    # A fresh key per process start is fine for development: only sessions and tokens are lost.
    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# Served over HTTPS (TLS ended at nginx or a load balancer, which sets X-Forwarded-Proto):
# redirect plain HTTP, HSTS, cookies only over TLS. `check --deploy` is clean with it on.
HTTPS = env_bool("DJANGO_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Joining browsers' preload list is hard to undo: the operator's choice, not a default.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

VAR_DIR = Path(env_str("APP_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "audiobooks",
]

# No GZipMiddleware: it buffers streaming responses, which would hold back every SSE event.
MIDDLEWARE = [
    # Outermost: a request's database connection goes back once its answer is rendered,
    # before a slow client reads it (a stream, before its first event is written).
    "audiobooks.db_connections.release_after_view",
    # The request's id on its answer (X-Request-ID) and on every log line it writes.
    "audiobooks.api.request_ids.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Sessions and CSRF serve the admin; the API authenticates with JWT only.
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# PostgreSQL (or any database dj-database-url knows) when DATABASE_URL is set; the
# embedded SQLite file otherwise.
DATABASE_URL = env_str("DATABASE_URL", "")
SQLITE_PATH = Path(env_str("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")))
# Connections each process keeps open to PostgreSQL for its requests, books and streams
# (psycopg's pool): opening one per request cost more than the request's queries. A request
# holds one only while its view runs, a stream only while it reads the log. 0: no pool.
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 20)
if DATABASE_URL:
    # conn_max_age=0: a request gives its connection back (to the pool, if any) when done.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
    if DATABASE_POOL_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 0,
            "max_size": DATABASE_POOL_SIZE,
            "max_idle": 60,  # seconds an unused connection stays open
            "timeout": 30,  # seconds a request waits for a free connection
        }
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)  # the embedded default needs no setup
    DATABASES = {
        "default": {
            "ENGINE": "backend.sqlite_pool",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # Jobs write pages while streams read events: WAL lets readers and one writer
                # overlap, IMMEDIATE transactions avoid lock-upgrade deadlocks between writers.
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests need a file (not shared-cache memory) so background jobs see committed rows.
            "TEST": {"NAME": str(SQLITE_PATH.with_name(SQLITE_PATH.stem + "_test.sqlite3"))},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there first
# WhiteNoise serves the admin's (and the docs page's) static files from the installed apps,
# so no collectstatic step or separate file server is needed.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Set (cloudinary://KEY:SECRET@CLOUD): original PDFs go to Cloudinary as private raw files
# instead of MEDIA_ROOT. The cloudinary SDK reads the same variable itself.
CLOUDINARY_URL = env_str("CLOUDINARY_URL", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every upload goes to a temporary file (never memory), refused as soon as it passes the limit.
FILE_UPLOAD_HANDLERS = ["audiobooks.upload_checks.size_limit.LimitedTemporaryFileUploadHandler"]
# A request body must have arrived within this many seconds (gevent workers): a direct
# client that sends it slowly holds a connection no longer (behind nginx it never triggers).
BODY_READ_SECONDS = env_float("BODY_READ_SECONDS", 300.0)
FILE_UPLOAD_TEMP_DIR = os.environ.get("FILE_UPLOAD_TEMP_DIR") or None  # None: the system's temp dir
# Readers' books are theirs: stored PDFs and their folders are private to the server's user.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "audiobooks.api.authentication.ReaderJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "audiobooks.api.request_parsing.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 20),
    "EXCEPTION_HANDLER": "audiobooks.api.error_responses.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A client's address for the per-address limits: the TRUSTED_PROXIES-th address from
    # the right of X-Forwarded-For (1 behind one nginx), else the connection's; never an
    # address the client wrote itself.
    "NUM_PROXIES": env_int("TRUSTED_PROXIES", 0),
    # Only views that name a throttle_scope are throttled.
    "DEFAULT_THROTTLE_CLASSES": ["audiobooks.api.throttles.OperationRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "uploads": env_str("BOOK_UPLOAD_RATE", "30/hour"),
        "auth": env_str("AUTH_RATE", "30/minute"),
        # Each account has its own cost limits, so accounts themselves are scarce.
        "register": env_str("REGISTER_RATE", "10/hour"),
        # A page drawn anew is a poppler run; a browser keeps what it got (ETag), so a
        # proofreader paging through a book stays far below this.
        "pictures": env_str("PAGE_IMAGE_RATE", "1200/hour"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Audiobooks API",
    "DESCRIPTION": "Upload PDF books and watch every page being read over Server-Sent Events.",
    "VERSION": "1.0.0",
    # 3.1: schemas are JSON Schema, so an SSE message's JSON `data` can carry its schema.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "audiobooks.api.openapi.add_errors_and_events",
    ],
    "PREPROCESSING_HOOKS": [
        "audiobooks.api.method_routing.one_operation_per_view",
    ],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "SIGNING_KEY": SECRET_KEY,
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "origin",
    "user-agent",
    "x-requested-with",
    "cache-control",
    "x-accel-buffering",
    "last-event-id",
)

# Sign-in: a username is locked after repeated failures (audiobooks/accounts.py), and
# passwords are hashed off the gevent event loop (same stored format as Django's PBKDF2).
AUTHENTICATION_BACKENDS = ["audiobooks.accounts.SignInGuardBackend"]
SIGN_IN_FAILURES_PER_USERNAME = env_int("SIGN_IN_FAILURES_PER_USERNAME", 5)
SIGN_IN_LOCK_SECONDS = env_int("SIGN_IN_LOCK_SECONDS", 900)
# Ours stands in for Django's PBKDF2PasswordHasher (same algorithm name, so not both: the
# last of a name would be the one that checks passwords).
PASSWORD_HASHERS = [
    "audiobooks.accounts.OffLoopPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# --- The book pipeline -------------------------------------------------------------------
BOOK_MAX_UPLOAD_BYTES = env_int("BOOK_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
BOOK_MAX_PAGES = env_int("BOOK_MAX_PAGES", 2000)
# How many pages are extracted at once in this process, across all books.
OCR_WORKERS = env_int("OCR_WORKERS", os.cpu_count() or 1)
OCR_DPI = env_int("OCR_DPI", 150)
OCR_PAGE_TIMEOUT = env_float("OCR_PAGE_TIMEOUT", 120.0)
# A page bigger than this at OCR_DPI is rendered at a lower dpi (a 200-inch page would be
# 900 MP at 150 dpi); 40 MP is an A4 page at 1200 dpi.
OCR_MAX_PIXELS = env_int("OCR_MAX_PIXELS", 40_000_000)
# What the PDF reader's child process may use (audiobooks/extraction/pdf_reader.py): a
# crafted PDF can inflate to gigabytes or spin the parser; it then fails alone, cleanly.
PDF_READER_MEMORY_MB = env_int("PDF_READER_MEMORY_MB", 1024)
PDF_READER_CPU_SECONDS = env_int("PDF_READER_CPU_SECONDS", 20)
PDF_READER_TIMEOUT = env_float("PDF_READER_TIMEOUT", 30.0)
# What one reader may cost (over a limit: 429 with Retry-After). Streams are counted per
# web process.
BOOKS_IN_FLIGHT_PER_USER = env_int("BOOKS_IN_FLIGHT_PER_USER", 3)
PAGES_PER_USER_PER_DAY = env_int("PAGES_PER_USER_PER_DAY", 3000)
STREAMS_PER_USER = env_int("STREAMS_PER_USER", 20)
# A page's stored text is cut here (and marked): more than any printed page holds.
PAGE_TEXT_MAX_CHARS = env_int("PAGE_TEXT_MAX_CHARS", 20_000)
# Tesseract's OpenMP threads fight each other on a small machine (one Hindi page: 9.3 s
# with the default, 4.2 s with one thread on 2 cores); parallelism belongs across pages.
# tesseract reads this from the environment it inherits.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
# A book whose process has not renewed its lease for this long is taken up by another.
BOOK_LEASE_SECONDS = env_float("BOOK_LEASE_SECONDS", 60.0)
# Who may read /metrics, by the address that connected: loopback by default. (A Celery
# worker's own metrics, on WORKER_METRICS_BIND, are limited by that bind address alone.)
METRICS_ALLOWED_NETWORKS = [
    str(ipaddress.ip_network(network))
    for network in env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
]
# Where a Celery worker serves its own metrics (host:port); empty: not served.
WORKER_METRICS_BIND = env_str("WORKER_METRICS_BIND", "127.0.0.1:9809")
# Books finished longer ago keep only their last event (publishing/event_retention.py),
# pruned hourly by the maintenance thread and by `manage.py prune_events`; 0 keeps all.
EVENT_RETENTION_DAYS = env_float("EVENT_RETENTION_DAYS", 30.0)
# A book taken over more often than this from a process that died or stopped answering
# (it keeps killing or hanging its reader) is failed instead of resumed forever.
BOOK_MAX_TAKEOVERS = env_int("BOOK_MAX_TAKEOVERS", 3)
SSE_HEARTBEAT_SECONDS = env_float("SSE_HEARTBEAT_SECONDS", 15.0)

# --- Scale-out: Celery workers on Redis ---------------------------------------------------
# Set: book jobs run as Celery tasks on `celery -A backend worker` processes, anywhere.
# Empty: they run in the web process (the embedded default).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
# A worker killed mid-book leaves its task unacknowledged; Redis hands it to another
# worker after this long (the book's lease lets a same-host worker take it up sooner).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for such messages every 10 s (kombu's default scans every 10th time: 100 s).
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker takes a book only when it has room for it
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A worker runs its books on threads that share one page pool of OCR_WORKERS tesseracts,
# so a worker's CPU use is bounded however many books it holds.
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_BOOKS", 4)
# Redis pub/sub that wakes every web process's streams when a worker stores an event.
EVENTS_REDIS_URL = env_str(
    "EVENTS_REDIS_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
# Throttle counts and sign-in locks, shared by every process (two web workers do not double
# a limit, a restart does not forget it): in Redis when there is one, else in the database
# (its table made by migration 0008).
if EVENTS_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": EVENTS_REDIS_URL,
            "KEY_PREFIX": "audiobooks",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "audiobooks_cache"}
    }
# A stream also re-reads the event log this often: the only way it sees other processes'
# events without EVENTS_REDIS_URL, and the fallback while Redis is away.
SSE_POLL_SECONDS = env_float("SSE_POLL_SECONDS", 10.0 if EVENTS_REDIS_URL else 1.0)

# text: readable lines, with [book=… user=… request=…] when known; json: one object per line.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "audiobooks.log_context.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"},
        "json": {"()": "audiobooks.log_context.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
