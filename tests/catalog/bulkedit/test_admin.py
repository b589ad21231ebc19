"""The bulk edit from the product list: the action and the "Edit all" link, the form's
errors, the preview (counts, now -> after, rule errors) and Apply (the job recorded)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from catalog.models import BulkEdit
from tests.catalog.bulkedit.conftest import prices

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]

LIST = "/admin/catalog/product/"


def _action(client: Client, *ids: int, across: bool = False, query: str = "") -> str:
    """Run "Edit selected products" on the list; the form's URL it leads to."""
    data = {"action": "edit_selected", "_selected_action": [str(pk) for pk in ids]}
    if across:
        data["select_across"] = "1"
    response = client.post(f"{LIST}?{query}", data)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def _form(**fields: str) -> dict[str, str]:
    data = {
        "status": "",
        "category": "",
        "price_change": "",
        "price_value": "",
        "stock_change": "",
        "stock_value": "",
    }
    return {**data, **fields}


def _previewed(client: Client, form_url: str, **fields: str):
    response = client.post(form_url, _form(**fields))
    assert response.status_code == 302, response.context["form"].errors
    return client.get(response["Location"]), response["Location"]


def test_editors_see_the_action_and_the_edit_all_link(editor_client, shop):
    response = editor_client.get(f"{LIST}?status__exact=draft")

    assert "edit_selected" in response.context["action_form"].fields["action"].choices[1]
    assert "Edit all 4 products matching this filter" in response.text


def test_without_the_permission_there_is_no_action_link_or_page(shop, user_factory, client):
    user = user_factory(is_staff=True)
    for codename in ("view_product", "change_product", "delete_product"):  # other actions
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)

    response = client.get(LIST)

    choices = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "edit_selected" not in choices
    assert "bulk-edit-all" not in response.text
    assert client.get(f"{LIST}bulk-edit/all/").status_code == 403
    assert client.get("/admin/catalog/bulkedit/").status_code == 403


def test_the_selected_products_are_kept_by_the_session_not_the_url(editor_client, shop):
    shirt = shop.products["SHIRT-1"]

    form_url = _action(editor_client, shirt.pk)

    # The address carries a random token only: no query parameter names a product.
    token = form_url.rsplit("/bulk-edit/", 1)[1]
    assert "?" not in token and "ids" not in token and "pk" not in token
    response = editor_client.get(form_url)
    assert "1 product chosen on the product list: SHIRT-1" in response.text


def test_edit_all_takes_the_lists_filter_and_search(editor_client, shop):
    response = editor_client.get(f"{LIST}bulk-edit/all/?q=SHIRT")
    page, _ = _previewed(
        editor_client, response["Location"], price_change="price_percent", price_value="10"
    )

    assert page.context["preview"].selected == 2
    words = page.context["preview"].selection.words
    assert words == "all 2 products matching the product list's filter: search “SHIRT”"


def test_select_across_keeps_the_filter_not_the_ids(editor_client, shop):
    form_url = _action(editor_client, shop.products["BOOT"].pk, across=True, query="q=SHIRT")

    page, _ = _previewed(editor_client, form_url, status="published")

    assert page.context["preview"].selected == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "__all__", "Choose at least one change."),
        ({"price_change": "price_percent"}, "price_value", "Give a price for this change."),
        ({"stock_value": "4"}, "stock_change", "Choose what to do with this value."),
        ({"price_change": "price_set", "price_value": "ten"}, "price_value", "Enter a number."),
        (
            {"price_change": "price_percent", "price_value": "-100"},
            "price_value",
            "A price cannot be lowered by 100% or more.",
        ),
    ],
)
def test_the_form_says_what_is_wrong(editor_client, shop, fields, field, message):
    form_url = _action(editor_client, shop.products["BOOT"].pk)

    response = editor_client.post(form_url, _form(**fields))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert "errornote" in response.text


def test_the_preview_shows_counts_and_each_product_now_and_after(editor_client, shop):
    form_url = _action(editor_client, *(p.pk for p in shop.products.values()))

    page, _ = _previewed(
        editor_client, form_url, price_change="price_percent", price_value="10", status="draft"
    )

    preview = page.context["preview"]
    assert (preview.selected, len(preview.changed), preview.errors) == (4, 4, [])
    rows = {row["product"].sku: row["changes"] for row in page.context["page"].rows}
    assert {"what": "Price of BOOT-S", "before": "19.99", "after": "21.99"} in rows["BOOT"]
    assert "Apply to 4 products" in page.text
    assert prices("BOOT")["BOOT-S"] == Decimal("19.99")  # nothing written by a preview


def test_rule_errors_are_listed_and_nothing_can_be_applied(editor_client, shop):
    form_url = _action(editor_client, shop.products["BOOT"].pk)
    page, preview_url = _previewed(
        editor_client, form_url, price_change="price_amount", price_value="-15"
    )

    assert "BOOT: BOOT-M would cost -5.00: a price cannot be negative." in page.text
    assert "Apply to" not in page.text
    response = editor_client.post(preview_url, {"digest": page.context["digest"]})
    assert response.status_code == 302
    assert not BulkEdit.objects.exists()


def test_apply_records_the_job_and_opens_its_page(editor_client, editor, shop):
    form_url = _action(editor_client, shop.products["SHIRT-1"].pk, shop.products["BOOT"].pk)
    page, preview_url = _previewed(
        editor_client, form_url, stock_change="stock_add", stock_value="2"
    )

    response = editor_client.post(preview_url, {"digest": page.context["digest"]})

    job = BulkEdit.objects.get()
    assert response["Location"] == f"/admin/catalog/bulkedit/{job.pk}/change/"
    assert (job.created_by, job.total, job.summary, job.status) == (editor, 2, "stock +2", "queued")


def test_a_product_saved_after_the_preview_shows_the_preview_again(editor_client, shop):
    boot = shop.products["BOOT"]
    form_url = _action(editor_client, boot.pk)
    page, preview_url = _previewed(editor_client, form_url, status="published")
    boot.name = "Saved since"
    boot.save()

    response = editor_client.post(preview_url, {"digest": page.context["digest"]})

    assert response.status_code == 200
    assert "since this preview was shown" in response.text
    assert not BulkEdit.objects.exists()


def test_an_unknown_or_forgotten_selection_goes_back_to_the_list(editor_client, shop):
    response = editor_client.get(f"{LIST}bulk-edit/nothing-here/")

    assert response["Location"] == LIST


def test_the_preview_is_paged(editor_client, shop, monkeypatch):
    monkeypatch.setattr("catalog.admin.bulk_edit.PER_PAGE", 3)
    form_url = _action(editor_client, *(p.pk for p in shop.products.values()))
    _, preview_url = _previewed(editor_client, form_url, status="published")

    second = editor_client.get(f"{preview_url}?p=2")

    assert [row["product"].sku for row in second.context["page"].rows] == ["BOOT"]
    assert "Page 2 of 2" in second.text
