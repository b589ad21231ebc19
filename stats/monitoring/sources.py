"""The broker's figures per queue: RabbitMQ's management API, or a passive declare."""

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from config.queues import queue_names
from stats.monitoring.snapshot import QueueFigures

#: The queues monitored with one shard: the table's, in its order.
MONITORED_QUEUES = tuple(queue_names(shards=1))


def monitored_queues() -> list[str]:
    """The queues every face shows: the table's, with the batch shard queues after
    ``stats.batch`` (``config.queues.queue_names``)."""
    return queue_names()


def queues_from_management_api(
    url: str, vhost: str = "/", names: tuple[str, ...] | list[str] | None = None
) -> dict[str, QueueFigures]:
    """Everything RabbitMQ knows, from its management plugin's HTTP API."""
    parsed = urllib.parse.urlsplit(url)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}{parsed.path.rstrip('/')}"
    auth = base64.b64encode(
        f"{urllib.parse.unquote(parsed.username or 'guest')}:"
        f"{urllib.parse.unquote(parsed.password or 'guest')}".encode()
    ).decode()
    figures = {}
    for name in monitored_queues() if names is None else names:
        path = f"/api/queues/{urllib.parse.quote(vhost, safe='')}/{urllib.parse.quote(name)}"
        request = urllib.request.Request(base + path, headers={"Authorization": f"Basic {auth}"})
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                info = json.load(response)
        except urllib.error.HTTPError as exc:
            error = "not declared yet" if exc.code == 404 else f"HTTP {exc.code}"
            figures[name] = QueueFigures(name, "management", error=error)
            continue
        except (OSError, ValueError) as exc:
            figures[name] = QueueFigures(name, "management", error=f"unreachable: {exc}")
            continue
        figures[name] = _from_management(name, info)
    return figures


def _from_management(name: str, info: dict[str, Any]) -> QueueFigures:
    stats = info.get("message_stats") or {}
    sac = bool((info.get("arguments") or {}).get("x-single-active-consumer"))
    consumers = info.get("consumers")
    details = info.get("consumer_details") or []
    if consumers is None:  # a queue RabbitMQ has not emitted statistics for yet
        active = None
    elif sac:
        active = sum(1 for c in details if c.get("active", True)) if details else min(consumers, 1)
    else:
        active = consumers
    head = info.get("head_message_timestamp")
    return QueueFigures(
        name=name,
        source="management",
        ready=info.get("messages_ready"),
        unacked=info.get("messages_unacknowledged"),
        consumers=consumers,
        active_consumers=active,
        single_active_consumer=sac,
        publish_rate=(stats.get("publish_details") or {}).get("rate"),
        ack_rate=(stats.get("ack_details") or {}).get("rate"),
        oldest_message_age=max(0.0, time.time() - head) if head else None,
    )


def queues_from_passive_declare(
    declare: Callable[[str], tuple[int, int]], *, source: str, counts_consumers: bool
) -> dict[str, QueueFigures]:
    """Ready messages (and consumers over AMQP) by declaring each queue passively."""
    figures = {}
    for name in monitored_queues():
        try:
            ready, consumers = declare(name)
        except Exception as exc:
            figures[name] = QueueFigures(name, source, error=f"{type(exc).__name__}: {exc}")
            continue
        figures[name] = QueueFigures(
            name,
            source,
            ready=ready,
            consumers=consumers if counts_consumers else None,
        )
    return figures


def queues_from_embedded_broker(database: str, *, lease: float) -> dict[str, QueueFigures]:
    """Ready, unacked and consumers, read live from the embedded broker's file.

    Its consumers are the worker processes registered in it; a dead one is first handed
    back its messages and removed (``reclaim_dead``), so a killed worker is neither counted
    nor left holding what it fetched even when no other worker runs. Every consumer
    receives: the transport has no single active consumer.
    """
    from config.embedded_broker import liveness, store

    conn = store.connect(database)
    try:
        liveness.reclaim_dead(conn, lease=lease)
        counts = store.queue_counts(conn)
    finally:
        conn.close()
    figures = {}
    for name in monitored_queues():
        if name not in counts:
            figures[name] = QueueFigures(name, "embedded", error="not declared yet")
            continue
        ready, unacked, consumers = counts[name]
        figures[name] = QueueFigures(
            name,
            "embedded",
            ready=ready,
            unacked=unacked,
            consumers=consumers,
            active_consumers=consumers,
            single_active_consumer=False,
        )
    return figures
