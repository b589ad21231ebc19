"""The statistics and their stale marks: the figures a recompute writes, and what it still owes.

The figures are a cache of what ``testkit.reference`` computes from scratch: written only
by ``stats.recompute`` (and rebuilt by it at any time). ``catalog`` never imports these models.
"""

import uuid

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
    #: The product's status when the row was computed: what its category's own figures
    #: count for it until the next recompute subtracts it (``stats.recompute.own_figures``).
    status = models.CharField(max_length=16, blank=True, default="")
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
        indexes = [
            # The product list sorted by completeness reads its pages off this index,
            # in either direction (stats.admin.product_list.COMPLETENESS_ORDERING). No
            # filter may read through it: most products share a few values
            # (stats.admin.product_list.CompletenessFilter).
            models.Index(fields=["completeness", "-product"], name="stats_completeness_product"),
            # And sorted by stock status (STOCK_ORDERING: the total stock).
            models.Index(fields=["total_stock", "-product"], name="stats_stock_product"),
            # The stock status filter's count, and its page where few products have the
            # status (stats.admin.product_list.StockStatusFilter keeps a common status
            # off it, as completeness).
            models.Index(fields=["stock_status", "-product"], name="stats_status_product"),
        ]

    def __str__(self) -> str:
        return f"Statistics of product {self.product_id}"


class ProductStaleness(models.Model):
    """A durable "statistics are out of date" mark: the product is stale while a row exists.

    Written inside the editor's save transaction, so a save can never commit without
    its mark; a worker that loses a message therefore loses nothing, because the
    periodic sweep finds the mark by ``stale_since``. ``pending_saves`` counts the saves
    since the last recompute, and ``token`` tells a re-created mark from the one a
    recompute read (see ``stats.recompute.marks``).
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


class CategoryDirectStats(models.Model):
    """The figures of the products sitting directly in a category (not in its subcategories).

    What a refresh rolls up from, so a refresh never reads the catalog for a category
    whose row is current: at 1,000,000 products every refresh read every product and
    variant. Kept current by difference: a product recompute subtracts the share of the
    statistics row it replaces and adds the new one, in its own transaction, under this
    row's lock (``stats.recompute.own_figures``). Rebuilt from the catalog when ``stale``
    (a product's first statistics, a delete), when missing, for the categories
    ``category_stats_recompute`` is asked about, and all of them by
    ``category_stats_recompute_all``: the repair after a write that bypassed the marks.
    """

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, primary_key=True, related_name="direct_stats"
    )
    product_count = models.PositiveIntegerField(default=0)
    published_count = models.PositiveIntegerField(default=0)
    draft_count = models.PositiveIntegerField(default=0)
    total_stock = models.PositiveBigIntegerField(default=0)
    #: Per currency, the lowest and the highest price as text: ``{"EUR": ["9.99", "19.99"]}``.
    prices = models.JSONField(default=dict)
    #: The figures cannot be kept by difference until rebuilt from the catalog: the next
    #: refresh that covers the category rebuilds them.
    stale = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = "category's own product statistics"
        verbose_name_plural = "categories' own product statistics"

    def __str__(self) -> str:
        return f"Own product statistics of category {self.category_id}"


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
