"""Reads of the catalog worth a name: the category tree and who changed a product last."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max

from catalog.models import Category, Product, Variant
from catalog.tree import max_depth

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
    """The roots and every category below them: the one walk down the tree.

    Each node is visited once and the walk spans at most ``CATALOG_CATEGORY_MAX_DEPTH``
    levels (the roots' and those below), so a shared subtree or a cycle in bad data ends
    it instead of looping.
    """
    children = category_children(tree)
    seen: set[int] = set(roots)
    level = set(seen)
    for _ in range(max_depth() - 1):
        level = {child for node in level for child in children.get(node, ())} - seen
        if not level:
            break
        seen |= level
    return seen


def category_with_ancestors(category_ids: Iterable[int], tree: Tree) -> set[int]:
    """The categories and every category above them: the one walk up the tree.

    At most ``CATALOG_CATEGORY_MAX_DEPTH`` categories from each one up (the deepest a
    tree may be), each category once: a cycle in bad data ends the walk.
    """
    limit = max_depth()
    found: set[int] = set()
    for category_id in category_ids:
        node: int | None = category_id
        steps = 0
        while node is not None and node in tree and node not in found and steps < limit:
            found.add(node)
            node = tree[node]
            steps += 1
    return found


@dataclass(frozen=True)
class LastEditor:
    user_id: int | None
    #: None when the change came from code (no request, so no user) or the user is gone.
    username: str | None
    changed_at: datetime


def product_last_editors(*, product_id: int, limit: int = 3) -> list[LastEditor]:
    """The last ``limit`` distinct users who changed the product, latest first.

    A product is changed by saving it (its own history) or one of its variants (the
    variants' history, which carries ``product_id``), so both histories are read. One
    query whatever the history's length: each table is grouped by user in the database
    (a product has a handful of editors, not thousands of rows), the two groupings come
    back as one UNION ALL, and the per-user latest date is merged here.
    """
    product_rows = (
        Product.history.filter(id=product_id)
        .order_by()
        .values("history_user_id", "history_user__username")
        .annotate(changed_at=Max("history_date"))
    )
    variant_rows = (
        Variant.history.filter(product_id=product_id)
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
