"""The demo catalog of ``make run`` and the benchmarks: categories, products, variants.

Numbered and deterministic (each value from a generator seeded by the product's number),
so a re-run tops up what is missing and a benchmark can write the same products to a file
(``demo_product``, ``demo_variants``) that the seed would write to the database. Not used
by any editor's path: ``seed_catalog`` and the benchmarks call it.
"""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from catalog.models import Category, Product, Variant
from catalog.signals import products_bulk_changed

DEMO_SKU_PREFIX = "DEMO-"
#: The demo SKUs have six digits (DEMO-000001 to DEMO-999999).
SEED_MAX_PRODUCTS = 999_999

_DEMO_TREE: dict[str, list[str]] = {
    "Clothing": ["T-shirts", "Shirts", "Trousers", "Jackets", "Knitwear"],
    "Shoes": ["Sneakers", "Boots", "Sandals", "Formal shoes"],
    "Home": ["Kitchen", "Bedding", "Lighting", "Decoration"],
    "Sports": ["Running", "Cycling", "Swimming", "Outdoor"],
    "Accessories": ["Bags", "Hats", "Belts", "Watches"],
    "Electronics": ["Audio", "Phones", "Cables", "Wearables"],
}
_ADJECTIVES = ["Classic", "Urban", "Organic", "Light", "Heavy", "Vintage", "Slim", "Essential"]
_NOUNS = ["Runner", "Tee", "Parka", "Lamp", "Mug", "Backpack", "Speaker", "Sock", "Cap", "Boot"]
_COLOURS = ["black", "white", "navy", "red", "green", "grey", "sand"]
_SIZES = ["XS", "S", "M", "L", "XL"]


@dataclass(frozen=True)
class SeedResult:
    categories_created: int
    products_created: int
    variants_created: int


def demo_categories() -> tuple[list[Category], int]:
    created = 0
    leaves: list[Category] = []
    for top_name, children in _DEMO_TREE.items():
        top, was_created = Category.objects.get_or_create(
            slug=_slug(top_name), defaults={"name": top_name}
        )
        created += was_created
        for child_name in children:
            child, was_created = Category.objects.get_or_create(
                slug=_slug(f"{top_name}-{child_name}"),
                defaults={"name": child_name, "parent": top},
            )
            created += was_created
            leaves.append(child)
    return leaves, created


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _chunks(numbers: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(numbers), size):
        yield numbers[start : start + size]


def catalog_seed(
    *,
    products: int,
    batch_size: int = 2000,
    on_progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Create a demo catalog of ``products`` products with 1-5 variants each.

    Products are numbered (``DEMO-000001``...), so a re-run creates only the missing
    ones. Rows are inserted with ``bulk_create`` in batches, one transaction per batch,
    because 100,000 products must seed in under a minute on MariaDB and an
    interrupted seed must leave whole products (never a product without variants).
    """
    if not 0 <= products <= SEED_MAX_PRODUCTS:
        raise ValueError(f"products must be from 0 to {SEED_MAX_PRODUCTS:,}")
    leaves, categories_created = demo_categories()
    existing = set(
        Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX).values_list("sku", flat=True)
    )
    missing = [n for n in range(1, products + 1) if _product_sku(n) not in existing]
    products_created = variants_created = 0
    for numbers in _chunks(missing, batch_size):
        with transaction.atomic():
            Product.objects.bulk_create([demo_product(n, leaves) for n in numbers])
            ids = dict(
                Product.objects.filter(sku__in=[_product_sku(n) for n in numbers]).values_list(
                    "sku", "id"
                )
            )
            variants = [v for n in numbers for v in demo_variants(n, ids[_product_sku(n)])]
            Variant.objects.bulk_create(variants)
            products_bulk_changed.send(sender=Product, product_ids=list(ids.values()))
        products_created += len(numbers)
        variants_created += len(variants)
        if on_progress:
            on_progress(products_created, len(missing))
    return SeedResult(categories_created, products_created, variants_created)


def _product_sku(number: int) -> str:
    return f"{DEMO_SKU_PREFIX}{number:06d}"


def demo_product(number: int, leaves: list[Category]) -> Product:
    rng = random.Random(number)
    name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {number}"
    description = (
        ""
        if rng.random() < 0.15
        # No leading or trailing spaces: the admin form strips them, and a seed that kept
        # one would show as a "Description" change on the first save nobody made.
        else f"{name}: " + " ".join(["Durable and comfortable."] * rng.randint(1, 12))
    )
    return Product(
        sku=_product_sku(number),
        name=name,
        slug=f"demo-{number:06d}",
        description=description,
        category=None if rng.random() < 0.05 else rng.choice(leaves),
        status=Product.Status.PUBLISHED if rng.random() < 0.7 else Product.Status.DRAFT,
    )


#: The demo's currency mix: most products in EUR, some in USD and GBP, so per-currency
#: figures show. One currency per product, as the admin requires (``catalog.rules``).
_CURRENCIES = [Variant.Currency.EUR] * 8 + [Variant.Currency.USD] * 3 + [Variant.Currency.GBP]


def _demo_currency(number: int) -> str:
    # Its own generator, so adding currencies left every other demo value unchanged.
    return random.Random(f"currency-{number}").choice(_CURRENCIES)


def demo_variants(number: int, product_id: int) -> list[Variant]:
    rng = random.Random(-number)
    currency = _demo_currency(number)
    return [
        Variant(
            product_id=product_id,
            sku=f"{_product_sku(number)}-{index}",
            size=rng.choice(_SIZES),
            colour=rng.choice(_COLOURS),
            price=Decimal(rng.randint(199, 49999)) / 100,
            currency=currency,
            stock=0 if rng.random() < 0.1 else rng.randint(1, 250),
        )
        for index in range(1, rng.randint(1, 5) + 1)
    ]
