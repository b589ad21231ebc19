"""The category roll-up ends on bad data: a chain deeper than CATALOG_CATEGORY_MAX_DEPTH or a
cycle, written past the save's checks (a raw UPDATE, rows older than the checks).

The roll-up walks up from each category with catalog.tree's bounded walk, as every walk of
the tree does: at most the bound's number of categories, each once.
"""

import pytest

from catalog.models import Category
from stats.models import CategoryStats
from stats.recompute.categories import category_stats_recompute, category_stats_recompute_all

pytestmark = pytest.mark.django_db


def _chain(category_factory, depth: int) -> list[Category]:
    """Categories nested ``depth`` levels deep, top first (factories skip the save's checks)."""
    nodes: list[Category] = []
    for level in range(depth):
        nodes.append(category_factory(parent=nodes[-1] if nodes else None, slug=f"level-{level}"))
    return nodes


def _counts(nodes: list[Category]) -> list[int]:
    rows = dict(CategoryStats.objects.values_list("category_id", "product_count"))
    return [rows.get(node.pk, -1) for node in nodes]


def test_a_chain_deeper_than_the_bound_is_rolled_up_as_far_as_the_bound(
    settings, category_factory, product_factory
):
    settings.CATALOG_CATEGORY_MAX_DEPTH = 3
    nodes = _chain(category_factory, 6)  # three levels too deep
    product_factory(category=nodes[5])

    category_stats_recompute_all()

    # The product counts in its category and the two above it: three categories walked.
    assert _counts(nodes) == [0, 0, 0, 1, 1, 1]

    CategoryStats.objects.all().delete()
    category_stats_recompute(category_ids=[nodes[5].pk])

    assert _counts(nodes) == [-1, -1, -1, 1, 1, 1]  # its ancestors within the bound only


def test_a_chain_within_the_bound_is_rolled_up_to_the_top(category_factory, product_factory):
    nodes = _chain(category_factory, 6)  # the default bound is deeper
    product_factory(category=nodes[5])
    product_factory(category=nodes[2])

    category_stats_recompute_all()

    assert _counts(nodes) == [2, 2, 2, 1, 1, 1]


def test_a_cycle_ends_the_roll_up_and_counts_each_product_once(category_factory, product_factory):
    top, middle, bottom = _chain(category_factory, 3)
    # middle's parent becomes bottom (a raw UPDATE, no check): top > middle <-> bottom.
    Category.objects.filter(pk=middle.pk).update(parent=bottom)
    product_factory(category=bottom)
    product_factory(category=middle)

    category_stats_recompute_all()
    category_stats_recompute(category_ids=[bottom.pk])

    # Each member of the cycle is above the other: both count both products, once each.
    assert _counts([top, middle, bottom]) == [0, 2, 2]
