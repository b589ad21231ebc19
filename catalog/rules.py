"""Catalog rules shared by every form that can break them (and by the data migrations).

One currency per product: a product's variants are all priced in the same currency, so
its price range and average (and every figure built on them) compare like with like. No
rule here ever converts a price: the catalog has no exchange rates, and relabelling
"10.00 USD" as "10.00 EUR" would silently change what the product costs.
"""

from collections import Counter
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db.models import Count, Model

MIXED_CURRENCIES = "mixed_currencies"


def product_currency_check(*, currencies: Iterable[str]) -> None:
    """Refuse a set of variant currencies that is not one currency (no variants is fine).

    The admin calls it with what a save would leave: every variant of the product on its
    page (inline formset), or one variant plus its siblings (variant page).
    """
    distinct = sorted(set(currencies))
    if len(distinct) > 1:
        raise ValidationError(
            # Short enough for one line above the variants table (the admin does not wrap it).
            "All variants of a product must have the same currency: this save would mix "
            "%(currencies)s (prices are not converted).",
            code=MIXED_CURRENCIES,
            params={"currencies": " and ".join(distinct)},
        )


def currency_odd_rows(*, currencies: Sequence[str], changed: Sequence[bool]) -> list[int]:
    """The rows to point at when a product's variant rows mix currencies (their indexes).

    The editor is shown where to act, not every row: the currency most rows use is taken
    as the product's, and on a tie the one a row the editor left alone still uses (so
    changing one variant of two marks the changed one). The others are the odd rows.
    """
    counts = Counter(currencies)
    if len(counts) < 2:
        return []
    most = max(counts.values())
    tied = [c for c in dict.fromkeys(currencies) if counts[c] == most]
    kept = [c for c, edited in zip(currencies, changed, strict=True) if not edited]
    main = next((c for c in kept if c in tied), tied[0])
    return [index for index, currency in enumerate(currencies) if currency != main]


def products_with_mixed_currencies(*, variant_model: type[Model]) -> dict[int, list[str]]:
    """Product ids whose variants use more than one currency, with those currencies.

    Takes the model so a data migration can pass its historical ``Variant``.
    """
    mixed = (
        variant_model._default_manager.order_by()
        .values("product_id")
        .annotate(n=Count("currency", distinct=True))
        .filter(n__gt=1)
        .values("product_id")
    )
    result: dict[int, set[str]] = {}
    for product_id, currency in variant_model._default_manager.filter(
        product_id__in=mixed
    ).values_list("product_id", "currency"):
        result.setdefault(product_id, set()).add(currency)
    return {pid: sorted(currencies) for pid, currencies in sorted(result.items())}
