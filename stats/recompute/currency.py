"""The one-off step that brings stored figures to the one-currency model (migration 0005).

Catalog data is left exactly as it is: a product saved with variants in several currencies
keeps them, because changing a currency without converting its price (the catalog has no
exchange rates) would silently change what the product costs. Such a product instead has
no price figures until an editor gives its variants one currency (the product form then
insists on it), and is reported here so someone can ask them to.
"""

import logging
from typing import Any

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import ngettext

from catalog.rules import products_with_mixed_currencies

logger = logging.getLogger(__name__)

_REPORTED_SKUS = 50


def stats_currency_backfill(*, apps: Any) -> dict[int, list[str]]:
    """Set each product's figure currency, empty mixed products' prices, queue categories.

    ``apps`` is the migration's app registry (or ``django.apps.apps`` in tests). Returns
    the mixed products (id: currencies) whose price figures were emptied. Category price
    ranges are not computed here (the recompute needs today's models): every category
    gets a stale mark, which the periodic category refresh turns into its ranges.
    """
    variant = apps.get_model("catalog", "Variant")
    product = apps.get_model("catalog", "Product")
    product_stats = apps.get_model("stats", "ProductStats")
    category = apps.get_model("catalog", "Category")
    category_staleness = apps.get_model("stats", "CategoryStaleness")

    lowest = (
        variant._default_manager.filter(product_id=OuterRef("product_id"))
        .order_by("currency")
        .values("currency")[:1]
    )
    product_stats._default_manager.update(currency=Coalesce(Subquery(lowest), Value("")))
    mixed = products_with_mixed_currencies(variant_model=variant)
    ids = list(mixed)
    for start in range(0, len(ids), 1000):
        product_stats._default_manager.filter(product_id__in=ids[start : start + 1000]).update(
            currency="", price_min=None, price_max=None, price_avg=None
        )
    now = timezone.now()
    category_staleness._default_manager.bulk_create(
        [
            category_staleness(category_id=pk, stale_since=now)
            for pk in category._default_manager.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    if mixed:
        skus = list(
            product._default_manager.filter(pk__in=ids[:_REPORTED_SKUS])
            .order_by("sku")
            .values_list("sku", flat=True)
        )
        logger.warning(
            "%s variants in several currencies; nothing was converted and "
            "their price figures stay empty until an editor gives each one currency: %s%s",
            ngettext("%d product has", "%d products have", len(mixed)) % len(mixed),
            ", ".join(skus),
            " ..." if len(mixed) > len(skus) else "",
        )
    return mixed
