"""The batch path's own table: which batch worker is alive and consumes which shard queue."""

from django.db import models


class BatchWorkerLease(models.Model):
    """A batch worker seen alive at ``seen_at``, and the shard queues it consumes.

    Only with ``STATS_BATCH_SHARDS`` > 1: each batch worker renews its row every
    heartbeat and takes the shards its rank among the live rows gives it
    (``stats.batch.leases``); a stopped worker deletes its row, a killed one's expires.
    """

    worker = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField(db_index=True)
    shards = models.JSONField(default=list, help_text="Shard numbers it consumes.")
    #: When ``shards`` last changed: the ops check tells a takeover under way from a shard
    #: its owner fails to consume.
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["worker"]
        verbose_name = "batch worker lease"

    def __str__(self) -> str:
        return f"{self.worker}: shards {self.shards}"
