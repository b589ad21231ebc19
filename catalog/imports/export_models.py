"""A large export prepared in the background (imported by ``catalog.models``).

An export of more than ``CATALOG_EXPORT_BACKGROUND_FROM`` products is not streamed in
the web request (it would hold a web thread and a database connection for minutes):
it becomes a ``CatalogExport``, written by the import worker to ``VAR_DIR/exports/``
with its progress here, listed by the job centre with a Download link, and its file is
removed by the import sweep ``CATALOG_EXPORT_KEEP_DAYS`` after it was made.
"""

from django.conf import settings
from django.db import models

from catalog.job_progress import BackgroundJob


class CatalogExport(BackgroundJob, models.Model):
    """One export of the catalog (or a category) to a file, from its request to its end."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    #: Whose export it is: only they (or ``catalog.manage_all_imports``) download it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: "csv" or "xlsx".
    format = models.CharField(max_length=8)
    #: The category whose subtree is exported, by slug (empty: the whole catalog), and
    #: its name for the page (kept if the category is renamed or deleted since).
    category_slug = models.CharField(max_length=255, blank=True)
    category_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    #: Products written, of those the category held when the export was asked for.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The finished file, relative to ``VAR_DIR``; empty until done, and once removed.
    stored_path = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    #: An unexpected failure (the exception's last line), for whoever runs the system.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "export"
        indexes = [models.Index(fields=["status"], name="catalog_export_status")]

    def __str__(self) -> str:
        return f"Export of {self.category_name or 'the catalog'} ({self.format.upper()})"
