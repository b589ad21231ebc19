from collections.abc import Collection
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from catalog.job_progress import BackgroundJob
from catalog.tree import category_parent_problem
from catalog.validators import sku_validator, validate_no_control_characters

#: On every text field an editor types into (forms and ``full_clean`` refuse the same
#: characters; the admin shows our message for NUL too: ``catalog.admin.text``). Text an
#: older import or code already stored is still shown, and refused only on the next save.
NO_CONTROL = validate_no_control_characters


class Category(models.Model):
    """A node of the category tree; products hang off any node."""

    name = models.CharField(max_length=120, validators=[NO_CONTROL])
    slug = models.SlugField(max_length=140, unique=True, validators=[NO_CONTROL])
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    #: Bumped by every save (catalog.receivers): the change form's optimistic concurrency
    #: check compares it with the version the form was loaded from.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse a cycle or a too-deep tree early, as a form error on the parent.

        A quick check with plain reads; ``catalog.services.category_save`` repeats it
        under the tree lock, which is what makes it hold against a concurrent save.
        """
        problem = category_parent_problem(
            category_id=self.pk,
            parent_id=self.parent_id,
            parent_of=_parent_of,
            children_of=_children_of,
        )
        if problem:
            raise ValidationError({"parent": problem})


def _parent_of(category_id: int) -> int | None:
    return Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()


def _children_of(category_ids: Collection[int]) -> list[int]:
    return list(Category.objects.filter(parent_id__in=category_ids).values_list("id", flat=True))


class CategoryTreeLock(models.Model):
    """The one row every change of the tree's shape locks first (``category_save``).

    Locking the ancestor chain of the new parent instead would let two crossing moves
    (X under Y, Y under X) each hold the row the other wants to write: a deadlock that
    MariaDB breaks by rolling one transaction back mid-request. One row taken first
    serialises such saves without any ordering to get right. Every save of a category
    with a parent takes it, not only a visible move: a form loaded earlier may carry a
    parent that the tree no longer has. Category saves are rare (a catalog has thousands
    of categories, edited now and then) and a top-level one, which cannot close a cycle,
    does not wait.
    """

    #: When the tree's shape was last saved (the lock is taken by writing this).
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "category tree lock"

    def __str__(self) -> str:
        return f"Category tree, last changed {self.changed_at:%Y-%m-%d %H:%M:%S}"


#: Characters; far above any real product text (the seed writes a few hundred).
DESCRIPTION_MAX_LENGTH = 20_000


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    sku = models.CharField(
        "SKU", max_length=32, unique=True, validators=[sku_validator, NO_CONTROL]
    )
    name = models.CharField(max_length=200, validators=[NO_CONTROL])
    slug = models.SlugField(max_length=220, unique=True, validators=[NO_CONTROL])
    # A bound the form enforces (a form error, not a 400 for an oversized request body):
    # every save also copies the description into the edit history.
    description = models.TextField(
        blank=True, max_length=DESCRIPTION_MAX_LENGTH, validators=[NO_CONTROL]
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    #: Bumped by every save; statistics record the version they were computed from.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Edit history (Admin > History: field diffs and revert). Not recorded:
    # - version: a revert rebuilds the product from a historical record, and a recorded
    #   version would rewind the counter (statistics compare it to the version they were
    #   computed from and would skip the recompute). Unrecorded, the revert takes the
    #   current value and bumps it like any other save. It also changes on every save.
    # - updated_at: the record's own history_date already says when; it too would show
    #   as a change on every row of the diff.
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="product_status_updated"),
            models.Index(fields=["-updated_at", "-id"], name="product_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Variant(models.Model):
    class Currency(models.TextChoices):
        EUR = "EUR", "EUR"
        USD = "USD", "USD"
        GBP = "GBP", "GBP"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(
        "SKU", max_length=32, unique=True, validators=[sku_validator, NO_CONTROL]
    )
    size = models.CharField(max_length=32, blank=True, validators=[NO_CONTROL])
    colour = models.CharField(max_length=32, blank=True, validators=[NO_CONTROL])
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), message="A price cannot be negative.")],
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    stock = models.PositiveIntegerField(default=0)

    # Every field is recorded: prices and stock are exactly what an editor wants to audit.
    history = HistoricalRecords()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.sku


class ExportSlot(models.Model):
    """One of the places an export may run in: the limit on exports at once, for every host.

    Keys ``all:1`` .. ``all:N`` (``CATALOG_EXPORTS_AT_ONCE``) and ``user:<id>:1`` ..
    (``CATALOG_EXPORTS_PER_USER``); an export holds one of each while it runs
    (``catalog.imports.export_slots``). A slot is free when ``expires_at`` is empty or
    past: the holder renews it as it writes, so a web process killed mid-export frees
    its slots after ``CATALOG_EXPORT_SLOT_SECONDS`` without anyone cleaning up.
    """

    key = models.CharField(max_length=64, unique=True)
    #: A random token of the export holding the slot, to renew and free only its own.
    holder = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class EditPresence(models.Model):
    """Who has which change form open, for "alice is also editing this product".

    A table rather than Django's cache: the default cache is per process (gunicorn runs
    two workers, each would see half the editors) and a database cache table would need a
    ``createcachetable`` step outside migrations. Rows older than a poll's TTL mean
    nothing; each ping deletes every stale row, so the table holds only open forms.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: "app_label.model_name" of the object edited.
    model = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    opened_at = models.DateTimeField()
    #: Indexed: every ping deletes the rows nobody has pinged for a while.
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "object_id", "user"], name="edit_presence_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.model} {self.object_id}"


class CatalogImport(BackgroundJob, models.Model):
    """One uploaded import file, from its dry run to its end (Catalog > Imports).

    The file itself sits in ``VAR_DIR/imports/`` until the import ends (done, refused,
    failed or cancelled), then it is removed. The Celery task writes the progress here
    through a connection of its own, so the admin's progress bar moves while the
    import's transaction is still open.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking"
        PREVIEWED = "previewed", "Ready to import"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    #: The file stays on disk only while the import is in one of these states.
    ACTIVE = (Status.CHECKING, Status.PREVIEWED, Status.IMPORTING)

    file_name = models.CharField(max_length=255)
    #: Where the upload is stored, relative to ``VAR_DIR``; empty once it is removed.
    stored_path = models.CharField(max_length=255, blank=True)
    #: The uploader: the import is theirs (and ``manage_all_imports`` holders') to see,
    #: confirm or cancel.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Who pressed Confirm: the history of the import's writes names them.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CHECKING)
    #: "checking" or "writing", with products done of total: the progress bar.
    stage = models.CharField(max_length=16, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    #: ``catalog.imports.services.ImportReport.as_dict()`` of the dry run, then of the import.
    report = models.JSONField(default=dict, blank=True)
    #: An unexpected failure (the traceback's last line), for whoever runs the system.
    error = models.TextField(blank=True)
    #: What the import's commit could not send on (the statistics requests, with the
    #: broker down) and what follows instead, in the editor's words (``config.outbox``).
    unsent = models.TextField(blank=True)
    # The run of the current step (dry run, then import): catalog/imports/runs.py.
    #: When its message was handed to the broker; empty until then (or if that failed).
    queued_at = models.DateTimeField(null=True, blank=True)
    #: The last sign of life of the worker running it; empty while no run has started.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    #: Runs started for the current step (a worker lost mid-run leaves one more).
    attempts = models.PositiveSmallIntegerField(default=0)
    #: Set by Cancel while a worker runs it: the run stops at its next step, saving nothing.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "import"
        permissions = [("manage_all_imports", "Can manage every editor's imports")]
        # The sweep reads the few active imports among all those kept.
        indexes = [models.Index(fields=["status"], name="catalog_import_status")]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"


# Bulk edits live in their own package; imported here so Django registers them with the app.
from catalog.bulkedit.models import BulkEdit, BulkEditChange  # noqa: E402, F401

# Exports prepared in the background, beside the imports' code.
from catalog.imports.export_models import CatalogExport  # noqa: E402, F401

# Saved views of the product list, too.
from catalog.listviews.models import ProductListSettings, SavedView  # noqa: E402, F401
