"""A random product's figures equal the ones worked out by hand from its variant list,
and a random category tree's figures the ones worked out by hand from its products.

``stats.figures`` holds the rules; the set-based recompute (``stats.recompute.products``,
aggregates in SQL) and the reference (``testkit.reference``, a loop over the ORM) both
feed them. Here the figures are worked out a third way, plainly, in ``_by_hand``: no
function of ``stats`` involved, the completeness table and the stock statuses read off
the docstring of ``stats.figures``, the average in whole cents.

Products are as the rules allow: one currency for all variants, except now and then a
product saved with mixed currencies before that rule (``stats.figures`` says what its
figures are); prices from 0 to the column's largest; texts as a form posts them
(stripped, no control characters) but otherwise any characters, invisible ones included:
a size of only a zero-width space is a size in Python and was none to MariaDB's ``= ''``.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import example, given
from hypothesis import strategies as st

from catalog.models import Product, Variant
from stats import figures
from stats.models import CategoryPriceRange, CategoryStats, ProductStats
from stats.recompute.categories import category_stats_recompute
from stats.recompute.products import product_stats_recompute
from testkit.properties import db_settings
from testkit.reference import (
    category_price_ranges_from_scratch,
    category_stats_from_scratch,
    product_stats_from_scratch,
)
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

#: What a form lets through: no surrogates, no C0 controls but line breaks and tabs
#: (``catalog.validators``).
_CHARACTERS = st.characters(
    exclude_categories=("Cs", "Cc"),
    exclude_characters="\ufffe\uffff",
    include_characters="\t\r\n",
)
_TEXT = st.text(_CHARACTERS, max_size=6).map(str.strip)


@dataclass(frozen=True)
class VariantSpec:
    size: str
    colour: str
    price: Decimal
    currency: str
    stock: int


@dataclass(frozen=True)
class ProductSpec:
    description: str
    has_category: bool
    status: str
    variants: tuple[VariantSpec, ...]


#: What pasting from a web page brings along: a zero-width space, a byte order mark, a
#: soft hyphen, a combining accent. Python's strip() keeps them all.
_PASTED = st.text(st.sampled_from("M \u200b\ufeff\u00ad\u0301"), min_size=1, max_size=3)
_LABELS = st.one_of(
    st.sampled_from(["", "", "S", "M", "XL", "black"]), _TEXT, _PASTED.map(str.strip)
)
_PRICES = st.one_of(
    st.decimals(min_value=0, max_value=100, places=2),
    st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2),
)
_STOCKS = st.one_of(st.integers(0, 12), st.integers(0, 2**31 - 1))
_DESCRIPTIONS = st.one_of(
    st.text(_CHARACTERS, max_size=250).map(str.strip),
    st.integers(190, 210).map(lambda n: "é" * n),
)


@st.composite
def products(draw) -> ProductSpec:
    currencies = Variant.Currency.values
    one_currency = draw(st.sampled_from(currencies))
    legacy_mixed = draw(st.integers(0, 9)) == 0  # saved before the one-currency rule
    variants = draw(
        st.lists(
            st.builds(
                VariantSpec,
                size=_LABELS,
                colour=_LABELS,
                price=_PRICES,
                currency=st.sampled_from(currencies) if legacy_mixed else st.just(one_currency),
                stock=_STOCKS,
            ),
            max_size=6,
        )
    )
    return ProductSpec(
        description=draw(_DESCRIPTIONS),
        has_category=draw(st.booleans()),
        status=draw(st.sampled_from(Product.Status.values)),
        variants=tuple(variants),
    )


_THRESHOLDS = st.integers(0, 20)


def _by_hand(spec: ProductSpec, *, category_id: int | None, threshold: int) -> dict:
    """The product's figures, from the docstring of stats.figures, in plain Python."""
    variants = spec.variants
    total_stock = sum(v.stock for v in variants)
    currencies = {v.currency for v in variants}
    if len(currencies) == 1:
        cents = [int(v.price * 100) for v in variants]
        whole, rest = divmod(sum(cents), len(cents))
        average_cents = whole + 1 if 2 * rest >= len(cents) else whole  # half up
        prices = {
            "currency": currencies.pop(),
            "price_min": min(v.price for v in variants),
            "price_max": max(v.price for v in variants),
            "price_avg": Decimal(average_cents) / 100,
        }
    else:  # no variants, or currencies mixed before the rule: no price figures at all
        prices = {"currency": "", "price_min": None, "price_max": None, "price_avg": None}
    if total_stock == 0:
        stock_status = "out"
    elif total_stock <= threshold:
        stock_status = "low"
    else:
        stock_status = "in"
    points = min(40, len(spec.description) // 5)  # 40 at 200 characters, rounded down
    if category_id is not None:
        points += 20
    if variants:
        points += 20
        if all(v.size != "" or v.colour != "" for v in variants):
            points += 10
    if spec.status == "published":
        points += 10
    return {
        "category_id": category_id,
        "variant_count": len(variants),
        **prices,
        "total_stock": total_stock,
        "stock_status": stock_status,
        "completeness": points,
    }


# ---- the rules alone, no database ------------------------------------------------------


@given(products(), _THRESHOLDS)
def test_the_rules_give_a_products_figures_by_hand(spec, threshold):
    variants = spec.variants
    prices = [v.price for v in variants]
    category_id = 1 if spec.has_category else None

    with override_settings(STATS_LOW_STOCK_THRESHOLD=threshold):
        computed = {
            "category_id": category_id,
            "variant_count": len(variants),
            **figures.product_price_figures(
                currencies=[v.currency for v in variants],
                price_min=min(prices, default=None),
                price_max=max(prices, default=None),
                price_sum=sum(prices) if prices else None,
                variant_count=len(variants),
            ),
            "total_stock": sum(v.stock for v in variants),
            "stock_status": figures.stock_status(total_stock=sum(v.stock for v in variants)),
            "completeness": figures.completeness(
                description_length=len(spec.description),
                has_category=spec.has_category,
                variant_count=len(variants),
                unlabelled_variant_count=sum(1 for v in variants if not v.size and not v.colour),
                published=spec.status == Product.Status.PUBLISHED,
            ),
        }

    assert tuple(computed) == figures.PRODUCT_FIGURES
    assert computed == _by_hand(spec, category_id=category_id, threshold=threshold)


# ---- the set-based recompute (SQL) and the reference, on the database ------------------


def _create(spec: ProductSpec) -> Product:
    product = ProductFactory(
        description=spec.description,
        category=CategoryFactory() if spec.has_category else None,
        status=spec.status,
    )
    for variant in spec.variants:
        VariantFactory(product=product, **asdict(variant))
    return product


@pytest.mark.django_db
@db_settings()
@given(st.lists(products(), min_size=1, max_size=3), _THRESHOLDS)
@example([ProductSpec("", False, "draft", ())], 5)
def test_the_recompute_gives_each_product_its_figures_by_hand(specs, threshold):
    # One savepoint per example, rolled back: each starts from the same empty catalog.
    with override_settings(STATS_LOW_STOCK_THRESHOLD=threshold), transaction.atomic():
        created = [_create(spec) for spec in specs]

        product_stats_recompute(product_ids=[p.pk for p in created])

        stored = {
            row.pop("product_id"): row
            for row in ProductStats.objects.filter(product__in=created).values(
                "product_id", *figures.PRODUCT_FIGURES
            )
        }
        for spec, product in zip(specs, created, strict=True):
            expected = _by_hand(spec, category_id=product.category_id, threshold=threshold)
            assert stored[product.pk] == expected
            assert product_stats_from_scratch(product_id=product.pk)[0] == expected
        transaction.set_rollback(True)


# ---- categories: figures over each one's whole subtree ---------------------------------


@dataclass(frozen=True)
class CatalogSpec:
    #: Category ``i``'s parent: the index of an earlier category, or None for a root.
    parents: tuple[int | None, ...]
    #: Each product with the index of its category (None: no category).
    products: tuple[tuple[int | None, ProductSpec], ...]
    #: The categories a recompute is asked for (it also does their ancestors).
    asked: frozenset[int]


@st.composite
def catalogs(draw) -> CatalogSpec:
    count = draw(st.integers(1, 5))
    # Often the one just before: deep chains, where a roll-up has the most levels to climb.
    parents = tuple(
        draw(st.sampled_from([None, index - 1, index - 1]) | st.integers(0, index - 1))
        if index
        else None
        for index in range(count)
    )
    placed = st.tuples(st.none() | st.integers(0, count - 1), products())
    return CatalogSpec(
        parents=parents,
        products=tuple(draw(st.lists(placed, max_size=4))),
        asked=frozenset(draw(st.sets(st.integers(0, count - 1), min_size=1))),
    )


def _categories_by_hand(spec: CatalogSpec) -> dict[int, dict]:
    """Per category index (asked or above one): its figures over itself and all below it."""

    def up(index: int | None) -> list[int]:  # the category and every one above it
        chain = []
        while index is not None:
            chain.append(index)
            index = spec.parents[index]
        return chain

    figures_by_index = {}
    for index in {above for asked in spec.asked for above in up(asked)}:
        below = [p for category, p in spec.products if index in up(category)]
        prices: dict[str, list[Decimal]] = {}
        for variant in (v for p in below for v in p.variants):
            prices.setdefault(variant.currency, []).append(variant.price)
        figures_by_index[index] = {
            "product_count": len(below),
            "published_count": sum(1 for p in below if p.status == "published"),
            "draft_count": sum(1 for p in below if p.status == "draft"),
            "total_stock": sum(v.stock for p in below for v in p.variants),
            "prices": {
                currency: {"price_min": min(values), "price_max": max(values)}
                for currency, values in prices.items()
            },
        }
    return figures_by_index


@pytest.mark.django_db
@db_settings()
@given(catalogs())
def test_the_category_recompute_gives_each_subtree_its_figures_by_hand(spec):
    with transaction.atomic():
        categories = []
        for parent in spec.parents:
            parent_category = None if parent is None else categories[parent]
            categories.append(CategoryFactory(parent=parent_category))
        for index, product in spec.products:
            created = ProductFactory(
                description=product.description,
                category=None if index is None else categories[index],
                status=product.status,
            )
            for variant in product.variants:
                VariantFactory(product=created, **asdict(variant))

        category_stats_recompute(category_ids=[categories[i].pk for i in spec.asked])

        expected = {categories[i].pk: figures for i, figures in _categories_by_hand(spec).items()}
        stored = {
            row.pop("category_id"): row | {"prices": {}}
            for row in CategoryStats.objects.filter(category__in=categories).values(
                "category_id", *figures.CATEGORY_FIGURES
            )
        }
        for row in CategoryPriceRange.objects.filter(category__in=categories):
            stored[row.category_id]["prices"][row.currency] = {
                name: getattr(row, name) for name in figures.CATEGORY_PRICE_FIGURES
            }
        assert stored == expected
        for pk, by_hand in expected.items():
            prices = by_hand.pop("prices")
            assert category_stats_from_scratch(category_id=pk) == by_hand
            assert category_price_ranges_from_scratch(category_id=pk) == prices
        transaction.set_rollback(True)
