"""Contracts with Django's private hooks (config.upstream: "Django ModelForm _post_clean")."""

import inspect

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseModelForm
from django.http import QueryDict

from catalog.models import Category

pytestmark = pytest.mark.django_db


def test_post_clean_runs_after_the_models_own_validation(monkeypatch):
    order: list[str] = []

    def model_clean(instance):
        order.append("model clean")
        raise ValidationError({"name": "the model's own"})

    monkeypatch.setattr(Category, "clean", model_clean)

    class Form(forms.ModelForm):
        class Meta:
            model = Category
            fields = ["name", "slug", "parent"]

        def clean(self):
            order.append("clean")
            return super().clean()

        def _post_clean(self):
            super()._post_clean()
            order.append("after model validation")
            self.add_error("parent", "ours")

    form = Form(data={"name": "A", "slug": "a", "parent": ""})

    assert not form.is_valid()
    assert order == ["clean", "model clean", "after model validation"]
    assert list(form.errors) == ["name", "parent"]  # the model's error first, then ours
    assert "self.instance.full_clean(" in inspect.getsource(BaseModelForm._post_clean)


def test_a_query_dict_refuses_changes_once_not_mutable():
    data = QueryDict("a=1", mutable=True)
    data["b"] = "2"
    data._mutable = False  # as catalog.admin.edit_form.post_replace leaves request.POST

    with pytest.raises(AttributeError):
        data["c"] = "3"
    assert data.dict() == {"a": "1", "b": "2"}


def test_a_lists_checkboxes_come_from_action_checkbox_and_its_header(admin_client):
    """config.upstream "Django list checkboxes": what ListCheckboxes and
    list_results_in_words rely on, read from Django's own change list."""
    from django.contrib.admin.templatetags.admin_list import result_list

    from tests.factories import CategoryFactory

    CategoryFactory(name="Hats")
    cl = admin_client.get("/admin/catalog/category/").context["cl"]

    context = result_list(cl)

    headers = [
        h for h in context["result_headers"] if "action-checkbox-column" in h["class_attrib"]
    ]
    assert len(headers) == 1 and 'id="action-toggle"' in headers[0]["text"]
    row = "".join(context["results"][0])
    assert 'aria-label="Select Hats"' in row  # ours, through ModelAdmin.action_checkbox
