"""The one monitoring sampler: a thread of the beat process that stores a snapshot every few s.

Why a thread of beat: there is exactly one beat per deployment (docs/operations.md), it
already runs on the broker, and a thread there is never queued behind a batch or a sweep
the way a periodic task on the batch worker would be. Every face (``/metrics``,
``/ops/status.json``, ``/readyz``, the ops page) reads the stored snapshot and its age
(``stats.monitoring.services.monitoring_snapshot_latest``); ``queue_status`` still probes
live. If beat stops, the snapshot ages and its "monitoring" check turns critical.

Presence does not flap: where consumers are counted from the workers' replies (the
embedded broker has no consumer count of its own), a worker that misses one reply keeps
its last known count, and is declared gone only after ``STATS_MONITOR_MISSES``
consecutive misses. The same holds for the batch buffers the workers report.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from celery.signals import beat_init
from django.conf import settings
from django.db import close_old_connections

from stats.monitoring.snapshot import BatchBuffer, Snapshot

logger = logging.getLogger(__name__)


@dataclass
class Presence:
    """What the last samples saw, to ride out a missed reply."""

    consumers: dict[str, int] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=dict)
    buffers: list[BatchBuffer] | None = None
    buffer_misses: int = 0

    def smooth(self, snapshot: Snapshot, *, max_misses: int) -> None:
        """Fill in what workers failed to report, for fewer than ``max_misses`` samples."""
        from_workers = snapshot.broker_source.endswith("+ workers")
        for name, queue in snapshot.queues.items():
            if not from_workers or queue.error:
                continue
            known = self.consumers.get(name, 0)
            if queue.consumers == 0 and known and self.misses.get(name, 0) + 1 < max_misses:
                self.misses[name] = self.misses.get(name, 0) + 1
                queue.consumers = queue.active_consumers = known
            else:
                self.misses[name] = 0
                self.consumers[name] = queue.consumers or 0
        if snapshot.batch_buffers is None and self.buffers is not None:
            self.buffer_misses += 1
            if self.buffer_misses < max_misses:
                snapshot.batch_buffers = self.buffers
        elif snapshot.batch_buffers is not None:
            self.buffers, self.buffer_misses = snapshot.batch_buffers, 0


def monitoring_sample(presence: Presence, *, record_chart: bool) -> Snapshot:
    """Take, smooth, judge and store one snapshot (and the chart's row once a minute)."""
    from stats.monitoring.checks import monitoring_checks
    from stats.monitoring.probes import take_snapshot
    from stats.monitoring.services import monitoring_samples_record, monitoring_snapshot_store

    snapshot = take_snapshot()
    presence.smooth(snapshot, max_misses=settings.STATS_MONITOR_MISSES)
    snapshot.checks = monitoring_checks(snapshot)
    monitoring_snapshot_store(snapshot)
    if record_chart:
        monitoring_samples_record(snapshot)
    return snapshot


class Sampler(threading.Thread):
    """Samples every ``STATS_MONITOR_SAMPLE_INTERVAL`` seconds until the process ends."""

    def __init__(self) -> None:
        super().__init__(name="monitoring-sampler", daemon=True)
        self.presence = Presence()

    def run(self) -> None:
        interval = settings.STATS_MONITOR_SAMPLE_INTERVAL
        next_chart = 0.0
        while True:
            started = time.monotonic()
            try:
                close_old_connections()
                monitoring_sample(self.presence, record_chart=started >= next_chart)
                if started >= next_chart:
                    next_chart = started + 60
            except Exception:
                # The database is down, say: the stored snapshot ages and turns critical.
                logger.exception("Monitoring sample failed; retrying in %s s.", interval)
            time.sleep(max(0.5, interval - (time.monotonic() - started)))


@beat_init.connect
def _start_sampler(sender: Any, **kwargs: Any) -> None:
    Sampler().start()
    logger.info(
        "Monitoring sampler started: a snapshot every %s s.", settings.STATS_MONITOR_SAMPLE_INTERVAL
    )
