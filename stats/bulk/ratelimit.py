"""The bulk worker's rate limit: steady (no burst after an idle spell), and spent on work only.

Where the 30/h of bulk chunks is enforced: Celery keeps one token bucket per rate-limited
task in the worker's main process, and this consumer (``CELERY_WORKER_CONSUMER``) shapes it.

A chunk message that will do no work (its run was cancelled, or a duplicate of a finished
chunk) passes without taking a token: a cancelled 100-chunk run would otherwise hold new
runs back for 100 token intervals (3 h 20 min at 30/h) while doing nothing.

kombu's TokenBucket only moves its clock while it is refilling. Once full, the clock
stays at the last refill, so the first task after an idle spell takes the full token and
the next refill counts the whole idle spell: a second task starts at once. At 30/h that
is two bulk chunks a second apart after every pause. The bulk tests caught it: a worker's
first two chunks started about 1 s apart at a rate of one per 3 s.
"""

import logging
from time import monotonic
from typing import Any

from kombu.utils.limits import TokenBucket

from config.consumer import WorkerConsumer
from config.queues import TASK_BULK_CHUNK

logger = logging.getLogger(__name__)


class SteadyTokenBucket(TokenBucket):
    # Registry: config.upstream "kombu TokenBucket refill".
    # Set by TokenBucket.__init__; its stubs leave out the private count and type the
    # rate and clock as their None class defaults.
    _tokens: float
    fill_rate: float
    timestamp: float

    def _get_tokens(self) -> float:
        now = monotonic()
        if self._tokens < self.capacity:
            self._tokens = min(
                self.capacity, self._tokens + self.fill_rate * (now - self.timestamp)
            )
        # Also while full: the next token is then earned from now, not from the last refill.
        self.timestamp = now
        return self._tokens


def _needs_no_token(request: Any) -> bool:
    """A bulk chunk request whose chunk no longer waits for work (a cheap indexed read)."""
    if request.name != TASK_BULK_CHUNK:
        return False
    from django.db import connection

    from stats.bulk.services import bulk_chunk_awaits_work

    args = request.args
    chunk_id = args[0] if isinstance(args, list | tuple) and len(args) == 1 else None
    if not isinstance(chunk_id, int) or isinstance(chunk_id, bool):
        return False  # the task rejects it; let it pay like any other message
    try:
        return not bulk_chunk_awaits_work(chunk_id=chunk_id)
    except Exception:
        logger.warning("Could not tell whether bulk chunk %s still waits for work.", chunk_id)
        return False  # when in doubt, respect the rate limit
    finally:
        # One read per message (30 an hour): the main process keeps no connection of its
        # own between them, so the worker holds one per pool process, as documented.
        connection.close()


class SteadyRateConsumer(WorkerConsumer):
    """The bulk role's consumer: every worker's (``WorkerConsumer``), its buckets steady."""

    # Registry: config.upstream "Celery consumer rate-limit buckets".
    def bucket_for_task(self, type: Any, *args: Any, **kwargs: Any) -> SteadyTokenBucket | None:
        limit = super().bucket_for_task(type, *args, **kwargs)
        return SteadyTokenBucket(limit.fill_rate, capacity=limit.capacity) if limit else None

    # celery-types leaves the consumer's private rate-limit methods out of its stubs.
    # Registry: config.upstream "Celery consumer rate-limit buckets".
    def _schedule_bucket_request(self, bucket: Any) -> None:
        # Requests at the head of the bucket that will do no work go to the pool at once,
        # without a token; Celery's own loop then handles the first one that needs one.
        while bucket.contents and _needs_no_token(bucket.contents[0][0]):
            request, _tokens = bucket.contents.popleft()
            self._limit_move_to_pool(request)  # type: ignore[attr-defined]
        super()._schedule_bucket_request(bucket)  # type: ignore[misc]
