"""The category tree stays a tree, and walks end even on data where it is not."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.urls import reverse

from catalog.models import Category
from catalog.selectors import (
    OutlineEntry,
    category_outline,
    category_subtree_counts,
    category_subtrees,
    category_tree,
    category_with_ancestors,
)
from catalog.services import CategoryTreeError, category_save
from catalog.tree import category_ancestry, category_levels_below
from testkit.admin_forms import post_loaded

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_category_add")


@contextmanager
def _query_budget(limit: int) -> Iterator[None]:
    """Fail at the (limit+1)th query: a walk that loops fails here instead of hanging."""
    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        count += 1
        if count > limit:
            raise AssertionError(f"more than {limit} queries: a walk is looping")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        yield


def _chain(category_factory, depth: int) -> list[Category]:
    """Categories nested ``depth`` levels deep, top first."""
    nodes: list[Category] = []
    for level in range(depth):
        nodes.append(category_factory(parent=nodes[-1] if nodes else None, slug=f"level-{level}"))
    return nodes


def _plant_cycle(*nodes: Category) -> None:
    """Each node's parent becomes the next, the last's the first: a raw UPDATE, no check."""
    for node, parent in zip(nodes, [*nodes[1:], nodes[0]], strict=True):
        Category.objects.filter(pk=node.pk).update(parent=parent)


def _change(admin_client, category: Category, parent: Category | None):
    return post_loaded(
        admin_client,
        reverse("admin:catalog_category_change", args=[category.pk]),
        {"name": category.name, "slug": category.slug, "parent": parent.pk if parent else ""},
    )


def test_walk_up_stops_at_a_cycle_and_says_so():
    parents = {1: 2, 2: 3, 3: 2}
    ancestry = category_ancestry(1, parents.get, limit=100)
    assert ancestry.chain == (1, 2, 3)
    assert ancestry.loops and not ancestry.truncated


def test_walk_up_stops_at_the_limit():
    parents = {n: n + 1 for n in range(1, 1000)}
    ancestry = category_ancestry(1, parents.get, limit=5)
    assert ancestry.chain == (1, 2, 3, 4, 5)
    assert ancestry.truncated and not ancestry.loops


def test_walk_down_counts_levels_and_ends_on_a_cycle():
    children = {1: [2], 2: [3], 3: [1]}

    def children_of(ids):
        return [c for i in ids for c in children.get(i, [])]

    assert category_levels_below(1, children_of, limit=100) == 2
    assert category_levels_below(3, lambda ids: [], limit=100) == 0


def test_selector_walks_end_on_a_cycle_planted_in_the_database(category_factory):
    top, middle, bottom = _chain(category_factory, 3)
    _plant_cycle(middle, bottom)  # top > middle <-> bottom: middle's parent is now bottom
    tree = category_tree()

    assert category_subtrees([bottom.pk], tree) == {middle.pk, bottom.pk}
    assert category_with_ancestors([bottom.pk], tree) == {middle.pk, bottom.pk}
    assert category_subtrees([top.pk], tree) == {top.pk}


def test_selector_walks_stop_at_the_depth_limit(settings, category_factory):
    settings.CATALOG_CATEGORY_MAX_DEPTH = 3
    nodes = _chain(category_factory, 6)  # bad data, written before the limit
    tree = category_tree()

    assert category_subtrees([nodes[0].pk], tree) == {n.pk for n in nodes[:3]}
    assert category_with_ancestors([nodes[5].pk], tree) == {n.pk for n in nodes[3:]}


def test_subtree_counts_add_each_categorys_products_to_every_ancestor():
    tree = {1: None, 2: 1, 3: 2, 4: 1, 5: None}
    own = {1: 1, 3: 2, 4: 1, 5: 1, None: 7, 99: 3}  # None: no category; 99: deleted meanwhile
    assert category_subtree_counts(own, tree) == {1: 4, 2: 2, 3: 2, 4: 1, 5: 1}


def test_subtree_counts_count_nothing_twice_on_a_cycle():
    tree = {1: 2, 2: 3, 3: 1, 4: 3}
    assert category_subtree_counts({1: 1, 2: 10, 3: 100, 4: 1000}, tree) == {
        1: 111 + 1000,
        2: 111 + 1000,
        3: 111 + 1000,
        4: 1000,
    }


def test_subtree_counts_stop_at_the_depth_limit(settings):
    settings.CATALOG_CATEGORY_MAX_DEPTH = 3
    tree = {1: None, 2: 1, 3: 2, 4: 3}  # 4 sits one level too deep (bad data)
    assert category_subtree_counts({4: 1}, tree) == {1: 0, 2: 1, 3: 1, 4: 1}


def test_outline_lists_each_category_under_its_parent_with_siblings_by_name():
    tree = {1: None, 2: 1, 3: 1, 4: None, 5: 3}
    names = {1: "Clothing", 2: "shirts", 3: "Jackets", 4: "Bags", 5: "Parkas"}
    assert category_outline(tree, names) == [
        OutlineEntry(4, "Bags", 0),
        OutlineEntry(1, "Clothing", 0),
        OutlineEntry(3, "Jackets", 1),
        OutlineEntry(5, "Parkas", 2),
        OutlineEntry(2, "shirts", 1),
    ]


def test_outline_lists_every_category_of_a_cycle_once():
    tree = {1: 2, 2: 3, 3: 1}
    names = {1: "A", 2: "B", 3: "C"}
    assert sorted(e.id for e in category_outline(tree, names)) == [1, 2, 3]


def test_a_category_moved_under_its_descendant_is_a_form_error(admin_client, category_factory):
    top, _, bottom = _chain(category_factory, 3)

    response = _change(admin_client, top, bottom)

    assert response.status_code == 200
    assert "cannot go inside itself" in response.content.decode()
    top.refresh_from_db()
    assert top.parent_id is None


def test_a_save_under_an_existing_cycle_is_a_form_error_not_a_hang(admin_client, category_factory):
    outside = category_factory()
    _, middle, bottom = _chain(category_factory, 3)
    _plant_cycle(middle, bottom)  # outside of the cycle: the walk never meets "outside"

    with _query_budget(200):
        moved = _change(admin_client, outside, bottom)
        added = admin_client.post(ADD_URL, {"name": "New", "slug": "new", "parent": middle.pk})

    for response in (moved, added):
        assert response.status_code == 200
        assert "loop back on themselves" in response.content.decode()
    outside.refresh_from_db()
    assert outside.parent_id is None
    assert not Category.objects.filter(slug="new").exists()


def test_a_category_deeper_than_the_limit_is_a_form_error(settings, admin_client, category_factory):
    settings.CATALOG_CATEGORY_MAX_DEPTH = 3
    *_, bottom = _chain(category_factory, 3)

    response = admin_client.post(ADD_URL, {"name": "Deep", "slug": "deep", "parent": bottom.pk})

    assert response.status_code == 200
    assert "at most 3 levels deep" in response.content.decode()
    assert not Category.objects.filter(slug="deep").exists()


def test_a_subtree_moved_deeper_than_the_limit_is_a_form_error(
    settings, admin_client, category_factory
):
    settings.CATALOG_CATEGORY_MAX_DEPTH = 3
    top, middle = _chain(category_factory, 2)
    other = category_factory(slug="other")
    category_factory(parent=other, slug="other-child")

    refused = _change(admin_client, other, middle)  # other-child would be at level 4
    accepted = _change(admin_client, other, top)  # other-child at level 3

    assert refused.status_code == 200
    assert "at most 3 levels deep" in refused.content.decode()
    assert accepted.status_code == 302
    other.refresh_from_db()
    assert other.parent_id == top.pk


def test_category_save_refuses_a_cycle_with_nothing_saved(category_factory):
    top, bottom = _chain(category_factory, 2)
    top.parent = bottom
    top.name = "Renamed"

    with pytest.raises(CategoryTreeError, match="cannot go inside itself"):
        category_save(category=top)

    top.refresh_from_db()
    assert top.parent_id is None
    assert top.name != "Renamed"
