"""Things gathered during one database transaction and handed on once, when it commits.

An admin save writes a product and each of its variants, and every row sends its own
signals; yet one editor save must bump the product's version once, count as one save and
send one recompute request. ``PerTransaction`` answers "is this the first time in this
transaction?" without reading Django's private on-commit list.

How it knows the transaction ended: the collector registers *itself* as the transaction's
on-commit callback and is otherwise held only weakly. On commit Django calls it (it hands
its items on and is spent); on rollback Django drops its callbacks, and with the last
strong reference gone the weak one dies, so the next transaction starts afresh. A
savepoint rolled back inside the transaction leaves the collector in place: items added
in it are still handed on, which is harmless for what the project collects (a version
bump or a recompute request too many, both idempotent).

What is handed on to a worker goes through ``config.outbox``, built on this. Tests look
into a transaction's collections with ``testkit.on_commit`` (their transaction never
commits).
"""

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.db import transaction

#: What a collector is keyed by (product ids, for the project's collectors).
KeyT = TypeVar("KeyT", bound=Hashable)


class Collection(Generic[KeyT]):
    """What one ``PerTransaction`` collected in one transaction: its on-commit callback."""

    def __init__(
        self, owner: "PerTransaction[KeyT]", on_commit: Callable[[dict[KeyT, Any]], object]
    ) -> None:
        self.owner = owner
        self.items: dict[KeyT, Any] = {}
        self.spent = False
        self._on_commit = on_commit
        # Django's robust on_commit logs a failure with the callback's __qualname__.
        self.__qualname__ = owner.name

    def __call__(self) -> None:
        if self.spent:  # forgotten (testkit.on_commit.forget_all)
            return
        self.spent = True
        self._on_commit(self.items)


class PerTransaction(Generic[KeyT]):
    """Keys added during one transaction; ``on_commit`` receives them all once it commits.

    Outside a transaction (autocommit) every ``add`` is its own transaction: the callback
    runs at once with that one key.
    """

    def __init__(
        self, name: str, on_commit: Callable[[dict[KeyT, Any]], object] | None = None
    ) -> None:
        self.name = name
        self._on_commit = on_commit or (lambda items: None)
        self._local = threading.local()

    def add(self, key: KeyT, value: Any = None, *, using: str | None = None) -> bool:
        """Record ``key``; True if it is new in this transaction.

        A value that is not None replaces the key's earlier value (a product saved, then
        deleted in the same transaction, is handed on with what its deletion recorded).
        """
        collector = self._current(using)
        new = key not in collector.items
        if new or value is not None:
            collector.items[key] = value
        if not new:
            return False
        if not transaction.get_connection(using).in_atomic_block:
            transaction.on_commit(collector, using=using, robust=True)  # runs now
        return True

    def _current(self, using: str | None) -> Collection[KeyT]:
        connection = transaction.get_connection(using)
        ref = getattr(self._local, connection.alias, None)
        collector = ref() if ref is not None else None
        if collector is None or collector.spent or not connection.in_atomic_block:
            collector = Collection(self, self._on_commit)
            if connection.in_atomic_block:
                transaction.on_commit(collector, using=using, robust=True)
                setattr(self._local, connection.alias, weakref.ref(collector))
        return collector
