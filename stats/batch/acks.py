"""One ack per batch where it is safe, instead of one per buffered request.

``AckLedger`` tracks the unsettled deliveries of the batch worker's task channel;
``RecordOtherDeliveries`` (a consumer step) records every other task's message in it;
``stats.batch.consumer.LeanBatches`` calls ``ack_batch`` when a batch returns.
"""

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from amqp import Channel as AMQPChannel
from celery import bootsteps

logger = logging.getLogger(__name__)


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


class AckedRequest(Protocol):
    """What a batch's request offers to be acked (``stats.batch.consumer.BufferedRequest``:
    named here by its shape, so this low module imports nothing of the consumer's)."""

    message: Any

    def ack(self, logger: logging.Logger, errors: Any, multiple: bool = False) -> None: ...


#: Tasks whose strategy settles its own deliveries a batch at a time say so with this
#: class attribute (``LeanBatches``); every other task's deliveries are recorded.
ACKS_BY_BATCH = "acks_by_batch"

_ledger: AckLedger | None = None


def ack_ledger(channel: Any) -> AckLedger | None:
    """The ledger of ``channel``, a new one after a reconnect; None where AMQP is not spoken.

    Registry: config.upstream "Celery ack promise" (py-amqp's Channel)."""
    global _ledger
    if not isinstance(channel, AMQPChannel):
        return None  # the embedded broker's virtual channel ignores ``multiple``
    if _ledger is None or _ledger.channel is not channel:
        _ledger = AckLedger(channel)
    return _ledger


def ack_batch(requests: Sequence[AckedRequest], errors: tuple[type[BaseException], ...]) -> None:
    """Ack a returned batch: one multiple ack when the ledger allows it, else one by one.

    Registry: config.upstream "Celery ack promise" (the promise passes ``multiple`` on)."""
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


class RecordOtherDeliveries(bootsteps.StartStopStep):
    """Record every other task's message in the ack ledger (see ``AckLedger``).

    Runs after the Tasks step on every consumer (re)start, which rebuilds the strategies.
    Registry: config.upstream "Celery ack promise" (wraps ``Consumer.strategies``).
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent: Any) -> None:
        for name, strategy in list(parent.strategies.items()):
            if not getattr(parent.app.tasks.get(name), ACKS_BY_BATCH, False):
                parent.strategies[name] = _recording(strategy)


def _recording(strategy: Callable[..., Any]) -> Callable[..., Any]:
    def record_then_handle(message: Any, *args: Any, **kwargs: Any) -> Any:
        ledger = ack_ledger(message.channel)
        if ledger is not None:
            ledger.record_other(message)
        return strategy(message, *args, **kwargs)

    return record_then_handle
