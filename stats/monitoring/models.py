"""What the workers' task runs leave for monitoring: counts, duration buckets, last failures.

Imported by ``stats.models`` (the app's models module), so they are ``stats`` models.
Volume-aware on purpose: a batch worker may finish 30 batches a second, so a run adds to
a row per (task, minute, outcome, duration bucket) instead of writing a row of its own.
"""

from django.db import models


class TaskRunMinute(models.Model):
    """Runs of one task that ended in one minute with one outcome, in one duration bucket.

    The hour and day figures (counts, p50, p95) are sums over these rows; rows older than
    ``stats.monitoring.task_runs.MINUTES_KEPT`` are pruned with the chart's samples.
    """

    task = models.CharField(max_length=32)
    minute = models.DateTimeField()
    failed = models.BooleanField()
    #: Index into ``stats.monitoring.task_runs.DURATION_BUCKETS`` (upper bounds, seconds).
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
