import pytest

from catalog.listviews.models import ProductListSettings, SavedView
from catalog.listviews.selectors import default_view_for
from catalog.listviews.services import (
    SavedViewError,
    list_columns_choose,
    saved_view_delete,
    saved_view_make_default,
    saved_view_open,
    saved_view_save,
    saved_view_update,
)

pytestmark = pytest.mark.django_db


def _save(owner, shape, name="Drafts", **kwargs):
    values = {"query": "status__exact=draft", "sort": [], "columns": [], **kwargs}
    return saved_view_save(owner=owner, shape=shape, name=name, **values)


def test_a_view_keeps_what_the_list_knows_and_drops_the_rest(editor, shape):
    view = _save(
        editor,
        shape,
        "  Thin   drafts ",
        query="p=2&status__exact=draft&foo=bar&q=shirt",
        sort=["-updated", "variant_count"],
        columns=["price_range", "bogus", "status"],
    )

    view.refresh_from_db()
    assert view.name == "Thin drafts"
    assert view.query == "q=shirt&status__exact=draft"
    assert view.sort == ["-updated"]
    assert view.columns == ["sku", "name", "price_range", "status"]


def test_the_standard_columns_are_saved_as_no_choice(editor, shape):
    view = _save(editor, shape, columns=list(shape.standard))

    assert view.columns == []


@pytest.mark.parametrize("name", ["", "   "])
def test_a_view_without_a_name_is_refused(editor, shape, name):
    with pytest.raises(SavedViewError, match="Give the view a name") as refused:
        _save(editor, shape, name)

    assert refused.value.field == "name"
    assert not SavedView.objects.exists()


def test_a_name_is_once_per_owner_whatever_its_capitals(editor, editor_factory, shape):
    _save(editor, shape, "Drafts")

    with pytest.raises(SavedViewError, match="already have a view named"):
        _save(editor, shape, "DRAFTS")
    _save(editor_factory(), shape, "Drafts")  # another editor's own name

    assert SavedView.objects.filter(name__iexact="drafts").count() == 2


def test_a_rename_to_a_name_taken_is_refused_and_changes_nothing(editor, shape):
    _save(editor, shape, "Drafts")
    other = _save(editor, shape, "Shirts")

    with pytest.raises(SavedViewError):
        saved_view_update(user=editor, view=other, shape=shape, name="drafts")

    other.refresh_from_db()
    assert other.name == "Shirts"


def test_only_the_owner_changes_or_deletes_a_view(editor, editor_factory, shape):
    view = _save(editor, shape, shared=True)
    teammate = editor_factory()

    with pytest.raises(SavedViewError, match="Only the editor who saved"):
        saved_view_update(user=teammate, view=view, shape=shape, name="Mine now")
    with pytest.raises(SavedViewError):
        saved_view_delete(user=teammate, view=view)

    view.refresh_from_db()
    assert view.name == "Drafts"


def test_an_update_replaces_what_the_view_shows(editor, shape):
    view = _save(editor, shape)

    saved_view_update(
        user=editor,
        view=view,
        shape=shape,
        query="q=oxford",
        sort=["name"],
        columns=["total_stock"],
    )

    view.refresh_from_db()
    assert (view.query, view.sort, view.columns) == (
        "q=oxford",
        ["name"],
        ["sku", "name", "total_stock"],
    )


def test_one_default_per_editor_the_last_one_chosen(editor, shape):
    first = _save(editor, shape, "First", make_default=True)
    second = _save(editor, shape, "Second", make_default=True)

    assert ProductListSettings.objects.get(user=editor).default_view == second
    assert default_view_for(user=editor) == second
    saved_view_update(user=editor, view=second, shape=shape, make_default=False)
    assert default_view_for(user=editor) is None
    assert first.pk  # still there, just not the default


def test_a_teammates_shared_view_may_be_a_default_a_private_one_may_not(
    editor, editor_factory, shape
):
    shared = _save(editor, shape, "Team", shared=True)
    private = _save(editor, shape, "Mine")
    teammate = editor_factory()

    saved_view_make_default(user=teammate, view=shared)
    with pytest.raises(SavedViewError, match="not shared with you"):
        saved_view_make_default(user=teammate, view=private)
    with pytest.raises(SavedViewError):
        saved_view_open(user=teammate, view=private)

    assert default_view_for(user=teammate) == shared


def test_unsharing_or_deleting_a_view_clears_the_teammates_defaults_only(
    editor, editor_factory, shape
):
    view = _save(editor, shape, shared=True, make_default=True)
    teammate = editor_factory()
    saved_view_make_default(user=teammate, view=view)

    saved_view_update(user=editor, view=view, shape=shape, shared=False)

    assert default_view_for(user=teammate) is None
    assert default_view_for(user=editor) == view
    saved_view_delete(user=editor, view=view)
    assert default_view_for(user=editor) is None
    assert ProductListSettings.objects.get(user=editor).default_view is None


def test_opening_a_view_makes_its_columns_the_editors(editor, editor_factory, shape):
    view = _save(editor, shape, columns=["price_range"], shared=True)
    teammate = editor_factory()

    saved_view_open(user=teammate, view=view)

    assert ProductListSettings.objects.get(user=teammate).columns == ["sku", "name", "price_range"]


def test_the_chosen_columns_are_remembered_and_none_means_standard(editor, shape):
    shown = list_columns_choose(user=editor, shape=shape, columns=["total_stock", "status"])

    assert shown == ["sku", "name", "total_stock", "status"]
    assert ProductListSettings.objects.get(user=editor).columns == shown
    assert list_columns_choose(user=editor, shape=shape, columns=[]) == list(shape.standard)


def test_a_search_too_long_to_save_is_refused_not_cut(editor, shape):
    with pytest.raises(SavedViewError, match="too long to save"):
        _save(editor, shape, query="q=" + "shirt " * 400)

    assert not SavedView.objects.exists()


def test_the_database_holds_one_name_per_owner_too(editor):
    from django.db import IntegrityError, transaction

    SavedView.objects.create(owner=editor, name="Drafts")

    with pytest.raises(IntegrityError), transaction.atomic():
        SavedView.objects.create(owner=editor, name="Drafts")
