"""Write now, publish after commit: the one way work is handed to a worker.

Every path that asks a worker for something (an editor's save, the "Recompute statistics"
button, a bulk run, an import's dry run and import, a bulk edit) does two things:

1. **It writes the durable record of the work now**, in its own transaction: a stale
   mark, a bulk run's chunks, an import's state. The record commits with the change or
   not at all, and it is what a repair reads when a message never arrives.
2. **It adds the message to its path's** ``Outbox``. Nothing is sent before the
   transaction commits (a worker never reads half-saved rows, a rollback sends nothing);
   a key added twice in one transaction is sent once (a product saved with three variant
   rows is one request); once the transaction commits, the outbox hands its items, in key
   order, to the path's sender. Outside a transaction an item is sent at once.

The sender is a function of the path's ``tasks.py``, named by its dotted path and imported
when the first message goes out: Celery's wiring stays in the tasks modules and services
never import Celery. A sender publishes without Celery's publish retries, and the broker
transport options (``config/settings/broker.py``) bound each connection attempt: a
publish to a broker that refuses connections gives up at once, to one that does not
answer after ``CELERY_BROKER_CONNECTION_TIMEOUT``, instead of holding an editor's save
for kombu's default six seconds of retries (``bench/publish_outage.py``).

When a publish fails, the rest of that transaction's messages are not tried (the broker
is down: each would wait and fail the same way), **one** line is logged with how many
were not sent and what repairs them, and the committed records stay for that repair:

- ``recompute_requests`` (``stats.batch.requests``) and ``now_requests``
  (``stats.now.services``): the stale mark; the stale sweep (``stats.recompute.sweep``).
- ``chunk_messages`` (``stats.bulk.publish``): chunks without ``published_at``; the bulk
  resume (the same module).
- ``import_steps`` (``catalog.imports.jobs``): an import without ``queued_at``; the import
  sweep (``catalog.imports.sweep``).
- ``bulk_edits`` (``catalog.bulkedit.jobs``): a bulk edit without ``queued_at``; the
  import sweep (``catalog.bulkedit.sweep``).
- ``bulk_edit_undos`` (``catalog.bulkedit.undo``): an undo without ``undo_queued_at``; the
  same sweep.

A caller that must say what was not sent (a command, the admin, an import's page) reads
the failures of its block with ``unsent()``.
"""

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic

from django.utils.module_loading import import_string

from config.humanize import quantity
from config.transactions import KeyT, PerTransaction

logger = logging.getLogger(__name__)

#: Publishes each (key, value) it takes from the iterator, in order; raises on a failure
#: (``PartlySent`` from it when it publishes several items at once).
Sender = Callable[[Iterator[tuple[Any, Any]]], None]

_watchers = threading.local()


@dataclass(frozen=True)
class Unsent:
    """What one publish could not send; the durable records wait for ``repair``."""

    outbox: str
    #: How many messages, in words: "3 statistics requests".
    what: str
    #: What sends or recomputes them instead, in words an editor reads too.
    repair: str
    #: The exception, for the log: "ConnectionRefusedError: [Errno 111] Connection refused".
    error: str

    def sentence(self) -> str:
        """For a page: what was not sent and what follows (the error is in the log)."""
        return f"{self.what[0].upper()}{self.what[1:]} could not be sent: {self.repair}."


class PartlySent(Exception):
    """Raised (from the publish's error) by a sender that publishes its items in groups, so
    that the count of what was not sent is right: ``sent`` items went out before it."""

    def __init__(self, sent: int) -> None:
        super().__init__(f"{sent} sent")
        self.sent = sent


class Outbox(Generic[KeyT]):
    """One path's messages, sent once per key after the transaction that wrote them commits.

    ``send``: the dotted path of the sender in the path's tasks module. ``what``: the
    singular and plural of one message, for the log line. ``repair``: what sends or
    recomputes an unsent message's work instead, for the log line and the pages.
    """

    def __init__(self, name: str, *, send: str, what: tuple[str, str], repair: str) -> None:
        self.name = name
        self.what = what
        self.repair = repair
        self._send = send
        #: What the current transaction holds for this outbox until it commits.
        self.pending: PerTransaction[KeyT] = PerTransaction(name, on_commit=self._publish)

    def add(self, key: KeyT, value: Any = None, *, using: str | None = None) -> bool:
        """Send ``key`` (with ``value``) once the current transaction commits; True if new.

        A value that is not None replaces the key's earlier value in this transaction.
        """
        return self.pending.add(key, value, using=using)

    def send_now(self, items: Mapping[KeyT, Any] | Iterable[KeyT]) -> Unsent | None:
        """Send at once, as after a commit: for a repair, whose records are written already."""
        pending = dict(items) if isinstance(items, Mapping) else dict.fromkeys(items)
        return self._publish(pending)

    def _publish(self, items: dict[KeyT, Any]) -> Unsent | None:
        pending = sorted(items.items())
        if not pending:
            return None
        taken = 0

        def feed() -> Iterator[tuple[KeyT, Any]]:
            nonlocal taken
            for item in pending:
                taken += 1
                yield item

        try:
            sender: Sender = import_string(self._send)
            sender(feed())
        except Exception as raised:
            # The item being sent when it raised is counted unsent with those after it.
            sent = max(taken - 1, 0)
            exc: BaseException = raised
            if isinstance(raised, PartlySent):
                sent, exc = raised.sent, raised.__cause__ or raised
            unsent = Unsent(
                outbox=self.name,
                what=quantity(len(pending) - sent, *self.what),
                repair=self.repair,
                error=f"{type(exc).__name__}: {exc}",
            )
            logger.error("Could not queue %s; %s (%s).", unsent.what, unsent.repair, unsent.error)
            for found in getattr(_watchers, "stack", []):
                found.append(unsent)
            return unsent
        return None


@contextmanager
def unsent() -> Iterator[list[Unsent]]:
    """The publishes that fail inside the block, those after a commit in it included.

    Per thread; blocks may nest (each sees the failures inside it).
    """
    found: list[Unsent] = []
    stack = _watchers.__dict__.setdefault("stack", [])
    stack.append(found)
    try:
        yield found
    finally:
        del stack[next(i for i, other in enumerate(stack) if other is found)]
