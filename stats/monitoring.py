"""One snapshot of how statistics are keeping up: queues, batch buffers, bulk run, staleness.

Every face (``manage.py queue_status``, the admin page, ``/metrics``, ``/readyz``) renders
this snapshot, so they can never disagree. Whatever a source cannot tell is ``None``
("unknown"), never 0: plain AMQP sees only ready messages and consumers; only RabbitMQ's
management API (``RABBITMQ_MANAGEMENT_URL``) sees unacked messages, rates and which
consumer is active. The Celery-facing parts (broker connection, worker remote control)
are passed in by the caller, so this module imports no Celery.
"""

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from config.queues import QUEUE_DEFAULT, QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.bulk import bulk_run_progress
from stats.models import BulkRun, CategoryStaleness, ProductStaleness

MONITORED_QUEUES = (QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_DEFAULT)

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
_SEVERITY = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 1}


@dataclass
class QueueFigures:
    name: str
    source: str
    ready: int | None = None
    unacked: int | None = None
    consumers: int | None = None
    #: Consumers that receive messages: 1 under single active consumer, else all of them.
    active_consumers: int | None = None
    single_active_consumer: bool | None = None
    publish_rate: float | None = None
    ack_rate: float | None = None
    oldest_message_age: float | None = None
    error: str = ""


@dataclass
class BatchBuffer:
    worker: str
    task: str
    buffered: int
    last_flush_at: float | None
    started_at: float | None
    flush_interval: float
    flush_every: int
    #: When the buffer last went from empty to holding a request (wall clock).
    buffered_since: float | None = None

    @property
    def seconds_since_flush(self) -> float | None:
        since = self.last_flush_at or self.started_at
        return None if since is None else max(0.0, time.time() - since)

    @property
    def oldest_wait(self) -> float | None:
        """Seconds the oldest buffered request has waited: a working timer flushes it within
        one interval. Not the time since the last flush: after a quiet spell that is long
        while the request that just re-armed the timer is seconds old."""
        if self.buffered_since is None:
            return self.seconds_since_flush
        return max(0.0, time.time() - self.buffered_since)


@dataclass
class Check:
    name: str
    status: str
    message: str


@dataclass
class Snapshot:
    taken_at: datetime
    broker_source: str
    queues: dict[str, QueueFigures]
    #: None when the workers could not be asked (no reply at all is [] ).
    batch_buffers: list[BatchBuffer] | None
    bulk_run: dict[str, Any] | None
    stale_products: int
    oldest_stale_seconds: float | None
    stale_categories: int
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        return max((c.status for c in self.checks), key=_SEVERITY.get, default=OK)

    @property
    def exit_code(self) -> int:
        """Nagios convention: 0 ok, 1 warning, 2 critical."""
        return {OK: 0, WARNING: 1, UNKNOWN: 1, CRITICAL: 2}[self.status]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["taken_at"] = self.taken_at.isoformat()
        data["status"] = self.status
        for buffer, raw in zip(self.batch_buffers or [], data["batch_buffers"] or [], strict=True):
            raw["seconds_since_flush"] = buffer.seconds_since_flush
        return data


# --- Broker sources -------------------------------------------------------------------------


def queues_from_management_api(
    url: str, vhost: str = "/", names: tuple[str, ...] | list[str] = MONITORED_QUEUES
) -> dict[str, QueueFigures]:
    """Everything RabbitMQ knows, from its management plugin's HTTP API."""
    parsed = urllib.parse.urlsplit(url)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}{parsed.path.rstrip('/')}"
    auth = base64.b64encode(
        f"{urllib.parse.unquote(parsed.username or 'guest')}:"
        f"{urllib.parse.unquote(parsed.password or 'guest')}".encode()
    ).decode()
    figures = {}
    for name in names:
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
    for name in MONITORED_QUEUES:
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


# --- The snapshot ---------------------------------------------------------------------------


def monitoring_snapshot(
    *,
    queues: dict[str, QueueFigures],
    broker_source: str,
    batch_buffers: list[BatchBuffer] | None,
) -> Snapshot:
    """Gather the database's figures around the broker's and workers', and judge them."""
    now = timezone.now()
    oldest = ProductStaleness.objects.aggregate(oldest=Min("stale_since"))["oldest"]
    run = BulkRun.objects.filter(status__in=BulkRun.ACTIVE).order_by("created_at").first()
    snapshot = Snapshot(
        taken_at=now,
        broker_source=broker_source,
        queues=queues,
        batch_buffers=batch_buffers,
        bulk_run=_bulk_run_figures(run) if run else None,
        stale_products=ProductStaleness.objects.count(),
        oldest_stale_seconds=(now - oldest).total_seconds() if oldest else None,
        stale_categories=CategoryStaleness.objects.count(),
    )
    snapshot.checks = monitoring_checks(snapshot)
    return snapshot


def _bulk_run_figures(run: BulkRun) -> dict[str, Any]:
    progress = bulk_run_progress(run)
    return {
        "id": run.pk,
        "status": run.status,
        "scope": run.get_scope_display(),
        "percent": progress.percent,
        "chunks_total": run.chunks_total,
        "chunks_done": run.chunks_done,
        "chunks_failed": run.chunks_failed,
        "products_done": run.products_done,
        "products_total": run.products_total,
        "eta_seconds": progress.eta_seconds,
    }


def monitoring_checks(snapshot: Snapshot) -> list[Check]:
    """The alerts, thresholds from settings. Unknown figures give "unknown", not "ok"."""
    checks = [*_bulk_checks(snapshot.queues.get(QUEUE_STATS_BULK))]
    checks += _batch_checks(snapshot.queues.get(QUEUE_STATS_BATCH), snapshot.batch_buffers)
    for name, limit in (
        (QUEUE_STATS_BATCH, settings.STATS_MONITOR_BATCH_QUEUE_MAX),
        (QUEUE_STATS_BULK, settings.STATS_MONITOR_BULK_QUEUE_MAX),
    ):
        queue = snapshot.queues.get(name)
        if queue is None or queue.ready is None:
            checks.append(Check(f"{name} depth", UNKNOWN, "ready count unknown"))
        elif queue.ready > limit:
            checks.append(Check(f"{name} depth", WARNING, f"{queue.ready} ready > {limit}"))
        else:
            checks.append(Check(f"{name} depth", OK, f"{queue.ready} ready (max {limit})"))
    checks.append(_stale_check(snapshot.oldest_stale_seconds, snapshot.stale_products))
    return checks


def _bulk_checks(queue: QueueFigures | None) -> list[Check]:
    name = "bulk worker"
    if queue is None or queue.consumers is None:
        return [Check(name, UNKNOWN, "consumer count unknown")]
    if queue.consumers == 0:
        return [Check(name, CRITICAL, "no consumer on the bulk queue: bulk runs are stalled")]
    if queue.active_consumers is not None and queue.active_consumers > 1:
        return [
            Check(
                name,
                CRITICAL,
                f"{queue.active_consumers} active consumers: the rate limit is doubled "
                "(queue without x-single-active-consumer?)",
            )
        ]
    if queue.consumers > 1 and queue.active_consumers is None:
        return [
            Check(
                name,
                UNKNOWN,
                f"{queue.consumers} consumers; whether only one is active (rate limit not "
                "doubled) is known only to the management API",
            )
        ]
    checks = [Check(name, OK, f"{queue.consumers} consumer(s), one active")]
    if settings.STATS_MONITOR_EXPECT_BULK_STANDBY and queue.consumers < 2:
        checks.append(Check("bulk standby", WARNING, "no standby bulk worker attached"))
    elif queue.consumers >= 2:
        checks.append(Check("bulk standby", OK, f"{queue.consumers - 1} standby"))
    return checks


def _batch_checks(queue: QueueFigures | None, buffers: list[BatchBuffer] | None) -> list[Check]:
    checks = []
    if queue is None or queue.consumers is None:
        checks.append(Check("batch worker", UNKNOWN, "consumer count unknown"))
    elif queue.consumers == 0:
        checks.append(Check("batch worker", CRITICAL, "no consumer on the batch queue"))
    else:
        checks.append(Check("batch worker", OK, f"{queue.consumers} consumer(s)"))
    if buffers is None:
        checks.append(Check("batch flush", UNKNOWN, "workers did not answer"))
        return checks
    stuck = [b for b in buffers if b.buffered and (b.oldest_wait or 0) > 2 * b.flush_interval]
    for buffer in stuck:
        checks.append(
            Check(
                "batch flush",
                CRITICAL,
                f"{buffer.worker} holds {buffer.buffered} requests, the oldest unflushed for "
                f"{buffer.oldest_wait:.0f} s (> 2 x {buffer.flush_interval:.0f} s): "
                "stuck flush timer?",
            )
        )
    if not stuck:
        total = sum(b.buffered for b in buffers)
        checks.append(Check("batch flush", OK, f"{total} buffered in {len(buffers)} worker(s)"))
    return checks


def _stale_check(oldest: float | None, count: int) -> Check:
    if oldest is None:
        return Check("stale statistics", OK, "no stale product")
    message = f"{count} stale product(s), oldest {oldest:.0f} s"
    if oldest > settings.STATS_MONITOR_STALE_CRITICAL:
        return Check("stale statistics", CRITICAL, message)
    if oldest > settings.STATS_MONITOR_STALE_WARNING:
        return Check("stale statistics", WARNING, message)
    return Check("stale statistics", OK, message)


# --- Samples for the 24-hour chart ----------------------------------------------------------


def monitoring_samples_record(snapshot: Snapshot) -> int:
    """Store one row per queue (beat runs this every minute) and prune old rows."""
    from stats.models import QueueSample

    QueueSample.objects.bulk_create(
        [
            QueueSample(
                taken_at=snapshot.taken_at,
                queue=queue.name,
                ready=queue.ready,
                unacked=queue.unacked,
                consumers=queue.consumers,
                stale_products=snapshot.stale_products,
            )
            for queue in snapshot.queues.values()
        ]
    )
    cutoff = snapshot.taken_at - timedelta(hours=settings.STATS_MONITOR_SAMPLE_RETENTION_HOURS)
    QueueSample.objects.filter(taken_at__lt=cutoff).delete()
    return len(snapshot.queues)


def monitoring_samples_series(*, hours: int = 24) -> dict[str, list[tuple[datetime, int | None]]]:
    """Per queue: (time, ready) over the last hours; plus "stale products" once."""
    from stats.models import QueueSample

    since = timezone.now() - timedelta(hours=hours)
    series: dict[str, list[tuple[datetime, int | None]]] = {}
    stale: dict[datetime, int] = {}
    for taken_at, queue, ready, stale_count in QueueSample.objects.filter(
        taken_at__gte=since
    ).values_list("taken_at", "queue", "ready", "stale_products"):
        series.setdefault(queue, []).append((taken_at, ready))
        stale[taken_at] = stale_count
    series["stale products"] = sorted(stale.items())
    return series
