"""Reads of the catalog worth a name: the category tree and who changed a product last."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from catalog.models import Category, Product, Variant
from catalog.tree import category_ancestry, category_levels, max_depth

#: category id -> parent id (None for a top-level category).
Tree = dict[int, int | None]


def category_tree() -> Tree:
    """The whole tree in one query: catalogs have thousands of categories, not millions."""
    return dict(Category.objects.order_by().values_list("id", "parent_id"))


def category_children(tree: Tree) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for category_id, parent_id in tree.items():
        if parent_id is not None:
            children.setdefault(parent_id, []).append(category_id)
    return children


def category_subtrees(roots: Iterable[int], tree: Tree) -> set[int]:
    """The roots and every category below them, from the whole tree in memory.

    ``catalog.tree``'s walk down: each node once, at most ``CATALOG_CATEGORY_MAX_DEPTH``
    levels (the roots' and those below), so bad data ends it instead of looping.
    """
    children = category_children(tree)
    start = set(roots)
    found = set(start)
    below = category_levels(
        start,
        lambda ids: [child for node in ids for child in children.get(node, ())],
        limit=max_depth() - 1,
    )
    for level in below:
        found |= level
    return found


def category_with_ancestors(category_ids: Iterable[int], tree: Tree) -> set[int]:
    """The categories and every category above them, from the whole tree in memory.

    ``catalog.tree``'s walk up from each one: at most ``CATALOG_CATEGORY_MAX_DEPTH``
    categories, each once, so a cycle in bad data ends it. Ids not in ``tree`` (deleted
    meanwhile) are left out.
    """
    limit = max_depth()
    found: set[int] = set()
    for category_id in category_ids:
        if category_id in tree and category_id not in found:
            chain = category_ancestry(category_id, tree.get, limit=limit).chain
            found.update(node for node in chain if node in tree)
    return found


def category_names() -> tuple[Tree, dict[int, str]]:
    """The whole tree and every category's name, in one query."""
    rows = Category.objects.order_by().values_list("id", "parent_id", "name")
    tree: Tree = {}
    names: dict[int, str] = {}
    for category_id, parent_id, name in rows:
        tree[category_id] = parent_id
        names[category_id] = name
    return tree, names


@dataclass(frozen=True)
class OutlineEntry:
    id: int
    name: str
    #: 0 for a top-level category, 1 for its children...
    depth: int


def category_outline(tree: Tree, names: Mapping[int, str]) -> list[OutlineEntry]:
    """Every category once, each right under its parent, siblings by name: a menu's order.

    Sorted by each category's path of names from the top, found by ``catalog.tree``'s
    walk up (at most ``CATALOG_CATEGORY_MAX_DEPTH`` steps, each category once), so a
    cycle in bad data still ends and its categories are listed, under whichever of them
    the walk met first.
    """
    limit = max_depth()
    keyed = []
    for category_id in tree:
        chain = category_ancestry(category_id, tree.get, limit=limit).chain
        path = tuple((names.get(node, "").casefold(), node) for node in reversed(chain))
        keyed.append((path, OutlineEntry(category_id, names.get(category_id, ""), len(chain) - 1)))
    keyed.sort(key=lambda item: item[0])
    return [entry for _, entry in keyed]


#: Between the names of a category path, as editors read it: "Clothing / Shirts".
PATH_SEPARATOR = " / "


def category_path_names(category_id: int, tree: Tree, names: Mapping[int, str]) -> list[str]:
    """The names from the top category down to ``category_id`` (itself last).

    ``catalog.tree``'s walk up (bounded, each category once): a cycle in bad data gives
    a partial path, never a loop.
    """
    chain = category_ancestry(category_id, tree.get, limit=max_depth()).chain
    return [names.get(node, "") for node in reversed(chain)]


def category_path(category_id: int) -> str:
    """One category's path by names, "Clothing / Shirts", from the tree read in one query."""
    tree, names = category_names()
    return PATH_SEPARATOR.join(category_path_names(category_id, tree, names))


def category_product_counts(products: QuerySet[Product]) -> dict[int | None, int]:
    """How many of ``products`` each category holds itself (None: no category), one query.

    A GROUP BY over the category foreign key's index: at 100,000 products it reads the
    index only, never the rows.
    """
    rows = products.order_by().values_list("category_id").annotate(n=Count("*"))
    return dict(rows.values_list("category_id", "n"))


#: Where ``catalog_category_counts`` keeps a large catalog's counts between requests.
CATEGORY_COUNTS_CACHE_KEY = "catalog:category-product-counts"


def catalog_category_counts() -> dict[int | None, int]:
    """Each category's own product count over the whole catalog, as the list's filter shows it.

    The GROUP BY reads the whole category index: 170-180 ms on every product list page
    at 1,000,000 products (bench/README.md). Beyond the list's exact-count threshold
    (``CATALOG_LIST_EXACT_COUNT_UP_TO``) the counts are kept for
    ``CATALOG_CATEGORY_COUNTS_CACHE_SECONDS`` in the process's cache, so they may be that
    old, as the list's own count is an estimate there; a smaller catalog is counted on
    every request (a few ms) and its counts are always exact.
    """
    counts: dict[int | None, int] | None = cache.get(CATEGORY_COUNTS_CACHE_KEY)
    if counts is not None:
        return counts
    counts = category_product_counts(Product.objects.all())
    if sum(counts.values()) > settings.CATALOG_LIST_EXACT_COUNT_UP_TO:
        cache.set(CATEGORY_COUNTS_CACHE_KEY, counts, settings.CATALOG_CATEGORY_COUNTS_CACHE_SECONDS)
    return counts


def category_subtree_counts(own: Mapping[int | None, int], tree: Tree) -> dict[int, int]:
    """Each category's count plus its descendants' counts, from the counts of each alone.

    Every category's own count is added to it and to each category above it, found by
    ``catalog.tree``'s walk up (bounded, each ancestor once, so a cycle in bad data
    counts nothing twice). Categories in ``tree`` that hold nothing count 0; counts of
    ids missing from ``tree`` (deleted meanwhile) and of "no category" are left out.
    """
    limit = max_depth()
    totals = dict.fromkeys(tree, 0)
    for category_id, count in own.items():
        if category_id is None or category_id not in tree:
            continue
        for node in category_ancestry(category_id, tree.get, limit=limit).chain:
            if node in totals:
                totals[node] += count
    return totals


def category_slug_paths() -> dict[int, str]:
    """Each category's slug path from the top (``clothing/clothing-shirts``): the import
    and export name categories so, readable and stable across databases (ids are not).

    One query; a cycle or a too-deep chain in bad data yields a partial path, never a loop.
    """
    rows = list(Category.objects.order_by().values_list("id", "parent_id", "slug"))
    tree: Tree = {pk: parent for pk, parent, _ in rows}
    slugs = {pk: slug for pk, _, slug in rows}
    limit = max_depth()
    paths: dict[int, str] = {}
    for pk in tree:
        chain = category_ancestry(pk, tree.get, limit=limit).chain
        paths[pk] = "/".join(slugs[node] for node in reversed(chain) if node in slugs)
    return paths


@dataclass(frozen=True)
class LastEditor:
    user_id: int | None
    #: None when the change came from code (no request, so no user) or the user is gone.
    username: str | None
    changed_at: datetime


def product_last_editors(
    *, product_id: int, limit: int = 3, since: datetime | None = None
) -> list[LastEditor]:
    """The last ``limit`` distinct users who changed the product, latest first.

    ``since``: only changes after it (who saved while an editor had the form open).

    A product is changed by saving it (its own history) or one of its variants (the
    variants' history, which carries ``product_id``), so both histories are read. One
    query whatever the history's length: each table is grouped by user in the database
    (a product has a handful of editors, not thousands of rows), the two groupings come
    back as one UNION ALL, and the per-user latest date is merged here.
    """
    after = {} if since is None else {"history_date__gt": since}
    product_rows = (
        Product.history.filter(id=product_id, **after)
        .order_by()
        .values("history_user_id", "history_user__username")
        .annotate(changed_at=Max("history_date"))
    )
    variant_rows = (
        Variant.history.filter(product_id=product_id, **after)
        .order_by()
        .values("history_user_id", "history_user__username")
        .annotate(changed_at=Max("history_date"))
    )
    latest: dict[int | None, LastEditor] = {}
    for row in product_rows.union(variant_rows, all=True):
        user_id = row["history_user_id"]
        known = latest.get(user_id)
        if known is None or row["changed_at"] > known.changed_at:
            latest[user_id] = LastEditor(
                user_id=user_id,
                username=row["history_user__username"],
                changed_at=row["changed_at"],
            )
    return sorted(latest.values(), key=lambda e: e.changed_at, reverse=True)[:limit]
