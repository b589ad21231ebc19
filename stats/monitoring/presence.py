"""Presence that does not flap: one missed reply is not a worker gone.

Where consumers are counted from the workers' replies (the embedded broker has no
consumer count of its own), a worker that misses one reply keeps its last known count,
and is declared gone only after ``STATS_MONITOR_MISSES`` consecutive misses. The same
holds for the batch buffers the workers report. The sampler keeps one ``Presence`` for
its life and hands it to each snapshot it takes (``stats.monitoring.services``), which
smooths before it judges.
"""

from dataclasses import dataclass, field

from stats.monitoring.snapshot import BatchBuffer, Snapshot


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
