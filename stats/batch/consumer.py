"""The batch task's base class: celery-batches with a lighter path per message.

celery-batches' buffer, timer and flush are kept; each buffered message becomes a small
``BufferedRequest`` instead of a full Celery ``Request``, and a returned batch is acked
with one frame where ``stats.batch.acks`` shows it is safe.
"""

import logging
import time
from collections.abc import Callable
from itertools import count
from typing import Any

from celery_batches import Batches, SimpleRequest, consume_queue
from celery_batches.trace import apply_batches_task

from stats.batch.acks import ack_batch, ack_ledger
from stats.batch.message import products_counted, read_body

logger = logging.getLogger(__name__)

#: Per batch task: when its buffer last went from empty to holding a request (set by
#: ``LeanBatches``' strategy; read by ``stats.batch.control`` and the watchdog).
buffered_since: dict[str, float] = {}


class BufferedRequest:
    """One message waiting in a batch buffer: what the batch needs, and how to ack it.

    Registry: config.upstream "celery-batches Strategy" (Batches._do_flush reads ``eta``).

    celery-batches builds a full Celery ``Request`` per message (headers copied, time
    limits, events...) only to shrink it to a ``SimpleRequest`` at flush time; at 100
    messages per batch that was about a quarter of the worker's main process (bench/stats.py).
    """

    __slots__ = ("ack", "eta", "message", "simple")

    def __init__(self, message: Any, simple: SimpleRequest, ack: Any) -> None:
        self.message = message  # the watchdog compares its channel after a reconnect
        self.simple = simple
        self.ack = ack
        self.eta = None  # celery-batches' flush asks; the batch task is never delayed


class LeanBatches(Batches):
    """celery-batches with a lighter path per message; buffering and flushing unchanged.

    Only for tasks with ``acks_late``: every request is acked, through the promise the
    consumer hands the strategy (which also restores a prefetch count reduced after a
    reconnect), once the batch has returned, whatever it did.

    A new consumer (after a broker reconnect) gets a flush timer of its own: celery-batches
    0.11 keeps the old consumer's timer entry in ``_tref``, so nothing re-arms the timer and
    fewer than ``flush_every`` requests are never flushed (its issues #99/#107; fixed upstream
    by #108, unreleased). ``Strategy`` runs on every consumer start, as #108's fix does.
    """

    abstract = True
    #: Its deliveries are settled a batch at a time (``stats.batch.acks``).
    acks_by_batch = True
    #: celery-batches' flush timer entry, None while nothing is buffered (set by Batches).
    #: Registry: config.upstream "celery-batches buffer and flush timer".
    _tref: Any
    #: celery-batches' count of buffered requests (reset by its flush).
    _count: "count[int]"

    def __init__(self) -> None:
        super().__init__()
        self.started_at = time.time()
        self.last_flush_at: float | None = None

    # Registry: config.upstream "celery-batches Strategy" (replaces Batches.Strategy).
    def Strategy(self, task: Batches, app: Any, consumer: Any) -> Callable[..., None]:
        self.start_consumer()
        self._pool = consumer.pool
        self._connection_errors = consumer.connection_errors
        hostname = consumer.hostname
        timer = consumer.timer
        buffer = self._buffer

        def task_message_handler(
            message: Any, body: Any, ack: Any, reject: Any, callbacks: Any, **kwargs: Any
        ) -> None:
            try:
                args, kw = read_body(message)
                request_id = message.headers["id"]
            except Exception:
                logger.exception(
                    "Rejected an undecodable message for %s; the product stays stale.", task.name
                )
                reject(logger, self._connection_errors, False)
                return
            # Celery's rule: the message's ignore_result, else the task's (results of a
            # task that keeps them can be stored per request, as upstream's examples do).
            ignore = message.headers.get("ignore_result")
            ignore = task.ignore_result if ignore is None else ignore
            simple = SimpleRequest(
                request_id, task.name, args, kw, {}, hostname, ignore, None, None, {}
            )
            ledger = ack_ledger(message.channel)
            if ledger is not None:
                ledger.batched.add(message.delivery_tag)
            buffer.put(BufferedRequest(message, simple, ack))
            if buffer.qsize() == 1:
                buffered_since[task.name] = time.time()
            if self._tref is None:  # the first request starts the flush timer
                self._tref = timer.call_repeatedly(self.flush_interval, self._do_flush)
            # Each product of a message of several counts as one request (celery-batches
            # counts messages): a flush still takes about flush_every products.
            first = next(self._count)
            last = first + products_counted(args, kw) - 1
            if last > first:
                self._count = count(last + 1)
            if last // self.flush_every > (first - 1) // self.flush_every:
                self._do_flush()

        return task_message_handler

    def start_consumer(self) -> None:
        """A consumer (re)starts: forget the previous connection's requests and its timer.

        Celery calls ``Strategy`` on every consumer start, so whatever is buffered then came
        over a previous connection: its messages are unacked on a closed channel, RabbitMQ
        redelivers them, and acking them would fail, so they are dropped (not recomputed
        twice). The old timer entry belongs to the previous consumer's timer, cleared by
        Celery on the reconnect: it is cancelled, and the next request arms a new one on the
        new consumer's timer (upstream #108 re-arms it in ``Strategy`` the same way). Registry:
        config.upstream "celery-batches buffer and flush timer".
        """
        dropped = len(list(consume_queue(self._buffer))) + len(list(consume_queue(self._pending)))
        if self._tref is not None:
            self._tref.cancel()
            self._tref = None
        self._count = count(1)
        buffered_since.pop(self.name, None)
        if dropped:
            logger.warning(
                "Batch task %s: dropped %d buffered requests of the previous broker "
                "connection; RabbitMQ redelivers them.",
                self.name,
                dropped,
            )

    # Registry: config.upstream "celery-batches flush" (replaces Batches.flush).
    def flush(self, requests: list[BufferedRequest]) -> Any:
        self.last_flush_at = time.time()
        errors = self._connection_errors

        def on_return(result: Any) -> None:
            ack_batch(requests, errors)

        return self._pool.apply_async(
            apply_batches_task,
            (self, ([r.simple for r in requests],), 0, None),
            callback=on_return,
        )
