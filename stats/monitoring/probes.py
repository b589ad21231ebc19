"""The Celery-facing half of monitoring: ask the broker and the workers, build a snapshot."""

from typing import Any

from django.conf import settings

from config.celery import app
from stats.monitoring.presence import Presence
from stats.monitoring.services import monitoring_snapshot
from stats.monitoring.snapshot import BatchBuffer, QueueFigures, Snapshot
from stats.monitoring.sources import (
    queues_from_embedded_broker,
    queues_from_management_api,
    queues_from_passive_declare,
)


def broker_queues() -> tuple[str, dict[str, QueueFigures]]:
    """The best source available: the embedded broker's file, the management API, plain AMQP,
    else the transport."""
    if app.conf.broker_url.startswith("sqlite:"):
        options = app.conf.broker_transport_options
        return "embedded", queues_from_embedded_broker(
            options["database"], lease=float(options["lease_seconds"])
        )
    if settings.RABBITMQ_MANAGEMENT_URL:
        return "management", queues_from_management_api(
            settings.RABBITMQ_MANAGEMENT_URL, settings.RABBITMQ_VHOST
        )
    amqp = app.conf.broker_url.startswith(("amqp", "pyamqp"))
    source = "amqp" if amqp else app.conf.broker_url.split(":", 1)[0]

    def declare(name: str) -> tuple[int, int]:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            # The transport's own channel (py-amqp's or kombu's virtual one): kombu types
            # it as the bare StdChannel, which declares neither method used here.
            channel: Any = conn.channel()  # a failed passive declare closes its channel
            try:
                _, ready, consumers = channel.queue_declare(name, passive=True)
            finally:
                channel.close()
            return ready, consumers

    return source, queues_from_passive_declare(declare, source=source, counts_consumers=amqp)


def batch_buffers(timeout: float = 1.0) -> list[BatchBuffer] | None:
    """Ask every worker for its celery-batches buffers; None if asking failed."""
    try:
        replies = app.control.broadcast("batch_buffer", reply=True, timeout=timeout)
    except Exception:
        return None
    buffers = []
    for reply in replies or []:
        for worker, tasks in reply.items():
            if not isinstance(tasks, dict):
                continue
            for task, figures in tasks.items():
                # A worker without the command answers {"error": "..."}: not a buffer.
                if isinstance(figures, dict):
                    buffers.append(BatchBuffer(worker=worker, task=task, **figures))
    return buffers


def consumers_from_workers(queues: dict[str, QueueFigures], timeout: float) -> None:
    """Where the broker cannot count consumers (kombu's filesystem transport), ask the workers.

    Such a transport has no single active consumer either: every consumer is active.
    """
    try:
        replies = app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception:
        return
    counts: dict[str, int] = {}
    for worker_queues in replies.values():
        for declared in worker_queues or []:
            counts[declared.get("name")] = counts.get(declared.get("name"), 0) + 1
    for name, queue in queues.items():
        if queue.consumers is None and not queue.error:
            queue.consumers = queue.active_consumers = counts.get(name, 0)


def take_snapshot(*, worker_timeout: float = 1.0, presence: Presence | None = None) -> Snapshot:
    """Ask the broker and the workers now, and build the snapshot around their figures."""
    source, queues = broker_queues()
    if source not in ("management", "amqp", "embedded"):
        consumers_from_workers(queues, worker_timeout)
        source = f"{source} + workers"
    return monitoring_snapshot(
        queues=queues,
        broker_source=source,
        batch_buffers=batch_buffers(worker_timeout),
        broker_lag=float(settings.RABBITMQ_STATS_LAG) if source == "management" else 0.0,
        presence=presence,
    )
