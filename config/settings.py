"""Django settings for Catalog Editor.

Every environment variable the project reads is read in this module (see the
README's configuration table). Defaults give a newcomer a working setup with no
services: SQLite and kombu's filesystem broker under ``var/``. Production mode
(``DJANGO_ENV=production``) has no defaults for secrets and refuses unsafe values.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.logs import logging_settings
from config.queues import (
    TASK_BULK_NIGHTLY,
    TASK_BULK_RESUME,
    TASK_CATEGORY_REFRESH,
    TASK_STALE_SWEEP,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CATALOG_VAR_DIR") or BASE_DIR / "var")
# SQLite file, embedded broker, beat schedule and test artefacts live here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Environment -------------------------------------------------------------
ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV={ENVIRONMENT!r}: expected development, test or production."
    )
IS_PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "dev-insecure-7c1f0b2e-catalog-editor-do-not-use-in-production-4a9d"
SECRET_KEY = env_str("SECRET_KEY", None if IS_PRODUCTION else DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)

if IS_PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a secret value when DJANGO_ENV=production."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")

# --- Applications --------------------------------------------------------------
INSTALLED_APPS = [
    # django-admin-interface must come before django.contrib.admin.
    "admin_interface",
    "colorfield",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "catalog",
    "stats",
    "editors",
    # Login brute-force protection; keep last so its checks see the other apps' models.
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records request.user as the author of every historical record (edit history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------
# mysql://root@127.0.0.1:3306/catalog for MariaDB; a SQLite file by default.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'catalog.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # Seconds a statement waits for a row lock before failing (MariaDB's default is 50).
    DATABASE_LOCK_WAIT_TIMEOUT = env_int("DATABASE_LOCK_WAIT_TIMEOUT", 50)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            "init_command": (
                "SET SESSION sql_mode='STRICT_TRANS_TABLES', "
                f"innodb_lock_wait_timeout={DATABASE_LOCK_WAIT_TIMEOUT}"
            ),
        }
    )
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has the web server and workers writing at once: WAL lets
    # readers run beside a writer, IMMEDIATE transactions take the write lock up front
    # (no upgrade deadlock), and the timeout makes writers queue instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static ----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing: after AXES_FAILURE_LIMIT failed logins for one username from one IP
# address, that pair is locked out for AXES_COOLOFF_MINUTES (other users and other IPs
# are not). A successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# In development gunicorn serves static files straight from the apps, no collectstatic.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- django-admin-interface ------------------------------------------------------------
# Its modals live in iframes; W019 warns about exactly that setting.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
# Shown in the admin header and favicon so nobody edits production by mistake.
ADMIN_ENVIRONMENT_NAME = env_str("ADMIN_ENVIRONMENT_NAME", ENVIRONMENT)

# --- Security (production) ---------------------------------------------------------------
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_HTTPONLY = True

# --- Celery ------------------------------------------------------------------------------
# Default: kombu's filesystem transport under var/broker (no server needed); the host is
# ignored but named, or kombu warns "No hostname was supplied" on every connection.
# RabbitMQ: amqp://guest:guest@127.0.0.1:5672//
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://localhost//"
if CELERY_BROKER_URL.startswith("filesystem:") and not urlsplit(CELERY_BROKER_URL).hostname:
    # A hand-written "filesystem://" names no host: the same warning. Celery reads
    # CELERY_BROKER_URL from the environment before these settings, so fix it there too.
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"] = "filesystem://localhost//"
BROKER_DIR = VAR_DIR / "broker"
# Publishing (an editor's save queues a recompute after commit) gives up quickly when the
# broker is down: the save has committed and its stale mark lets the sweep catch up, so
# an editor must not wait kombu's default ~6 s of reconnect attempts. A worker's consumer
# reconnects with its own, unbounded retry policy and is not affected.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(BROKER_DIR / "data"),
        "data_folder_out": str(BROKER_DIR / "data"),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
    for _folder in ("data", "control", "processed"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
# Queue type: "classic" on one RabbitMQ node (the default) or "quorum", RabbitMQ's
# replicated type, on a cluster. Quorum queues give up global QoS and ETA messages, and
# drop a message delivered more than CELERY_QUEUE_DELIVERY_LIMIT times (docs/operations.md).
# A queue keeps the type it was first declared with: changing it is a migration.
CELERY_QUEUE_TYPE = env_str("CELERY_QUEUE_TYPE", "classic")
if CELERY_QUEUE_TYPE not in ("classic", "quorum"):
    raise ImproperlyConfigured(
        f"CELERY_QUEUE_TYPE={CELERY_QUEUE_TYPE!r}: expected 'classic' or 'quorum'."
    )
if CELERY_QUEUE_TYPE == "quorum" and not CELERY_BROKER_URL.startswith(("amqp", "pyamqp")):
    raise ImproperlyConfigured(
        "CELERY_QUEUE_TYPE=quorum needs RabbitMQ (an amqp:// CELERY_BROKER_URL); the embedded "
        "broker has classic queues only."
    )
CELERY_QUEUE_DELIVERY_LIMIT = env_int("CELERY_QUEUE_DELIVERY_LIMIT", 20, minimum=1)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 14 * 60)
# Reconnect instead of exiting when RabbitMQ closes a channel (e.g. consumer_timeout).
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Rate limits without kombu's burst after an idle spell (see stats/bulk/ratelimit.py).
CELERY_WORKER_CONSUMER = "stats.bulk.ratelimit:SteadyRateConsumer"

# The deepest level a category may sit at (top level is 1): saves beyond it are refused,
# and every walk of the tree stops there even on bad data (catalog/tree.py).
CATALOG_CATEGORY_MAX_DEPTH = env_int("CATALOG_CATEGORY_MAX_DEPTH", 32, minimum=1)

# The largest import file accepted, in bytes (an upload or a command's file).
CATALOG_IMPORT_MAX_BYTES = env_int("CATALOG_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
# An import task's hard time limit in seconds: under RabbitMQ's consumer_timeout (30 min),
# which would otherwise close the channel of a worker still holding the unacked message.
CATALOG_IMPORT_TIME_LIMIT = env_int("CATALOG_IMPORT_TIME_LIMIT", 25 * 60)

# History page only: one editor's saves this close together share a row (0: a row per
# save). Every save is always stored.
EDITORS_HISTORY_FOLD_SECONDS = env_int("EDITORS_HISTORY_FOLD_SECONDS", 600)

# --- Statistics ----------------------------------------------------------------------------
# The batch task flushes every STATS_BATCH_FLUSH_EVERY requests or STATS_BATCH_FLUSH_INTERVAL
# seconds, whichever comes first.
STATS_BATCH_FLUSH_EVERY = env_int("STATS_BATCH_FLUSH_EVERY", 100)
STATS_BATCH_FLUSH_INTERVAL = env_int("STATS_BATCH_FLUSH_INTERVAL", 300)
# Several batch workers that still de-duplicate: with N > 1 shards a product's save requests
# go to shard queue product_id % N, each consumed by one worker at a time (RabbitMQ's single
# active consumer); the workers share the shards out through the database every
# STATS_BATCH_SHARD_HEARTBEAT seconds (stats/batch/shards.py, docs/operations.md).
STATS_BATCH_SHARDS = env_int("STATS_BATCH_SHARDS", 1, minimum=1)
if STATS_BATCH_SHARDS > 1 and not CELERY_BROKER_URL.startswith(("amqp", "pyamqp")):
    raise ImproperlyConfigured(
        f"STATS_BATCH_SHARDS={STATS_BATCH_SHARDS} needs RabbitMQ (an amqp:// CELERY_BROKER_URL);"
        " the embedded broker has no single active consumer: leave it at 1."
    )
STATS_BATCH_SHARD_HEARTBEAT = env_int("STATS_BATCH_SHARD_HEARTBEAT", 5, minimum=1)
# Products with total stock at or below this (and above 0) are "low stock".
STATS_LOW_STOCK_THRESHOLD = env_int("STATS_LOW_STOCK_THRESHOLD", 5)
# The backstop: every STATS_STALE_SWEEP_INTERVAL seconds, recompute products stale for
# longer than the flush interval plus STATS_STALE_MARGIN seconds, STATS_STALE_SWEEP_CHUNK
# at a time, at most STATS_STALE_SWEEP_MAX_CHUNKS chunks per sweep.
STATS_STALE_SWEEP_INTERVAL = env_int("STATS_STALE_SWEEP_INTERVAL", 120)
STATS_STALE_MARGIN = env_int("STATS_STALE_MARGIN", 60)
STATS_STALE_SWEEP_CHUNK = env_int("STATS_STALE_SWEEP_CHUNK", 500)
STATS_STALE_SWEEP_MAX_CHUNKS = env_int("STATS_STALE_SWEEP_MAX_CHUNKS", 20)
STATS_BATCH_FLUSH_RETENTION_DAYS = env_int("STATS_BATCH_FLUSH_RETENTION_DAYS", 7)
# Category figures aggregate whole subtrees: batches mark categories stale and this
# periodic refresh recomputes them, so they lag product figures by at most this long.
STATS_CATEGORY_REFRESH_INTERVAL = env_int("STATS_CATEGORY_REFRESH_INTERVAL", 30)

# Bulk recomputation: one task per chunk on the rate-limited bulk queue.
STATS_BULK_CHUNK_SIZE = env_int("STATS_BULK_CHUNK_SIZE", 1000)
STATS_BULK_RATE_LIMIT = env_str("STATS_BULK_RATE_LIMIT", "30/h")
STATS_BULK_MAX_ATTEMPTS = env_int("STATS_BULK_MAX_ATTEMPTS", 3)
# A chunk that takes its worker down each time must be counted failed by us (its run then
# ends) before the quorum queue drops its message and leaves the run active.
if CELERY_QUEUE_TYPE == "quorum" and CELERY_QUEUE_DELIVERY_LIMIT <= STATS_BULK_MAX_ATTEMPTS:
    raise ImproperlyConfigured(
        f"CELERY_QUEUE_DELIVERY_LIMIT={CELERY_QUEUE_DELIVERY_LIMIT}: must exceed "
        f"STATS_BULK_MAX_ATTEMPTS={STATS_BULK_MAX_ATTEMPTS} on quorum queues."
    )
# Well under RabbitMQ's consumer_timeout (30 min): a held message must be acked before it.
STATS_BULK_TIME_LIMIT = env_int("STATS_BULK_TIME_LIMIT", 600)
# Nightly whole-catalog run: a crontab "minute hour day-of-month month day-of-week".
STATS_BULK_SCHEDULE = env_str("STATS_BULK_SCHEDULE", "0 3 * * *")
_bulk_cron = STATS_BULK_SCHEDULE.split()
if len(_bulk_cron) != 5:
    raise ImproperlyConfigured(
        f"STATS_BULK_SCHEDULE={STATS_BULK_SCHEDULE!r}: expected 5 crontab fields."
    )
# Republish bulk chunks whose message never reached the broker, every this many seconds.
STATS_BULK_RESUME_INTERVAL = env_int("STATS_BULK_RESUME_INTERVAL", 300)

# Monitoring (stats/monitoring/). The management API gives unacked counts, rates and the
# active consumer; without it only ready messages and consumers are known.
RABBITMQ_MANAGEMENT_URL = env_str("RABBITMQ_MANAGEMENT_URL") or None
RABBITMQ_VHOST = env_str("RABBITMQ_VHOST", "/")
# How far behind the broker the management API's figures may be: RabbitMQ refreshes them
# every collect_statistics_interval (5 s by default). Every face shows it with the figures.
RABBITMQ_STATS_LAG = env_int("RABBITMQ_STATS_LAG", 5)
STATS_MONITOR_BATCH_QUEUE_MAX = env_int("STATS_MONITOR_BATCH_QUEUE_MAX", 10_000)
STATS_MONITOR_BULK_QUEUE_MAX = env_int("STATS_MONITOR_BULK_QUEUE_MAX", 5_000)
STATS_MONITOR_STALE_WARNING = env_int(
    "STATS_MONITOR_STALE_WARNING", STATS_BATCH_FLUSH_INTERVAL + STATS_STALE_SWEEP_INTERVAL * 2
)
STATS_MONITOR_STALE_CRITICAL = env_int("STATS_MONITOR_STALE_CRITICAL", 3600)
STATS_MONITOR_EXPECT_BULK_STANDBY = env_bool("STATS_MONITOR_EXPECT_BULK_STANDBY", False)
STATS_MONITOR_SAMPLE_RETENTION_HOURS = env_int("STATS_MONITOR_SAMPLE_RETENTION_HOURS", 7 * 24)
# The sampler (a thread of beat) stores a snapshot every STATS_MONITOR_SAMPLE_INTERVAL
# seconds; one older than STATS_MONITOR_SNAPSHOT_MAX_AGE is itself critical. A worker that
# misses STATS_MONITOR_MISSES replies in a row (embedded broker only) is declared gone.
STATS_MONITOR_SAMPLE_INTERVAL = env_int("STATS_MONITOR_SAMPLE_INTERVAL", 5)
STATS_MONITOR_SNAPSHOT_MAX_AGE = env_int(
    "STATS_MONITOR_SNAPSHOT_MAX_AGE", 4 * STATS_MONITOR_SAMPLE_INTERVAL + 10
)
STATS_MONITOR_MISSES = env_int("STATS_MONITOR_MISSES", 3)
# Bearer token for /metrics and /ops/status.json (staff sessions work too).
METRICS_TOKEN = env_str("METRICS_TOKEN") or None

CELERY_BEAT_SCHEDULE = {
    "stats-bulk-nightly": {
        "task": TASK_BULK_NIGHTLY,
        "schedule": crontab(
            minute=_bulk_cron[0],
            hour=_bulk_cron[1],
            day_of_month=_bulk_cron[2],
            month_of_year=_bulk_cron[3],
            day_of_week=_bulk_cron[4],
        ),
        "options": {"expires": 3600},
    },
    "stats-bulk-resume": {
        "task": TASK_BULK_RESUME,
        "schedule": STATS_BULK_RESUME_INTERVAL,
        "options": {"expires": STATS_BULK_RESUME_INTERVAL},
    },
    "stats-category-refresh": {
        "task": TASK_CATEGORY_REFRESH,
        "schedule": STATS_CATEGORY_REFRESH_INTERVAL,
        "options": {"expires": STATS_CATEGORY_REFRESH_INTERVAL},
    },
    "stats-stale-sweep": {
        "task": TASK_STALE_SWEEP,
        "schedule": STATS_STALE_SWEEP_INTERVAL,
        # A sweep still waiting when the next is due is superseded by it.
        "options": {"expires": STATS_STALE_SWEEP_INTERVAL},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Logging ----------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# Quiet by default: each process logs its start, warnings, errors and what happened
# (a sweep's result, a run started), not the routine of every request and task.
# CATALOG_VERBOSE=1 adds gunicorn's access lines for static files (config/access_log.py),
# each task received and succeeded, and each periodic task beat sends.
CATALOG_VERBOSE = env_bool("CATALOG_VERBOSE", False)
LOGGING = logging_settings(level=LOG_LEVEL, verbose=CATALOG_VERBOSE)
