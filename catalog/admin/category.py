from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from catalog.admin.concurrency import OptimisticAdmin
from catalog.admin.hooks import ExtensibleAdmin, category_admin_extensions
from catalog.admin.text import ControlCharacterFields
from catalog.edit_targets import CategoryTarget
from catalog.models import Category
from catalog.services import CategoryTreeError, category_parent_check, category_save


class CategoryForm(forms.ModelForm):
    """The admin's category form: the tree check under the lock is a form error.

    The admin validates and saves in one transaction, so the lock taken here is held
    until the save commits: a concurrent move that would close a cycle with this one
    waits, then sees it and is refused with this same error instead of a 500.
    """

    class Meta:
        model = Category
        fields = ["name", "slug", "parent"]

    def _post_clean(self) -> None:
        # Django's hook after the model's own validation (absent from django-stubs): the
        # quick check without the lock has run, and its errors come first.
        # Registry: config.upstream "Django ModelForm _post_clean".
        super()._post_clean()  # type: ignore[misc]
        if "parent" in self.errors:
            return
        try:
            category_parent_check(category_id=self.instance.pk, parent_id=self.instance.parent_id)
        except CategoryTreeError as exc:
            self.add_error("parent", str(exc))


@admin.register(Category)
class CategoryAdmin(ControlCharacterFields, OptimisticAdmin, ExtensibleAdmin, admin.ModelAdmin):
    """Categories; other apps add actions through ``catalog.admin.hooks``.

    A save against a newer ``Category.version`` merges or shows the conflict.
    """

    edit_target = CategoryTarget()

    extensions = category_admin_extensions
    form = CategoryForm

    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        category_save(category=obj)
