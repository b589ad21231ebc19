"""A kombu virtual transport on one SQLite file: the embedded default's broker.

kombu's virtual transports give the AMQP model (exchanges, bindings, queues, prefetch,
acks) over a store that only needs ``_put``/``_get``/``_size``/``_purge``; this one keeps
messages in ``config.embedded_broker.store`` and differs from kombu's own file-based ones
where they lose messages (docs/architecture.md, "The embedded broker"):

- a fetched message stays in the file, held by its consumer, until acked; a consumer
  that dies has its messages handed back (``liveness``), so nothing fetched is lost;
- requeue and warm-shutdown restore release the held row instead of writing a copy;
- a message is written and read in one transaction: never half-written;
- a fetch reads the head of one queue through an index, whatever the backlog;
- bindings live in the file, so every process sees every exchange's queues: fanout
  (worker remote control) and replies work across processes.

Transport options: ``database`` (the file), ``lease_seconds`` (a consumer unheard of that
long is dead), ``heartbeat_interval``, ``polling_interval`` (sleep when all is empty),
``legacy_dir`` (an older checkout's filesystem broker folder, moved in once: ``legacy``),
``delivery_limit`` (a message fetched that many times without an ack is dropped).
"""

import json
import logging
import os
import sqlite3
import threading
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport import virtual

from config.embedded_broker import liveness, store

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "broker.sqlite3"
#: Connections a forked child inherited: never closed there (the parent still uses them).
_inherited: list[sqlite3.Connection] = []


def _message_id(delivery_tag: str) -> int:
    return int(str(delivery_tag).split(".", 1)[0])


class QoS(virtual.QoS):
    """Acks delete the row; a reject with requeue releases it; anything else as kombu's.

    Registry: config.upstream "kombu virtual transport" (``_quick_ack``)."""

    channel: "Channel"

    def ack(self, delivery_tag: str) -> None:
        self.channel.settle(delivery_tag, requeue=False)
        super().ack(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        self.channel.settle(delivery_tag, requeue=requeue)
        self._quick_ack(delivery_tag)  # type: ignore[attr-defined]


class Channel(virtual.Channel):
    # Registry: config.upstream "kombu virtual transport" (the store hooks, ``_restore``,
    # ``_tag_to_queue`` and ``_active_queues``).
    QoS = QoS
    supports_fanout = True
    from_transport_options = (
        *virtual.Channel.from_transport_options,
        "database",
        "lease_seconds",
        "heartbeat_interval",
        "legacy_dir",
        "delivery_limit",
    )
    database = DEFAULT_DATABASE
    lease_seconds = 30.0
    heartbeat_interval = 2.0
    legacy_dir: str | None = None
    delivery_limit = 20

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._no_ack: set[str] = set()

    # --- the file ------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # forked: the parent's connection is not ours
            if self._db is not None:
                _inherited.append(self._db)
            self._db, self._pid = None, os.getpid()
        if self._db is None:
            legacy = Path(self.legacy_dir) if self.legacy_dir else None
            self._db = store.connect(self.database, legacy_dir=legacy)
        return self._db

    @property
    def consumer(self) -> liveness.Consumer:
        return liveness.consumer_for(
            str(self.database),
            lease=float(self.lease_seconds),
            interval=float(self.heartbeat_interval),
        )

    # --- what kombu's virtual channel asks of a store -------------------------------
    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        with self._lock:
            store.declare_queue(self.db, queue)

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        with self._lock:
            return store.has_queue(self.db, queue)

    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:
        with self._lock:
            store.put(self.db, queue, message)

    def _put_fanout(
        self, exchange: str, message: dict[str, Any], routing_key: str, **kwargs: Any
    ) -> None:
        for _, _, queue in self.get_table(exchange):
            self._put(queue, message)

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        with self._lock:
            if queue in self._no_ack:
                payload = store.take(self.db, queue)
                if payload is None:
                    raise Empty()
                return json.loads(payload)
            while (claimed := store.claim(self.db, queue, self.consumer.id)) is not None:
                if claimed[1] <= int(self.delivery_limit):
                    break
                # Delivered that often, it takes its worker down each time (as quorum
                # queues' x-delivery-limit): dropped, its work left to the stale marks.
                store.ack(self.db, claimed[0])
                logger.error(
                    "Embedded broker: a message on %s was delivered %d times without an ack"
                    " and is dropped",
                    queue,
                    claimed[1],
                )
        if claimed is None:
            raise Empty()
        message_id, deliveries, payload = claimed
        message = json.loads(payload)
        properties = message["properties"]
        properties["delivery_tag"] = f"{message_id}.{deliveries}"
        properties.setdefault("delivery_info", {})["redelivered"] = deliveries > 1
        return message

    def _size(self, queue: str) -> int:
        with self._lock:
            return store.size(self.db, queue)

    def _purge(self, queue: str) -> int:
        with self._lock:
            return store.purge(self.db, queue)

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            store.delete_queue(self.db, queue)

    # --- bindings shared through the file --------------------------------------------
    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        with self._lock:
            store.bind(
                self.db,
                exchange,
                self.typeof(exchange).type,
                routing_key or "",
                pattern or "",
                queue,
            )

    def get_table(self, exchange: str) -> list[tuple[str, str, str]]:
        with self._lock:
            return store.bindings(self.db, exchange)

    def typeof(self, exchange: str, default: str = "direct") -> Any:
        if exchange not in (self.state.exchanges or {}):
            with self._lock:
                default = store.exchange_type(self.db, exchange) or default
        return super().typeof(exchange, default)

    # --- consumers, acks, restore ------------------------------------------------------
    def basic_consume(self, queue: str, no_ack: bool, *args: Any, **kwargs: Any) -> Any:
        if no_ack:
            self._no_ack.add(queue)
        else:
            with self._lock:
                self.consumer.consumes(queue, attached=True)
        return super().basic_consume(queue, no_ack, *args, **kwargs)

    def basic_cancel(self, consumer_tag: str) -> Any:
        queue = self._tag_to_queue.get(consumer_tag)
        acked = queue not in self._no_ack  # a no-ack consumer never registered itself
        result = super().basic_cancel(consumer_tag)
        if queue is not None and queue not in self._active_queues:
            self._no_ack.discard(queue)
            if acked and self._pid == os.getpid():
                with self._lock:
                    self.consumer.consumes(queue, attached=False)
        return result

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any) -> Any:
        if no_ack:
            self._no_ack.add(queue)
        try:
            return super().basic_get(queue, no_ack, **kwargs)
        finally:
            if no_ack and queue not in self._active_queues:
                self._no_ack.discard(queue)

    def settle(self, delivery_tag: str, *, requeue: bool) -> None:
        """Ack (delete) or requeue (release) one held message, from any thread."""
        if self._pid != os.getpid():
            return  # a forked child never settles its parent's deliveries
        with self._lock:
            if requeue:
                store.release(self.db, _message_id(delivery_tag), self.consumer.id)
            else:
                store.ack(self.db, _message_id(delivery_tag))

    def _restore(self, message: Any) -> None:
        # kombu writes a copy back; the held row itself becomes ready again here.
        self.settle(message.delivery_tag, requeue=True)

    def close(self) -> None:
        super().close()
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


class Transport(virtual.Transport):
    # Registry: config.upstream "kombu virtual transport".
    Channel = Channel
    polling_interval = 0.1
    default_port = 0
    driver_type = "sqlite"
    driver_name = "sqlite"
    implements = virtual.Transport.implements.extend(
        asynchronous=False, exchange_type=frozenset(["direct", "topic", "fanout"])
    )

    def driver_version(self) -> str:
        return sqlite3.sqlite_version
