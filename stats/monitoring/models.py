"""Monitoring's own tables: the latest snapshot every face reads, and the chart's samples."""

from django.db import models


class QueueSample(models.Model):
    """One minute's figures, for the 24-hour chart on the ops page (pruned by the sampler)."""

    taken_at = models.DateTimeField(db_index=True)
    queue = models.CharField(max_length=64)
    ready = models.PositiveIntegerField(null=True)
    unacked = models.PositiveIntegerField(null=True)
    consumers = models.PositiveIntegerField(null=True)
    stale_products = models.PositiveIntegerField()

    class Meta:
        ordering = ["taken_at"]
        indexes = [models.Index(fields=["queue", "taken_at"], name="queuesample_queue_time")]
        permissions = [("view_ops", "Can view the queues & workers page and metrics")]

    def __str__(self) -> str:
        return f"{self.queue} at {self.taken_at:%Y-%m-%d %H:%M}"


class OpsDashboard(QueueSample):
    """No table of its own: the admin's "Queues & workers" page hangs off this proxy."""

    class Meta:
        proxy = True
        verbose_name = "queues & workers"
        verbose_name_plural = "queues & workers"


class LatestSnapshot(models.Model):
    """The monitoring sampler's latest snapshot: one row, which every face reads.

    ``/metrics``, ``/ops/status.json``, ``/readyz`` and the ops page read this row and its
    age instead of asking the broker and the workers on every request, so they answer in
    milliseconds whatever the broker's state (see ``stats.monitoring.sampler``).
    """

    taken_at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        verbose_name = "latest monitoring snapshot"

    def __str__(self) -> str:
        return f"Monitoring snapshot of {self.taken_at:%Y-%m-%d %H:%M:%S}"
