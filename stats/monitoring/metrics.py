"""The snapshot as Prometheus text (``/metrics``)."""

from collections.abc import Iterable, Iterator

from django.utils import timezone
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from stats.monitoring.snapshot import SEVERITY, Snapshot
from stats.records.task_runs import DURATION_BUCKETS


def snapshot_metrics(snapshot: Snapshot) -> bytes:
    """The snapshot as Prometheus gauges; unknown figures are left out, never 0."""
    registry = CollectorRegistry()
    queue_labels = ["queue"]
    gauges = {
        "ready": Gauge(
            "catalog_queue_ready_messages", "Ready messages", queue_labels, registry=registry
        ),
        "unacked": Gauge(
            "catalog_queue_unacked_messages",
            "Unacked messages (buffered, held, running)",
            queue_labels,
            registry=registry,
        ),
        "consumers": Gauge(
            "catalog_queue_consumers", "Consumers attached", queue_labels, registry=registry
        ),
        "active_consumers": Gauge(
            "catalog_queue_active_consumers",
            "Consumers receiving messages",
            queue_labels,
            registry=registry,
        ),
    }
    for queue in snapshot.queues.values():
        for attribute, gauge in gauges.items():
            value = getattr(queue, attribute)
            if value is not None:
                gauge.labels(queue=queue.name).set(value)
    buffered = Gauge(
        "catalog_batch_buffered_requests",
        "Requests buffered by a batch worker",
        ["worker"],
        registry=registry,
    )
    oldest_wait = Gauge(
        "catalog_batch_oldest_wait_seconds",
        "Seconds the oldest buffered request has waited (alert above 2 x the flush interval)",
        ["worker"],
        registry=registry,
    )
    since_flush = Gauge(
        "catalog_batch_seconds_since_flush",
        "Seconds since a batch worker last flushed",
        ["worker"],
        registry=registry,
    )
    for buffer in snapshot.batch_buffers or []:
        buffered.labels(worker=buffer.worker).set(buffer.buffered)
        if buffer.seconds_since_flush is not None:
            since_flush.labels(worker=buffer.worker).set(buffer.seconds_since_flush)
        if buffer.oldest_wait is not None:
            oldest_wait.labels(worker=buffer.worker).set(buffer.oldest_wait)
    shard_worker = Gauge(
        "catalog_batch_shard_worker",
        "1 per batch shard and the worker whose lease holds it (STATS_BATCH_SHARDS > 1)",
        ["shard", "worker"],
        registry=registry,
    )
    for shard in snapshot.batch_shards:
        for worker in shard.workers:
            shard_worker.labels(shard=str(shard.shard), worker=worker).set(1)
    run = snapshot.bulk_run or {}
    Gauge(
        "catalog_bulk_run_active", "1 while a bulk run is queued or running", registry=registry
    ).set(1 if run else 0)
    progress = Gauge(
        "catalog_bulk_run_progress_ratio",
        "Finished share of the active bulk run",
        registry=registry,
    )
    eta = Gauge(
        "catalog_bulk_run_eta_seconds",
        "Estimated seconds left in the active bulk run",
        registry=registry,
    )
    if run:
        progress.set(run["percent"] / 100)
        if run["eta_seconds"] is not None:
            eta.set(run["eta_seconds"])
    Gauge(
        "catalog_stale_products",
        "Products whose statistics wait for a recompute",
        registry=registry,
    ).set(snapshot.stale_products)
    oldest = Gauge(
        "catalog_stale_oldest_seconds", "Age of the oldest stale mark", registry=registry
    )
    if snapshot.oldest_stale_seconds is not None:
        oldest.set(snapshot.oldest_stale_seconds)
    Gauge(
        "catalog_batch_failed_products_last_hour",
        "Products whose batch recompute failed in the last hour (they stay stale)",
        registry=registry,
    ).set(snapshot.batch_failed_products)
    Gauge(
        "catalog_batch_rejected_requests_last_hour",
        "Malformed save requests dropped by batch workers in the last hour",
        registry=registry,
    ).set(snapshot.batch_rejected_requests)
    Gauge(
        "catalog_monitoring_snapshot_age_seconds",
        "Age of the snapshot these figures come from (the sampler runs in beat)",
        registry=registry,
    ).set(max(0.0, (timezone.now() - snapshot.taken_at).total_seconds()))
    source_age = Gauge(
        "catalog_source_age_seconds",
        "How old a source's figures are (broker: the management API's lag plus the snapshot's age)",
        ["source"],
        registry=registry,
    )
    for source, age in snapshot.source_ages().items():
        source_age.labels(source=source).set(age)
    registry.register(_Collected(_task_families(snapshot)))
    check = Gauge(
        "catalog_check_status",
        "0 ok, 1 warning or unknown, 2 critical",
        ["check"],
        registry=registry,
    )
    for item in snapshot.checks:
        check.labels(check=item.name).set(
            max(SEVERITY[item.status], check.labels(check=item.name)._value.get())
        )
    return generate_latest(registry)


class _Collected:
    """Metric families built from the snapshot, for ``CollectorRegistry.register``."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def _task_families(snapshot: Snapshot) -> list[Metric]:
    """Per task, since the database began: runs by outcome and a duration histogram."""
    runs = CounterMetricFamily(
        "catalog_task_runs", "Finished runs of a task, by outcome", labels=["task", "outcome"]
    )
    durations = HistogramMetricFamily(
        "catalog_task_duration_seconds", "Duration of a task's runs", labels=["task"]
    )
    bounds = [str(bound) for bound in DURATION_BUCKETS] + ["+Inf"]
    for task in snapshot.tasks:
        runs.add_metric([task.task, "done"], task.total_done)
        runs.add_metric([task.task, "failed"], task.total_failed)
        cumulative, buckets = 0, []
        for bound, count in zip(bounds, task.total_buckets, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        durations.add_metric([task.task], buckets, sum_value=task.total_seconds)
    return [runs, durations]
