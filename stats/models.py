"""Statistics derived from the catalog, kept in their own tables.

The figures are a cache of what ``stats.selectors`` can compute from scratch: they are
written only by ``stats.services`` and may be rebuilt at any time. ``catalog`` never
imports these models.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from catalog.models import Category, Product


class ProductStats(models.Model):
    """One row per product, computed from the product and its variants."""

    class StockStatus(models.TextChoices):
        OUT = "out", "Out of stock"
        LOW = "low", "Low stock"
        IN = "in", "In stock"

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    #: The product's category when the row was computed. A product that moves keeps
    #: counting in its old category until the next recompute, which then refreshes both.
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    variant_count = models.PositiveIntegerField(default=0)
    #: The currency of every price figure below. A product has one currency (the catalog
    #: validates it); one saved with mixed currencies before that rule has no currency ("")
    #: and no price figures at all, never a range across currencies (``stats.figures``).
    currency = models.CharField(max_length=3, blank=True, default="")
    price_min = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price_max = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price_avg = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    total_stock = models.PositiveBigIntegerField(default=0)
    stock_status = models.CharField(
        max_length=3, choices=StockStatus.choices, default=StockStatus.OUT
    )
    completeness = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="0-100; see stats.figures for how the points are earned.",
    )
    save_count = models.PositiveIntegerField(
        default=0, help_text="Editor saves of the product that the statistics have caught up with."
    )
    computed_at = models.DateTimeField()
    computed_version = models.PositiveIntegerField(
        help_text="The product version these figures were computed from."
    )

    class Meta:
        verbose_name = "product statistics"
        verbose_name_plural = "product statistics"

    def __str__(self) -> str:
        return f"Statistics of product {self.product_id}"


class ProductStaleness(models.Model):
    """A durable "statistics are out of date" mark: the product is stale while a row exists.

    Written inside the editor's save transaction, so a save can never commit without
    its mark; a worker that loses a message therefore loses nothing, because the
    periodic sweep finds the mark by ``stale_since``. ``pending_saves`` counts the saves
    since the last recompute, and ``token`` tells a re-created mark from the one a
    recompute read (see ``stats.services``).
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="staleness"
    )
    stale_since = models.DateTimeField(db_index=True)
    pending_saves = models.PositiveIntegerField(default=0)
    token = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = "stale product"
        verbose_name_plural = "stale products"

    def __str__(self) -> str:
        return f"Product {self.product_id} stale since {self.stale_since:%Y-%m-%d %H:%M:%S}"


class CategoryStats(models.Model):
    """Figures over a category and all its descendants, computed from the catalog tables."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    product_count = models.PositiveIntegerField(default=0)
    published_count = models.PositiveIntegerField(default=0)
    draft_count = models.PositiveIntegerField(default=0)
    total_stock = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = "category statistics"
        verbose_name_plural = "category statistics"

    def __str__(self) -> str:
        return f"Statistics of category {self.category_id}"


class CategoryPriceRange(models.Model):
    """A category's price range in one currency, over its whole subtree.

    A subtree holds products of several currencies, and prices in two currencies cannot
    be compared without exchange rates (the catalog has none), so a category has one
    range per currency its variants use, and none for a currency it does not use.
    Written with the category's ``CategoryStats`` row, under that row's lock.
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="price_ranges")
    currency = models.CharField(max_length=3)
    price_min = models.DecimalField(max_digits=12, decimal_places=2)
    price_max = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["category", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "currency"], name="categorypricerange_category_currency"
            ),
        ]
        verbose_name = "category price range"

    def __str__(self) -> str:
        return f"{self.currency} {self.price_min} - {self.price_max}"


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


class CategoryStaleness(models.Model):
    """A category whose statistics wait for the next periodic refresh.

    Category figures aggregate whole subtrees (a top-level category covers most of the
    catalog), which costs far more than the 100 products of a batch; so batches only
    mark the categories they touched and ``stats.category_stats_refresh`` recomputes the
    marked ones every ``STATS_CATEGORY_REFRESH_INTERVAL`` seconds. ``token`` changes on
    every mark, so a refresh never clears a mark set after it read the catalog.
    """

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, primary_key=True, related_name="staleness"
    )
    stale_since = models.DateTimeField()
    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = "stale category"
        verbose_name_plural = "stale categories"

    def __str__(self) -> str:
        return f"Category {self.category_id} stale since {self.stale_since:%Y-%m-%d %H:%M:%S}"


class BulkRun(models.Model):
    """A whole-catalog, category or selection recompute, spread over the rate-limited queue.

    The database is the source of truth: the run and its chunks say what is done, failed
    or left; the messages on the bulk queue (one per chunk) only say "work on chunk N".
    """

    class Trigger(models.TextChoices):
        EDITOR = "editor", "Editor"
        OPS = "ops", "Ops"
        SCHEDULE = "schedule", "Schedule"

    class Scope(models.TextChoices):
        ALL = "all", "Whole catalog"
        CATEGORY = "category", "Category and descendants"
        PRODUCTS = "products", "Selected products"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Done with failures"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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


# Monitoring's record of task runs lives with monitoring; importing it here makes it ours.
from stats.monitoring.models import TaskFailure, TaskRunMinute, TaskRunTotal  # noqa: E402

__all__ = [
    "BatchFlush",
    "BulkChunk",
    "BulkRun",
    "CategoryPriceRange",
    "CategoryStaleness",
    "CategoryStats",
    "LatestSnapshot",
    "OpsDashboard",
    "ProductStaleness",
    "ProductStats",
    "QueueSample",
    "TaskFailure",
    "TaskRunMinute",
    "TaskRunTotal",
]
