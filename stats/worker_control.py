"""How the batch worker buffers, acks and reports its celery-batches requests.

- ``LeanBatches``, the batch task's base class: celery-batches' buffer, timer and flush,
  with a lighter object per buffered message (``BufferedRequest``) and one ack per batch
  where it is safe (``AckLedger``, fed by the ``RecordOtherDeliveries`` consumer step).
- The remote-control command ``batch_buffer``: buffered requests are invisible to
  ``inspect reserved`` and to task events; from outside the worker only RabbitMQ's
  unacked count hints at them. Imported by ``stats.tasks``, so every worker that loads
  our tasks answers it.
- ``BatchFlushWatchdog`` (a consumer step added in ``config/celery.py``) keeps the
  buffers flushing across broker reconnects.
"""

import json
import logging
import time
from itertools import count
from typing import Any

from amqp import Channel as AMQPChannel
from celery import bootsteps
from celery.worker.control import inspect_command
from celery_batches import Batches, SimpleRequest, consume_queue
from celery_batches.trace import apply_batches_task

logger = logging.getLogger(__name__)

#: Per batch task: when its buffer last went from empty to holding a request (set by
#: ``LeanBatches``' strategy; read by ``batch_buffer`` and the watchdog).
_buffered_since: dict[str, float] = {}


class AckLedger:
    """The unsettled deliveries of the task channel, so a batch can be acked in one frame.

    Acking each of a batch's 100 messages cost the worker's main process, and RabbitMQ,
    more than anything else per save event (bench/stats.py). AMQP's ``multiple`` ack
    settles every delivery up to a tag at once, including other tasks' messages that
    share the channel (the sweep, a monitoring sample...), which must not be acked
    before they are done. So a multiple ack is only sent when every delivery at or below
    the batch's highest tag is settled or in the batch; otherwise each request is acked
    on its own, as celery-batches does.

    Delivery tags are consecutive per channel and handled in order, and every delivery
    reaches either a batch strategy (recorded in ``batched``), another task's strategy
    (recorded by ``RecordOtherDeliveries`` in ``others``), or is settled at once by the
    consumer (an unknown or invalid message), so nothing unsettled can hide in a gap.
    """

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.batched: set[int] = set()
        self.others: dict[int, Any] = {}

    def record_other(self, message: Any) -> None:
        if len(self.others) >= 64:
            self.others = {t: m for t, m in self.others.items() if not m.acknowledged}
        self.others[message.delivery_tag] = message

    def can_ack_through(self, tag: int) -> bool:
        """Whether nothing at or below ``tag`` is unsettled (the batch's own tags removed)."""
        if any(t <= tag for t in self.batched):
            return False  # another batch, still buffered or running
        return all(m.acknowledged for t, m in self.others.items() if t <= tag)


_ledger: AckLedger | None = None


def ack_ledger(channel: Any) -> AckLedger | None:
    """The ledger of ``channel``, a new one after a reconnect; None where AMQP is not spoken."""
    global _ledger
    if not isinstance(channel, AMQPChannel):
        return None  # the embedded broker's virtual channel ignores ``multiple``
    if _ledger is None or _ledger.channel is not channel:
        _ledger = AckLedger(channel)
    return _ledger


def ack_batch(requests: list["BufferedRequest"], errors: tuple) -> None:
    """Ack a returned batch: one multiple ack when the ledger allows it, else one by one."""
    last = max(requests, key=lambda r: r.message.delivery_tag)
    ledger = ack_ledger(last.message.channel)
    tags = {r.message.delivery_tag for r in requests if r.message.channel is last.message.channel}
    if ledger is not None and len(tags) == len(requests):
        ledger.batched -= tags
        if ledger.can_ack_through(last.message.delivery_tag):
            last.ack(logger, errors, True)  # the consumer's promise passes ``multiple`` on
            return
    for request in requests:
        request.ack(logger, errors)


class BufferedRequest:
    """One message waiting in a batch buffer: what the batch needs, and how to ack it.

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
    """

    abstract = True

    def __init__(self) -> None:
        super().__init__()
        self.started_at = time.time()
        self.last_flush_at: float | None = None

    def Strategy(self, task: Batches, app: Any, consumer: Any):
        self._pool = consumer.pool
        self._connection_errors = consumer.connection_errors
        hostname = consumer.hostname
        timer = consumer.timer
        buffer = self._buffer

        def task_message_handler(message, body, ack, reject, callbacks, **kwargs) -> None:
            try:
                if message.content_type == "application/json":
                    args, kw, _embed = json.loads(message.body)
                else:  # refused unless accepted by the app (kombu raises ContentDisallowed)
                    args, kw, _embed = message.decode()
                request_id = message.headers["id"]
            except Exception:
                logger.exception(
                    "Rejected an undecodable message for %s; the product stays stale.", task.name
                )
                reject(logger, self._connection_errors, False)
                return
            simple = SimpleRequest(
                request_id, task.name, args, kw, {}, hostname, True, None, None, {}
            )
            ledger = ack_ledger(message.channel)
            if ledger is not None:
                ledger.batched.add(message.delivery_tag)
            buffer.put(BufferedRequest(message, simple, ack))
            if buffer.qsize() == 1:
                _buffered_since[task.name] = time.time()
            if self._tref is None:  # the first request starts the flush timer
                self._tref = timer.call_repeatedly(self.flush_interval, self._do_flush)
            if not next(self._count) % self.flush_every:
                self._do_flush()

        return task_message_handler

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


class RecordOtherDeliveries(bootsteps.StartStopStep):
    """Record every other task's message in the ack ledger (see ``AckLedger``).

    Runs after the Tasks step on every consumer (re)start, which rebuilds the strategies.
    """

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, parent) -> None:
        for name, strategy in list(parent.strategies.items()):
            if not isinstance(parent.app.tasks.get(name), LeanBatches):
                parent.strategies[name] = _recording(strategy)


def _recording(strategy):
    def record_then_handle(message, *args, **kwargs):
        ledger = ack_ledger(message.channel)
        if ledger is not None:
            ledger.record_other(message)
        return strategy(message, *args, **kwargs)

    return record_then_handle


@inspect_command(name="batch_buffer")
def batch_buffer(state, **kwargs) -> dict:
    """Buffers of the Batches tasks, from workers that consume their queue only.

    Every worker loads every task, so a bulk worker would otherwise report an empty
    batch buffer it can never fill.
    """
    consumer = state.consumer
    consumed = {queue.name for queue in consumer.task_consumer.queues}
    routes = consumer.app.conf.task_routes or {}
    answer = {}
    for name, task in consumer.app.tasks.items():
        queue = (routes.get(name) or {}).get("queue", consumer.app.conf.task_default_queue)
        if queue not in consumed:
            continue
        if isinstance(task, Batches):
            buffered = task._buffer.qsize() + task._pending.qsize()
            answer[name] = {
                "buffered": buffered,
                "buffered_since": _buffered_since.get(name) if buffered else None,
                "last_flush_at": getattr(task, "last_flush_at", None),
                "started_at": getattr(task, "started_at", None),
                "flush_interval": task.flush_interval,
                "flush_every": task.flush_every,
            }
    return answer


class BatchFlushWatchdog(bootsteps.StartStopStep):
    """Keep celery-batches flushing across broker reconnects.

    Known upstream failure (fixed upstream, not released; reproduced by
    ``tests/stats/test_broker_restart.py``): a reconnect clears the consumer's timer, but
    the task still holds the dead timer entry in ``_tref``, so no new request re-arms it
    and a worker holding fewer than ``flush_every`` requests never flushes them. Two
    remedies, because the second also covers causes we have not seen:

    - on every (re)start of the consumer, the requests that came over the previous
      connection are dropped (they are unacked on a closed channel, so RabbitMQ
      redelivers them, and acking them would fail) and the timer entry is reset;
    - every flush interval, a buffer whose oldest request has waited more than twice the
      interval is flushed at once and its timer re-armed, with an error in the log.
    """

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent) -> None:
        tasks = [t for t in parent.app.tasks.values() if isinstance(t, Batches)]
        if not tasks:
            return
        for task in tasks:
            self.forget_previous_connection(parent, task)
        every = max(1.0, min(float(t.flush_interval) for t in tasks))
        self.tref = parent.timer.call_repeatedly(every, self.check, (parent, tasks))

    def forget_previous_connection(self, parent, task: Batches) -> None:
        channel = parent.task_consumer.channel if parent.task_consumer else None
        dropped = 0
        for queue in (task._buffer, task._pending):
            for request in list(consume_queue(queue)):
                if getattr(request.message, "channel", None) is channel:
                    queue.put(request)
                else:
                    dropped += 1
        if task._tref is not None:
            task._tref.cancel()
            task._tref = None
        left = task._buffer.qsize() + task._pending.qsize()
        task._count = count(left + 1)
        if left:
            task._tref = parent.timer.call_repeatedly(task.flush_interval, task._do_flush)
        else:
            _buffered_since.pop(task.name, None)
        if dropped:
            logger.warning(
                "Batch task %s: dropped %d buffered requests of the previous broker "
                "connection; RabbitMQ redelivers them.",
                task.name,
                dropped,
            )

    def stop(self, parent) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def check(self, parent, tasks) -> None:
        now = time.time()
        for task in tasks:
            since = _buffered_since.get(task.name)
            buffered = task._buffer.qsize()
            if not buffered or since is None or now - since <= 2 * task.flush_interval:
                continue
            logger.error(
                "Batch task %s holds %d requests unflushed for %.0f s (flush interval %s s): "
                "re-arming its flush timer.",
                task.name,
                buffered,
                now - since,
                task.flush_interval,
            )
            if task._tref is not None:
                task._tref.cancel()
            task._tref = parent.timer.call_repeatedly(task.flush_interval, task._do_flush)
            task._do_flush()
