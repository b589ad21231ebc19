"""The one table of queues and worker roles: every queue, what goes there, who consumes it.

Everything else derives from ``QUEUES`` and ``ROLES``: Celery's declarations and routes
(``config.celery``), the rules a worker applies when it starts (``config.workers``), the
queues monitoring shows and ``/readyz`` requires (``stats.monitoring``), where a save
request goes (``batch_queue_for``). The Procfile's ``-Q`` lists cannot import it, so
``tests/ops/test_queue_table.py`` holds the Procfile (and the deployment files generated
from it) against this table, and fails on a queue name written as a literal anywhere else.

Importable from the settings (the beat schedule names tasks): nothing here reads a
setting at import time.
"""

from dataclasses import dataclass

# --- Names -----------------------------------------------------------------------------------

#: Tasks with no dedicated queue.
QUEUE_DEFAULT = "default"
#: celery-batches statistics recomputation after editor saves (and the stale sweep).
QUEUE_STATS_BATCH = "stats.batch"
#: With STATS_BATCH_SHARDS > 1, save requests go to ``stats.batch.shard.<product id % N>``
#: instead (``batch_queue_for``); ``stats.batch`` keeps the sweep and bookkeeping.
QUEUE_STATS_BATCH_SHARD_PREFIX = "stats.batch.shard."
#: Rate-limited bulk recomputation, consumed by one dedicated worker.
QUEUE_STATS_BULK = "stats.bulk"
#: One product recomputed now (the "Recompute statistics" button), outside the batch
#: buffer; consumed by the batch worker beside ``stats.batch``.
QUEUE_STATS_NOW = "stats.now"
#: Catalog imports (one file at a time), consumed by the import worker: never the batch or
#: bulk queue, whose workers must keep up with saves and hold a steady rate.
QUEUE_CATALOG_IMPORTS = "catalog.imports"

TASK_PRODUCT_STATS_BATCH = "stats.product_stats_batch"
TASK_PRODUCT_STATS_NOW = "stats.product_stats_now"
TASK_STALE_SWEEP = "stats.stale_sweep"
TASK_CATEGORY_REFRESH = "stats.category_stats_refresh"
TASK_BULK_CHUNK = "stats.bulk_chunk"
TASK_BULK_NIGHTLY = "stats.bulk_nightly"
TASK_BULK_RESUME = "stats.bulk_resume"
TASK_CATALOG_IMPORT = "catalog.import_run"
TASK_CATALOG_IMPORT_SWEEP = "catalog.import_sweep"
TASK_CATALOG_BULK_EDIT = "catalog.bulk_edit_apply"
TASK_CATALOG_BULK_EDIT_UNDO = "catalog.bulk_edit_undo"
TASK_CATALOG_EXPORT = "catalog.export_run"

ROLE_BATCH, ROLE_BULK, ROLE_IMPORTS = "batch", "bulk", "imports"
#: The consumer class of every role but one that names its own, and of a worker without a role.
DEFAULT_CONSUMER = "config.consumer:WorkerConsumer"


# --- The table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSpec:
    """One queue. Every queue is declared durable, on a direct exchange of its name, with
    the type ``CELERY_QUEUE_TYPE`` gives every queue (classic, or quorum on a cluster)."""

    name: str
    #: The worker role that consumes it; None for a queue no worker consumes (nothing is
    #: routed there, so it may never exist on a fresh broker).
    role: str | None
    #: The tasks routed to it by name.
    routes: tuple[str, ...] = ()
    #: RabbitMQ's x-single-active-consumer: one consumer receives, the others wait attached.
    single_active_consumer: bool = False
    #: Save requests go to ``STATS_BATCH_SHARDS`` shard queues instead, with more than one
    #: shard (each with a single active consumer, consumed by the same role).
    sharded: bool = False


@dataclass(frozen=True)
class WorkerRole:
    """What a worker that consumes a role's queues runs as, and the rules it applies at start."""

    name: str
    #: Its Procfile process (started as ``-n <name>@%h``).
    process: str
    #: ``-c``: the processes the Procfile runs it with.
    concurrency: int
    #: Refuse to start with another ``-c`` (a rate limit is per worker process group).
    concurrency_fixed: bool = False
    #: Refuse to start consuming any queue of another role.
    exclusive: bool = False
    #: The prefetch multiplier: a number, or ``"module:function"`` of the concurrency.
    prefetch: int | str | None = None
    #: The consumer class (Celery's ``worker_consumer``).
    consumer: str = DEFAULT_CONSUMER
    #: Consumer bootsteps added to a worker of this role.
    consumer_steps: tuple[str, ...] = ()
    #: ``--max-tasks-per-child`` in the Procfile (a fresh pool process after that many).
    max_tasks_per_child: int | None = None


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        QUEUE_STATS_BATCH,
        ROLE_BATCH,
        routes=(
            TASK_PRODUCT_STATS_BATCH,
            # The sweep and the periodic bookkeeping run beside the batches they back up,
            # so no extra worker is needed; starting and resuming bulk runs is quick and
            # not worth a rate-limit token.
            TASK_STALE_SWEEP,
            TASK_CATEGORY_REFRESH,
            TASK_BULK_NIGHTLY,
            TASK_BULK_RESUME,
        ),
        sharded=True,
    ),
    # One product on request, on a queue of its own so that it never waits behind the
    # batch queue's backlog; the batch worker consumes both. Plain tasks, so
    # celery-batches never buffers them (docs/architecture.md).
    QueueSpec(QUEUE_STATS_NOW, ROLE_BATCH, routes=(TASK_PRODUCT_STATS_NOW,)),
    # Rate limits are per worker: RabbitMQ's single active consumer lets a standby bulk
    # worker wait attached without doubling the rate. The argument is fixed when the
    # queue is declared; docs/operations.md says how to move an existing queue.
    QueueSpec(QUEUE_STATS_BULK, ROLE_BULK, routes=(TASK_BULK_CHUNK,), single_active_consumer=True),
    # Minutes of work per message and hundreds of MB for a large file: a worker of its
    # own, one import at a time. Its sweep runs there too: the import worker shares the
    # uploads directory with the web, the others may not. A bulk edit's apply is the same
    # kind of work (minutes of catalog writes, one at a time): it runs there too, and so
    # does a large export (minutes of reads, its file in the directory shared with the web).
    QueueSpec(
        QUEUE_CATALOG_IMPORTS,
        ROLE_IMPORTS,
        routes=(
            TASK_CATALOG_IMPORT,
            TASK_CATALOG_IMPORT_SWEEP,
            TASK_CATALOG_BULK_EDIT,
            TASK_CATALOG_BULK_EDIT_UNDO,
            TASK_CATALOG_EXPORT,
        ),
    ),
    QueueSpec(QUEUE_DEFAULT, None),
)

ROLES: tuple[WorkerRole, ...] = (
    WorkerRole(
        ROLE_BATCH,
        "batch-worker",
        concurrency=1,
        # Room for two full batches (stats.batch.worker says why).
        prefetch="stats.batch.worker:batch_prefetch_multiplier",
        consumer_steps=(
            # The last resort if a batch buffer stops flushing (its docstring says when it goes).
            "stats.batch.watchdog:BatchFlushWatchdog",
            # Lets a batch be acked with one frame (stats.batch.acks.AckLedger).
            "stats.batch.acks:RecordOtherDeliveries",
            # With STATS_BATCH_SHARDS > 1: which shard queues this worker consumes.
            "stats.batch.shards:BatchShardLeases",
        ),
    ),
    # Celery enforces rate_limit per worker, so the 30/h of bulk chunks holds only with one
    # process; with a prefetch of one, a worker waiting for its next token holds a single
    # message and the backlog stays on the broker as ready messages. Another queue would
    # need another prefetch.
    WorkerRole(
        ROLE_BULK,
        "bulk-worker",
        concurrency=1,
        concurrency_fixed=True,
        exclusive=True,
        prefetch=1,
        # Rate limits without kombu's burst after an idle spell (stats/bulk/ratelimit.py).
        consumer="stats.bulk.ratelimit:SteadyRateConsumer",
    ),
    # An import is minutes of work: with Celery's default prefetch one worker would reserve
    # the next imports while running one, and a second import worker would find them
    # taken. A fresh pool process after each import returns a large file's memory.
    WorkerRole(ROLE_IMPORTS, "import-worker", concurrency=1, prefetch=1, max_tasks_per_child=1),
)


# --- Lookups ---------------------------------------------------------------------------------


def role_named(name: str) -> WorkerRole:
    """The worker role called ``name``."""
    return next(role for role in ROLES if role.name == name)


def role_queue_names(role: str) -> list[str]:
    """The queues a worker of ``role`` consumes: its ``-Q`` list (shard queues come at runtime)."""
    return [queue.name for queue in QUEUES if queue.role == role]


def batch_shard_count() -> int:
    """``STATS_BATCH_SHARDS``: save requests are spread over that many shard queues (1: none)."""
    from django.conf import settings

    return settings.STATS_BATCH_SHARDS


def batch_shard_queue(shard: int) -> str:
    """The name of batch shard queue ``shard`` (0-based)."""
    return f"{QUEUE_STATS_BATCH_SHARD_PREFIX}{shard}"


def batch_shard_queue_names(count: int | None = None) -> list[str]:
    """The shard queues of ``count`` shards (the setting's by default): none for one, when
    save requests use ``stats.batch``. Empty is the one answer to "is it sharded?"."""
    count = batch_shard_count() if count is None else count
    return [batch_shard_queue(shard) for shard in range(count)] if count > 1 else []


def batch_queue_for(product_id: int) -> str:
    """The queue of a product's save requests: its shard's, so one buffer sees all its saves."""
    shards = batch_shard_queue_names()
    return shards[product_id % len(shards)] if shards else QUEUE_STATS_BATCH


def batch_shards_among(names: set[str]) -> list[int]:
    """The shards whose queues are among ``names`` (what a worker consumes, say)."""
    return [k for k, name in enumerate(batch_shard_queue_names()) if name in names]


def declared_queues(*, shards: int | None = None) -> list[tuple[str, bool]]:
    """Every queue to declare as (name, single active consumer), in the table's order, each
    sharded queue followed by its shard queues (each with a single active consumer): what
    Celery declares, and the queues monitoring shows."""
    declared = []
    for queue in QUEUES:
        declared.append((queue.name, queue.single_active_consumer))
        if queue.sharded:
            declared += batch_shard_declarations(shards)
    return declared


def batch_shard_declarations(shards: int | None = None) -> list[tuple[str, bool]]:
    """The shard queues as (name, single active consumer): a single active consumer keeps
    one buffer per shard even while two workers consume it during a rebalance."""
    return [(name, True) for name in batch_shard_queue_names(shards)]


def queue_names(*, shards: int | None = None) -> list[str]:
    """The names of ``declared_queues``."""
    return [name for name, _ in declared_queues(shards=shards)]


def consumed_queue_names() -> list[str]:
    """The queues some Procfile worker consumes: ``/readyz`` needs a consumer on each. A
    queue no worker consumes (``default``) may never be declared on a fresh broker; the
    shard queues have a check of their own (their consumers change hands)."""
    return [queue.name for queue in QUEUES if queue.role]


def role_of(queue_name: str) -> str | None:
    """The role that consumes ``queue_name`` (a shard queue: its sharded queue's)."""
    for queue in QUEUES:
        if queue.name == queue_name:
            return queue.role
    if queue_name.startswith(QUEUE_STATS_BATCH_SHARD_PREFIX):
        return next(queue.role for queue in QUEUES if queue.sharded)
    return None
