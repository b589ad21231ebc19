"""Celery and its broker: RabbitMQ from ``CELERY_BROKER_URL``, else the embedded default."""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str
from config.settings.core import VAR_DIR

# --- Celery ------------------------------------------------------------------------------
# Default: the embedded broker, a kombu transport of this project on one SQLite file in
# var/broker/ (config/embedded_broker: no server, unacked messages of a dead worker come
# back); the host is ignored but named, or kombu warns "No hostname was supplied" on every
# connection. RabbitMQ: amqp://guest:guest@127.0.0.1:5672//
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "sqlite://localhost//"
if (
    CELERY_BROKER_URL.startswith(("filesystem:", "sqlite:"))
    and not urlsplit(CELERY_BROKER_URL).hostname
):
    # A hand-written "sqlite://" names no host: the same warning. Celery reads
    # CELERY_BROKER_URL from the environment before these settings, so fix it there too.
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"] = (
        CELERY_BROKER_URL.split(":", 1)[0] + "://localhost//"
    )
BROKER_DIR = VAR_DIR / "broker"
# Seconds a worker of the embedded broker may go unheard (it writes every 2 s) before the
# messages it holds are handed to another; on this machine a worker that died is noticed
# at once, by its pid (config/embedded_broker/liveness.py).
CELERY_EMBEDDED_LEASE = env_int("CELERY_EMBEDDED_LEASE", 30, minimum=5)
# A message returned this many times (its worker killed while holding it, every time) is
# dropped instead of looping: quorum queues' x-delivery-limit, and the embedded broker's.
CELERY_QUEUE_DELIVERY_LIMIT = env_int("CELERY_QUEUE_DELIVERY_LIMIT", 20, minimum=1)
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
if CELERY_BROKER_URL.startswith("sqlite://"):
    import config.embedded_broker  # noqa: F401  (registers the sqlite:// scheme with kombu)

    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "database": str(BROKER_DIR / "broker.sqlite3"),
        "lease_seconds": CELERY_EMBEDDED_LEASE,
        # What kombu's filesystem transport left here in an older checkout: moved in once.
        "legacy_dir": str(BROKER_DIR),
        "delivery_limit": CELERY_QUEUE_DELIVERY_LIMIT,
    }
elif CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's own filesystem transport, still accepted (bench/embedded_broker.py measures
    # it); it loses a fetched message whose worker dies (docs/architecture.md).
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
# The workers' consumer class, prefetch and rules are their role's (config/queues.py).
