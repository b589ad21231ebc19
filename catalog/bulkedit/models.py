"""A bulk edit job and the values it wrote (imported by ``catalog.models``).

The job is the durable record the background apply and the undo work from: what was
selected (in words), the operations, the version of each product its preview showed,
and progress. Each value the apply changed is one ``BulkEditChange``: undo restores a
value only while it still holds what the job wrote.
"""

from django.conf import settings
from django.db import models

from catalog.job_progress import BackgroundJob


class BulkEdit(BackgroundJob, models.Model):
    """One bulk edit, from its preview to its end (and its undo). Its number is its pk."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    #: Whose edit it is: the history of its writes names them.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: What was selected, in words ("category clothing/shirts and its subcategories").
    selection = models.TextField()
    #: ``catalog.bulkedit.operations.Operation.as_dict()`` of each operation, in order.
    operations = models.JSONField(default=list)
    #: The operations in words ("price +10%, status Published"), as history shows them.
    summary = models.CharField(max_length=255)
    #: Product id (as text) -> the version its preview showed: a product saved since is
    #: left as it is and counted as a conflict.
    versions = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    #: Products changed, and left as they were because someone saved them since the preview.
    changed = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    #: The SKUs of the conflicting products (the first ones), for the page and the command.
    conflict_skus = models.JSONField(default=list, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    #: Written after each chunk: a running job silent for ``CATALOG_IMPORT_STALE_AFTER``
    #: lost its worker, and the next delivery of its message takes it over.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: An unexpected failure (the exception's last line), for whoever runs the system.
    error = models.TextField(blank=True)
    #: What the commits could not send on (statistics requests with the broker down).
    unsent = models.TextField(blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Values the undo left as they were, because they were changed after the edit.
    undo_conflicts = models.PositiveIntegerField(default=0)
    #: The undo, run by the import worker as the edit is: empty until it is asked for
    #: (``undone_at`` says when, ``undone_by`` by whom), then queued, running, done or failed.
    undo_status = models.CharField(max_length=16, choices=Status.choices, blank=True, default="")
    #: Products of the job's change records undone, of ``undo_total``; the chunks are
    #: taken in product id order, so a run taking over a lost one starts at ``undo_done``.
    undo_done = models.PositiveIntegerField(default=0)
    undo_total = models.PositiveIntegerField(default=0)
    undo_restored = models.PositiveIntegerField(default=0)
    #: (SKU, sentence) of the first values the undo left as they were, for the page and
    #: the command (``undo_conflicts`` counts them all).
    undo_conflict_lines = models.JSONField(default=list, blank=True)
    undo_queued_at = models.DateTimeField(null=True, blank=True)
    undo_started_at = models.DateTimeField(null=True, blank=True)
    #: Written with each chunk's progress, as ``heartbeat_at`` is for the edit.
    undo_heartbeat_at = models.DateTimeField(null=True, blank=True)
    undo_finished_at = models.DateTimeField(null=True, blank=True)
    undo_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "bulk edit"
        permissions = [("bulk_edit_product", "Can edit many products at once")]
        indexes = [models.Index(fields=["status"], name="catalog_bulkedit_status")]

    def __str__(self) -> str:
        return f"Bulk edit {self.pk}"

    @property
    def undo_active(self) -> bool:
        return self.undo_status in self.ACTIVE

    @property
    def undo_percent(self) -> int:
        return 100 * self.undo_done // self.undo_total if self.undo_total else 0


class BulkEditChange(models.Model):
    """One value a bulk edit wrote: the product's (variant empty) or one variant's field.

    Values are kept as a change form posts them (``catalog.concurrency.value_text``), so
    "12.5" and "12.50" compare equal and a category is its id.
    """

    job = models.ForeignKey(BulkEdit, on_delete=models.CASCADE, related_name="changes")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    field = models.CharField(max_length=32)
    before = models.CharField(max_length=255, blank=True)
    after = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["product_id", "variant_id", "field"]

    def __str__(self) -> str:
        return f"{self.field}: {self.before} -> {self.after}"
