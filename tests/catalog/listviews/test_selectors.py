import pytest

from catalog.listviews.models import SavedView
from catalog.listviews.selectors import (
    default_view_for,
    list_settings_for,
    saved_view_visible,
    saved_views_for,
)

pytestmark = pytest.mark.django_db


def test_an_editor_sees_their_views_first_then_the_shared_ones_not_others_private(
    editor, editor_factory
):
    alice = editor_factory(username="alice")
    SavedView.objects.create(owner=alice, name="A shared", shared=True)
    SavedView.objects.create(owner=alice, name="A private")
    SavedView.objects.create(owner=editor, name="Zebra")
    SavedView.objects.create(owner=editor, name="apples")

    names = [v.name for v in saved_views_for(user=editor)]

    assert names == ["apples", "Zebra", "A shared"]


def test_a_view_is_visible_to_its_owner_and_if_shared_to_everyone(editor, editor_factory):
    alice = editor_factory()
    private = SavedView.objects.create(owner=alice, name="Private")
    shared = SavedView.objects.create(owner=alice, name="Shared", shared=True)

    assert saved_view_visible(user=editor, view_id=shared.pk) == shared
    assert saved_view_visible(user=editor, view_id=private.pk) is None
    assert saved_view_visible(user=alice, view_id=str(private.pk)) == private
    assert saved_view_visible(user=editor, view_id="abc") is None


def test_an_editor_who_never_chose_has_unsaved_settings_and_no_default(editor):
    settings = list_settings_for(user=editor)

    assert settings.pk is None and settings.columns == []
    assert default_view_for(user=editor) is None


def test_a_default_no_longer_shared_is_not_applied(editor, editor_factory):
    alice = editor_factory()
    view = SavedView.objects.create(owner=alice, name="Was shared")
    settings = list_settings_for(user=editor)
    settings.default_view = view
    settings.save()

    assert default_view_for(user=editor) is None
