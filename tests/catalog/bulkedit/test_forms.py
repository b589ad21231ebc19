"""A change form opened before a bulk edit: its save never undoes the edit unseen.

The bulk edit counts a version of each product it changes, so the form's version check
(``catalog.admin.concurrency``) sees the edit: a field both changed is a conflict shown
to the editor, and a form changing other fields is merged, keeping the edit's values.
"""

from decimal import Decimal

import pytest

from catalog.bulkedit.jobs import bulk_edit_run
from catalog.models import Product, Variant
from testkit.on_commit import forget_all
from tests.catalog.bulkedit.test_jobs import TEN_PERCENT, queue
from tests.catalog.test_concurrency import _url, form, open_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]


def _bulk_edit_now() -> None:
    bulk_edit_run(job_id=queue(skus=["SHIRT-1"], operations=TEN_PERCENT).pk)
    forget_all()  # the edit's chunk committed


def test_a_price_changed_by_the_edit_and_the_form_is_a_conflict(bob, shop):
    shirt = shop.products["SHIRT-1"]
    bobs = form(shirt, open_form(bob, shirt), rows={"SHIRT-1-S": {"price": "9.00"}})
    _bulk_edit_now()

    response = bob.post(_url(shirt), bobs)

    assert response.status_code == 200
    assert [(c["label"], c["theirs"], c["mine"]) for c in response.context["occ_conflicts"]] == [
        ("SHIRT-1-S: Price", "21.99", "9.00")
    ]
    assert Variant.objects.get(sku="SHIRT-1-S").price == Decimal("21.99")


def test_a_form_changing_other_fields_keeps_the_edits_prices(bob, shop):
    shirt = shop.products["SHIRT-1"]
    bobs = form(shirt, open_form(bob, shirt), fields={"description": "Bob's words."})
    _bulk_edit_now()

    bob.post(_url(shirt), bobs)

    assert Product.objects.get(sku="SHIRT-1").description == "Bob's words."
    assert dict(Variant.objects.filter(product=shirt).values_list("sku", "price")) == {
        "SHIRT-1-S": Decimal("21.99"),
        "SHIRT-1-M": Decimal("11.00"),
    }
