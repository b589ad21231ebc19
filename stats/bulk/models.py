"""Bulk runs and their chunks: the database is the bulk path's source of truth."""

from django.conf import settings
from django.db import models

from catalog.models import Category


class BulkRun(models.Model):
    """A whole-catalog, category or selection recompute, spread over the rate-limited queue.

    The database is the source of truth: the run and its chunks say what is done, failed
    or left; the messages on the bulk queue (one per chunk) only say "work on chunk N".
    """

    class Trigger(models.TextChoices):
        EDITOR = "editor", "The admin"
        OPS = "ops", "The command line"
        SCHEDULE = "schedule", "The nightly schedule"

    class Scope(models.TextChoices):
        ALL = "all", "Whole catalog"
        CATEGORY = "category", "Categories and their subcategories"
        PRODUCTS = "products", "Selected products"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Done with failures"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    trigger = models.CharField("started from", max_length=16, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices)
    #: A category run covers the union of these categories' subtrees (each product once).
    #: A deleted category leaves the run, which keeps the products it counted.
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    chunk_size = models.PositiveIntegerField()
    #: The rate limit in force when the run started ("30/h"), for the ETA.
    rate_limit = models.CharField(max_length=16)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_failed = models.PositiveIntegerField(default=0)
    chunks_cancelled = models.PositiveIntegerField(default=0)
    products_total = models.PositiveIntegerField(default=0)
    products_done = models.PositiveIntegerField(default=0)
    products_failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "bulk recompute run"
        permissions = [("cancel_bulkrun", "Can cancel a bulk recompute run")]

    def __str__(self) -> str:
        return f"Bulk run {self.pk} ({self.get_scope_display()}, {self.get_status_display()})"

    @property
    def chunks_left(self) -> int:
        return self.chunks_total - self.chunks_done - self.chunks_failed - self.chunks_cancelled

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class BulkChunk(models.Model):
    """One message's worth of a bulk run: up to ``chunk_size`` product ids."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    product_ids = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: Set once the chunk's message is on the broker; the resume sweep republishes the rest.
    published_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    products_done = models.PositiveIntegerField(default=0)
    products_failed = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="bulkchunk_run_number"),
        ]
        indexes = [models.Index(fields=["status", "published_at"], name="bulkchunk_publish")]

    def __str__(self) -> str:
        return f"Chunk {self.number} of run {self.run_id}"
