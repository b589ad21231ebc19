"""The queue type setting: the arguments every queue is declared with, and a readable
refusal when the broker holds a queue of the other type.

RabbitMQ fixes a queue's type (and its other ``x-`` arguments) when the queue is first
declared; declaring it again with other arguments fails with ``PRECONDITION_FAILED -
inequivalent arg``, which a worker would otherwise retry forever, one channel error at a
time. docs/operations.md ("Quorum queues") says how to move an existing queue.
"""

import logging
from collections.abc import Iterable
from typing import Any

from amqp.exceptions import PreconditionFailed
from kombu import Queue

logger = logging.getLogger(__name__)


class QueueTypeMismatch(RuntimeError):
    pass


def queue_arguments(
    *, queue_type: str, delivery_limit: int, **arguments: object
) -> dict[str, object] | None:
    """A queue's declaration arguments: its own ones plus those of the configured type.

    Quorum queues get ``x-delivery-limit``: a message returned that many times (a worker
    killed while holding it, every time) is dropped instead of looping forever; the
    database's stale marks and bulk chunks are what bring its work back (operations guide).
    """
    if queue_type == "quorum":
        arguments = {**arguments, "x-queue-type": "quorum", "x-delivery-limit": delivery_limit}
    return arguments or None


def mismatch_message(queue: Queue, exc: PreconditionFailed, queue_type: str) -> str:
    """One readable line for an inequivalent declaration of ``queue``."""
    return (
        f"Queue {queue.name!r} already exists on the broker with other arguments than "
        f"CELERY_QUEUE_TYPE={queue_type} declares ({exc.reply_text}). RabbitMQ cannot change "
        f"a queue in place: drain and delete it, or stay on its type "
        f"(docs/operations.md, 'Moving to quorum queues')."
    )


def check_queue_declarations(connection: Any, queues: Iterable[Queue], queue_type: str) -> None:
    """Declare each queue as configured, raising ``QueueTypeMismatch`` on a mismatch.

    A failed declaration closes its channel, so each queue gets a channel of its own.
    """
    for queue in queues:
        channel = connection.channel()
        try:
            queue.bind(channel).declare()
        except PreconditionFailed as exc:
            raise QueueTypeMismatch(mismatch_message(queue, exc, queue_type)) from None
        finally:
            if channel.is_open:
                channel.close()
