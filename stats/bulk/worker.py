"""The bulk worker's rules: one process, one message held, nothing else consumed.

Celery enforces ``rate_limit`` per worker instance, so the 30/h of bulk chunks holds
only with one active bulk worker (a standby waits behind RabbitMQ's single active
consumer). With one process and a prefetch of one, a worker waiting for its next
rate-limit token holds a single message and the backlog stays on the broker as ready
messages. A worker that also consumed the batch queue would need a large prefetch for
batches and a prefetch of 1 here, so that is refused too.
"""

import logging
from typing import Any

from celery.signals import worker_init

from config.queues import QUEUE_STATS_BULK
from stats.batch.worker import consumed_queues

logger = logging.getLogger(__name__)


class BulkWorkerMisconfigured(RuntimeError):
    pass


def check_bulk_worker(queues: set[str], concurrency: int) -> None:
    """Refuse a bulk worker that would break the rate limit or the batch buffer."""
    if QUEUE_STATS_BULK not in queues:
        return
    if queues != {QUEUE_STATS_BULK}:
        raise BulkWorkerMisconfigured(
            f"The bulk worker must consume only {QUEUE_STATS_BULK!r} (-Q {QUEUE_STATS_BULK}); "
            f"got {sorted(queues)}."
        )
    if concurrency != 1:
        raise BulkWorkerMisconfigured(
            f"The bulk worker must run with -c 1 (got -c {concurrency}): see docs/operations.md."
        )


@worker_init.connect
def _bulk_worker_rules(sender: Any, **kwargs: Any) -> None:
    queues = consumed_queues(sender)
    try:
        check_bulk_worker(queues, sender.concurrency)
    except BulkWorkerMisconfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; exit for real.
        logger.critical("%s", exc)
        raise SystemExit(f"Refusing to start: {exc}") from None
    if QUEUE_STATS_BULK in queues:
        # The backlog must stay on the broker as ready messages: hold one at a time.
        sender.prefetch_multiplier = 1
