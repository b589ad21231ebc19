"""Saved views and list settings: the writes and their rules.

- A name once per owner (whatever its capitals: MariaDB compares names so), never empty.
- Only a view's owner updates, renames, shares or deletes it; a teammate may open a
  shared view and make it their default, nothing else.
- One default per editor (``ProductListSettings.default_view``). Making a view the
  default takes the place of the one before. When an owner stops sharing a view, or
  deletes it, the teammates who had it as their default go back to "All products".
- What is saved is checked against the list (``ListShape``): unknown parameters, columns
  and sorts are dropped, so a saved view never opens on an error.
"""

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from catalog.listviews.models import ProductListSettings, SavedView
from catalog.listviews.query import ListShape, columns_clean, query_clean, sort_clean

NAME_MAX_LENGTH = SavedView._meta.get_field("name").max_length or 80
QUERY_MAX_LENGTH = SavedView._meta.get_field("query").max_length or 2000


class SavedViewError(Exception):
    """A view cannot be saved as asked; ``field`` names the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _name_clean(*, owner: Any, name: str, view_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise SavedViewError("Give the view a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise SavedViewError(
            f"A view's name has at most {NAME_MAX_LENGTH} characters.", field="name"
        )
    taken = SavedView.objects.filter(owner=owner, name__iexact=name)
    if view_id is not None:
        taken = taken.exclude(pk=view_id)
    if taken.exists():
        raise SavedViewError(
            f"You already have a view named “{name}”: choose another name, "
            "or update that view instead.",
            field="name",
        )
    return name


def _query(shape: ListShape, query: str) -> str:
    cleaned = query_clean(query, known=shape.params)
    if len(cleaned) > QUERY_MAX_LENGTH:
        raise SavedViewError(
            "This list's filters and search are too long to save: shorten the search."
        )
    return cleaned


def _settings(user: Any) -> ProductListSettings:
    settings, _ = ProductListSettings.objects.select_for_update().get_or_create(user=user)
    return settings


def _columns(shape: ListShape, columns: Sequence[str]) -> list[str]:
    if not columns:
        return []
    chosen = columns_clean(columns, available=shape.available, required=shape.required)
    # The standard columns are saved as "none chosen": the view then follows the list
    # when another app adds a column.
    return [] if chosen == shape.columns([]) else chosen


def _check_owner(user: Any, view: SavedView) -> None:
    if view.owner_id != user.pk:
        raise SavedViewError("Only the editor who saved this view can change it.")


@transaction.atomic
def saved_view_save(
    *,
    owner: Any,
    shape: ListShape,
    name: str,
    query: str,
    sort: Sequence[str],
    columns: Sequence[str],
    shared: bool = False,
    make_default: bool = False,
) -> SavedView:
    """A new view of the list as the editor sees it now."""
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                owner=owner,
                name=_name_clean(owner=owner, name=name),
                query=_query(shape, query),
                sort=sort_clean(sort, sortable=shape.sortable),
                columns=_columns(shape, columns),
                shared=shared,
            )
    except IntegrityError as exc:  # the same name saved at the same moment
        raise SavedViewError(
            f"You already have a view named “{name.strip()}”.", field="name"
        ) from exc
    if make_default:
        saved_view_make_default(user=owner, view=view)
    return view


@transaction.atomic
def saved_view_update(
    *,
    user: Any,
    view: SavedView,
    shape: ListShape,
    name: str | None = None,
    shared: bool | None = None,
    make_default: bool | None = None,
    query: str | None = None,
    sort: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> SavedView:
    """Renames, shares or not, or replaces what the view shows (the list as it is now).

    Only what is given changes. ``make_default=False`` stops it being the owner's default.
    """
    _check_owner(user, view)
    if name is not None:
        view.name = _name_clean(owner=user, name=name, view_id=view.pk)
    if query is not None:
        view.query = _query(shape, query)
    if sort is not None:
        view.sort = sort_clean(sort, sortable=shape.sortable)
    if columns is not None:
        view.columns = _columns(shape, columns)
    if shared is not None:
        if view.shared and not shared:
            ProductListSettings.objects.filter(default_view=view).exclude(user=user).update(
                default_view=None
            )
        view.shared = shared
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:
        raise SavedViewError(f"You already have a view named “{view.name}”.", field="name") from exc
    if make_default is True:
        saved_view_make_default(user=user, view=view)
    elif make_default is False:
        ProductListSettings.objects.filter(user=user, default_view=view).update(default_view=None)
    return view


@transaction.atomic
def saved_view_delete(*, user: Any, view: SavedView) -> None:
    """Deletes an own view; whoever had it as their default goes back to "All products"."""
    _check_owner(user, view)
    view.delete()


@transaction.atomic
def saved_view_make_default(*, user: Any, view: SavedView | None) -> None:
    """The view the product list opens on for ``user`` (``None``: "All products").

    An own view or a teammate's shared one: a teammate's private view is refused.
    """
    if view is not None and view.owner_id != user.pk and not view.shared:
        raise SavedViewError("This view is not shared with you.")
    settings = _settings(user)
    settings.default_view = view
    settings.save(update_fields=["default_view"])


@transaction.atomic
def saved_view_open(*, user: Any, view: SavedView) -> None:
    """Opening a view shows its columns, and they stay the editor's columns after it."""
    if view.owner_id != user.pk and not view.shared:
        raise SavedViewError("This view is not shared with you.")
    settings = _settings(user)
    settings.columns = list(view.columns)
    settings.save(update_fields=["columns"])


@transaction.atomic
def list_columns_choose(*, user: Any, shape: ListShape, columns: Sequence[str]) -> list[str]:
    """The editor's columns from now on (until they choose again or open a view)."""
    settings = _settings(user)
    settings.columns = _columns(shape, columns)
    settings.save(update_fields=["columns"])
    return shape.columns(settings.columns)
