"""The one monitoring sampler: a thread of the beat process that stores a snapshot every few s.

Why a thread of beat: there is exactly one beat per deployment (docs/operations.md), it
already runs on the broker, and a thread there is never queued behind a batch or a sweep
the way a periodic task on the batch worker would be. Every face (``/metrics``,
``/ops/status.json``, ``/readyz``, the ops page) reads the stored snapshot and its age
(``stats.monitoring.services.monitoring_snapshot_latest``); ``queue_status`` still probes
live. If beat stops, the snapshot ages and its "monitoring" check turns critical. The
sampler keeps what the last samples saw (``stats.monitoring.presence``), so a worker that
misses one reply is not reported gone.
"""

import logging
import threading
import time
from typing import Any

from celery.signals import beat_init
from django.conf import settings
from django.db import close_old_connections

from stats.monitoring.presence import Presence
from stats.monitoring.snapshot import Snapshot

logger = logging.getLogger(__name__)


def monitoring_sample(presence: Presence, *, record_chart: bool) -> Snapshot:
    """Take (smoothed by ``presence``, judged once) and store one snapshot, and the chart's
    row once a minute."""
    from stats.monitoring.probes import take_snapshot
    from stats.monitoring.services import monitoring_samples_record, monitoring_snapshot_store

    snapshot = take_snapshot(presence=presence)
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
