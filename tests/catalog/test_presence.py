"""The presence poll of a change page: who else has it open, and the latest save."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from catalog.models import EditPresence
from testkit.admin_forms import post_loaded, product_fields

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]


def _presence(client, product) -> dict:
    response = client.get(reverse("admin:catalog_product_presence", args=[product.pk]))
    assert response.status_code == 200
    return response.json()


def test_an_editor_sees_who_else_has_the_product_open(alice, bob, product_factory):
    product = product_factory()
    assert _presence(alice, product)["others"] == []

    seen_by_bob = _presence(bob, product)

    assert [o["user"] for o in seen_by_bob["others"]] == ["alice"]
    assert seen_by_bob["others"][0]["text"].startswith(
        "alice is also editing this product (opened "
    )
    assert [o["user"] for o in _presence(alice, product)["others"]] == ["bob"]
    assert EditPresence.objects.count() == 2  # one row each, however often they poll


def test_the_poll_says_who_saved_and_the_new_version(alice, bob, product_factory):
    product = product_factory()
    loaded = _presence(bob, product)["version"]
    post_loaded(
        alice,
        reverse("admin:catalog_product_change", args=[product.pk]),
        product_fields(product, name="Renamed")
        | {"variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0"},
    )

    answer = _presence(bob, product)

    assert answer["version"] > loaded
    assert answer["saved"]["user"] == "alice"
    assert re.fullmatch(r"Saved by alice at \d\d:\d\d", answer["saved"]["text"])


def test_presence_is_refused_without_permission_to_view(client, user_factory, product_factory):
    client.force_login(user_factory(is_staff=True))
    product = product_factory()

    response = client.get(reverse("admin:catalog_product_presence", args=[product.pk]))

    assert response.status_code == 403
    assert not EditPresence.objects.exists()


@pytest.mark.parametrize("model", ["product", "variant", "category"])
def test_a_user_who_may_only_view_is_not_announced_as_editing(
    alice, client, user_factory, variant_factory, model
):
    """Issue #22: presence announced view-only users as editing."""
    viewer = user_factory(is_staff=True, username="viewer")
    viewer.user_permissions.add(*Permission.objects.filter(codename=f"view_{model}"))
    client.force_login(viewer)
    variant = variant_factory()
    obj = {"product": variant.product, "variant": variant, "category": variant.product.category}
    url = reverse(f"admin:catalog_{model}_presence", args=[obj[model].pk])
    alice.get(url)

    seen_by_viewer = client.get(url)

    assert seen_by_viewer.status_code == 200
    answer = seen_by_viewer.json()
    assert answer["editing"] is False  # the viewer's page knows it is not editing
    assert [o["user"] for o in answer["others"]] == ["alice"]  # but sees who is
    assert "version" in answer and "saved" in answer
    assert alice.get(url).json()["others"] == []  # nobody announces the viewer
    assert list(EditPresence.objects.values_list("user__username", flat=True)) == ["alice"]


def test_the_change_page_polls_its_presence_url(alice, product_factory):
    product = product_factory()

    page = alice.get(reverse("admin:catalog_product_change", args=[product.pk]))

    url = reverse("admin:catalog_product_presence", args=[product.pk])
    assert f'data-url="{url}"' in page.content.decode()


@pytest.mark.parametrize("model", ["variant", "category"])
def test_the_variant_and_category_pages_answer_the_poll_too(
    alice, bob, variant_factory, category_factory, model
):
    obj = variant_factory() if model == "variant" else category_factory()
    url = reverse(f"admin:catalog_{model}_presence", args=[obj.pk])
    alice.get(url)

    answer = bob.get(url).json()

    assert [o["text"].split(" (")[0] for o in answer["others"]] == [
        f"alice is also editing this {model}"
    ]


def test_a_closed_form_is_forgotten_at_the_next_ping(alice, bob, product_factory):
    first, second = product_factory(), product_factory()
    _presence(alice, first)
    EditPresence.objects.update(seen_at=timezone.now() - timedelta(minutes=5))

    _presence(bob, second)  # any ping, on any object

    assert list(EditPresence.objects.values_list("object_id", flat=True)) == [str(second.pk)]
