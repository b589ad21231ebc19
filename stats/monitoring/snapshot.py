"""What one monitoring snapshot holds; every face renders the same snapshot, so they agree.

Plain data: ``stats.monitoring.services.monitoring_snapshot`` is the one place that
fills a snapshot from its sources and judges it; what it does not know keeps the
defaults below (nothing stale, nothing running, workers not asked).
"""

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from stats.records.selectors import TaskFailureFigures, TaskFigures

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
SEVERITY = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 1}


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


#: A buffer's moments, epoch seconds as the workers report them, ISO 8601 in JSON.
BUFFER_TIMES = ("last_flush_at", "started_at", "buffered_since")


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def _epoch(value: str | float | None) -> float | None:
    """Back from JSON (snapshots stored before the ISO change hold epoch seconds)."""
    if value is None or isinstance(value, int | float):
        return value
    return datetime.fromisoformat(value).timestamp()


def _buffer_fields(raw: dict[str, Any]) -> dict[str, Any]:
    fields = {key: value for key, value in raw.items() if key != "seconds_since_flush"}
    return fields | {key: _epoch(fields.get(key)) for key in BUFFER_TIMES if key in fields}


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
        while the request that just re-armed the timer is seconds old. None for an empty
        buffer: nothing waits, so an alert on this figure must not fire after a quiet spell."""
        if not self.buffered:
            return None
        if self.buffered_since is None:
            return self.seconds_since_flush
        return max(0.0, time.time() - self.buffered_since)


@dataclass
class ShardFigures:
    """One batch shard queue (STATS_BATCH_SHARDS > 1): who consumes it, by lease and broker."""

    shard: int
    queue: str
    #: Live workers whose lease lists the shard (one, except for a heartbeat while
    #: workers rebalance; RabbitMQ lets only one of them receive).
    workers: list[str]
    consumers: int | None
    ready: int | None
    unacked: int | None
    #: Seconds since the shard last changed hands, or since its dead owner was last seen:
    #: how long a takeover has been under way. None if no lease ever listed it.
    claimed_for: float | None


@dataclass
class Check:
    name: str
    status: str
    message: str


@dataclass
class Snapshot:
    taken_at: datetime
    #: Where the queues' figures came from ("management", "amqp", "embedded", ...;
    #: "none": no snapshot stored yet).
    broker_source: str
    queues: dict[str, QueueFigures] = field(default_factory=dict)
    #: None when the workers could not be asked (no reply at all is [] ).
    batch_buffers: list[BatchBuffer] | None = None
    bulk_run: dict[str, Any] | None = None
    stale_products: int = 0
    oldest_stale_seconds: float | None = None
    stale_categories: int = 0
    #: Over the last hour, from the batches' own records (``BatchFlush``): products whose
    #: recompute failed (they stay stale for the sweep) and malformed requests dropped.
    batch_failed_products: int = 0
    batch_rejected_requests: int = 0
    #: The batch shard queues and their workers (empty with one shard).
    batch_shards: list[ShardFigures] = field(default_factory=list)
    #: Per task (``stats.records.task_runs.TASKS``): counts and durations.
    tasks: list[TaskFigures] = field(default_factory=list)
    #: The latest failed runs of any task, newest first.
    task_failures: list[TaskFailureFigures] = field(default_factory=list)
    #: How old each source's figures already were when the snapshot was taken, in
    #: seconds ("broker", "workers", "database"); a face adds the snapshot's own age.
    source_lag: dict[str, float] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        return max((c.status for c in self.checks), key=SEVERITY.__getitem__, default=OK)

    @property
    def exit_code(self) -> int:
        """Nagios convention: 0 ok, 1 warning, 2 critical."""
        return {OK: 0, WARNING: 1, UNKNOWN: 1, CRITICAL: 2}[self.status]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Snapshot":
        """The snapshot ``as_dict`` stored (its derived figures are derived again)."""
        buffers = data.get("batch_buffers")
        return cls(
            taken_at=datetime.fromisoformat(data["taken_at"]),
            broker_source=data["broker_source"],
            queues={name: QueueFigures(**raw) for name, raw in data["queues"].items()},
            batch_buffers=None
            if buffers is None
            else [BatchBuffer(**_buffer_fields(raw)) for raw in buffers],
            bulk_run=data.get("bulk_run"),
            stale_products=data["stale_products"],
            oldest_stale_seconds=data.get("oldest_stale_seconds"),
            stale_categories=data["stale_categories"],
            batch_failed_products=data.get("batch_failed_products", 0),
            batch_rejected_requests=data.get("batch_rejected_requests", 0),
            batch_shards=[ShardFigures(**raw) for raw in data.get("batch_shards", [])],
            tasks=[TaskFigures.from_dict(raw) for raw in data.get("tasks", [])],
            task_failures=[TaskFailureFigures(**raw) for raw in data.get("task_failures", [])],
            source_lag=data.get("source_lag", {}),
            checks=[Check(**raw) for raw in data.get("checks", [])],
        )

    @property
    def age_seconds(self) -> float:
        """Seconds since the snapshot was taken."""
        return max(0.0, (datetime.now(self.taken_at.tzinfo) - self.taken_at).total_seconds())

    def source_ages(self) -> dict[str, float]:
        """How old each source's figures are now: its lag when sampled plus the snapshot's age."""
        age = self.age_seconds
        return {source: round(lag + age, 1) for source, lag in self.source_lag.items()}

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["taken_at"] = self.taken_at.isoformat()
        data["status"] = self.status
        data["age_seconds"] = round(self.age_seconds, 1)
        data["source_ages"] = self.source_ages()
        for buffer, raw in zip(self.batch_buffers or [], data["batch_buffers"] or [], strict=True):
            raw["seconds_since_flush"] = buffer.seconds_since_flush
            raw.update({key: _iso(getattr(buffer, key)) for key in BUFFER_TIMES})
        return data
