"""What the paths record of their own work: flushed batches and task runs.

Written by the batch and bulk paths, the recompute on request, the sweep and the category
refresh as they finish (``stats.records.flushes``, ``stats.records.task_runs``); read by
monitoring, tests and benchmarks. Volume-aware on purpose: a batch worker may finish 30
batches a second, so a task run adds to a row per (task, minute, outcome, duration
bucket) instead of writing a row of its own.
"""

from django.db import models


class BatchFlush(models.Model):
    """One flushed batch of the celery-batches task: what it received and what it did.

    Batches tasks emit no task events and store no results, so this table is how tests,
    benchmarks and ops see batch sizes, de-duplication and the time of the last flush.
    Rows older than ``STATS_BATCH_FLUSH_RETENTION_DAYS`` are pruned by the stale sweep.
    """

    flushed_at = models.DateTimeField(db_index=True)
    worker = models.CharField(max_length=255, blank=True)
    requests = models.PositiveIntegerField(help_text="Messages in the batch.")
    rejected = models.PositiveIntegerField(default=0, help_text="Malformed messages dropped.")
    products = models.PositiveIntegerField(help_text="Distinct products after de-duplication.")
    computed = models.PositiveIntegerField(default=0)
    skipped_current = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-flushed_at", "-id"]
        verbose_name = "batch flush"

    def __str__(self) -> str:
        return f"{self.requests} requests at {self.flushed_at:%Y-%m-%d %H:%M:%S}"


class TaskRunMinute(models.Model):
    """Runs of one task that ended in one minute with one outcome, in one duration bucket.

    The hour and day figures (counts, p50, p95) are sums over these rows; rows older than
    ``stats.records.task_runs.MINUTES_KEPT`` are pruned with the chart's samples.
    """

    task = models.CharField(max_length=32)
    minute = models.DateTimeField()
    failed = models.BooleanField()
    #: Index into ``stats.records.task_runs.DURATION_BUCKETS`` (upper bounds, seconds).
    bucket = models.PositiveSmallIntegerField()
    runs = models.PositiveIntegerField(default=0)
    duration_ms_sum = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "task runs per minute"
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "task", "failed", "bucket"], name="taskrunminute_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.runs} {self.task} runs at {self.minute:%Y-%m-%d %H:%M}"


class TaskRunTotal(models.Model):
    """The same counts since the database was created: never pruned, so the Prometheus
    counters and histograms built from them only ever grow."""

    task = models.CharField(max_length=32)
    failed = models.BooleanField()
    bucket = models.PositiveSmallIntegerField()
    runs = models.PositiveBigIntegerField(default=0)
    duration_ms_sum = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "task runs in total"
        constraints = [
            models.UniqueConstraint(fields=["task", "failed", "bucket"], name="taskruntotal_key")
        ]

    def __str__(self) -> str:
        return f"{self.runs} {self.task} runs"


class TaskFailure(models.Model):
    """One failed run with its error; the latest few per task are kept."""

    task = models.CharField(max_length=32)
    failed_at = models.DateTimeField()
    worker = models.CharField(max_length=255, blank=True)
    error = models.TextField()

    class Meta:
        ordering = ["-failed_at", "-id"]
        indexes = [models.Index(fields=["task", "failed_at"], name="taskfailure_task_time")]

    def __str__(self) -> str:
        return f"{self.task} failed at {self.failed_at:%Y-%m-%d %H:%M:%S}"
