"""The stats app: the batch and bulk paths, the stale sweep, monitoring."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.broker import CELERY_BROKER_URL, CELERY_QUEUE_DELIVERY_LIMIT, CELERY_QUEUE_TYPE

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
# The smallest chunk; a catalog too large to be recomputed within STATS_BULK_WINDOW_HOURS
# at this size gets larger chunks (stats/bulk/window.py).
STATS_BULK_CHUNK_SIZE = env_int("STATS_BULK_CHUNK_SIZE", 1000)
STATS_BULK_WINDOW_HOURS = env_int("STATS_BULK_WINDOW_HOURS", 8, minimum=1)
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
