"""The product list's saved views and columns, through the admin's pages."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.text import capfirst

from catalog.listviews.models import ProductListSettings, SavedView

pytestmark = pytest.mark.django_db

LIST = reverse("admin:catalog_product_changelist")
SAVE = reverse("admin:catalog_product_view_save")
COLUMNS = reverse("admin:catalog_product_columns")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _open(view: SavedView) -> str:
    return reverse("admin:catalog_product_view_open", args=[view.pk])


@pytest.fixture
def shirts(product_factory, variant_factory, category_factory):
    category = category_factory(name="Shirts")
    draft = product_factory(sku="SHIRT-1", name="Oxford shirt", category=category, status="draft")
    variant_factory(product=draft, price=Decimal("9.99"), stock=3)
    variant_factory(product=draft, price=Decimal("19.99"), stock=4)
    published = product_factory(sku="SHIRT-2", name="Linen shirt", status="published")
    variant_factory(product=published, price=Decimal("24.50"), stock=1)
    return category


def test_saving_a_view_keeps_the_lists_filters_sort_and_columns(editor_client, editor, shirts):
    editor_client.post(COLUMNS, {"show": ["price_range", "status"], "next": "view=all"})

    saved = editor_client.post(
        SAVE,
        {"name": "Drafts", "query": "status__exact=draft&o=-1&p=2&junk=1", "make_default": "on"},
    )

    view = SavedView.objects.get()
    assert (view.owner, view.query, view.sort) == (editor, "status__exact=draft", ["-sku"])
    assert view.columns == ["sku", "name", "status", "price_range"]  # no positions: list order
    assert saved["Location"] == f"{LIST}?status__exact=draft&o=-1&view={view.pk}"
    page = editor_client.get(saved["Location"]).content.decode()
    assert "SHIRT-1" in page and "SHIRT-2" not in page
    assert 'id="saved-views-current">Drafts<' in page


@pytest.mark.parametrize(
    ("name", "problem"), [("", "Give the view a name."), ("drafts", "already have a view named")]
)
def test_a_bad_name_is_a_form_error_and_nothing_typed_is_lost(editor_client, editor, name, problem):
    SavedView.objects.create(owner=editor, name="Drafts")

    refused = editor_client.post(
        SAVE, {"name": name, "query": "q=shirt", "shared": "on", "make_default": "on"}
    )

    assert refused.status_code == 200
    page = refused.content.decode()
    assert problem in page
    assert 'value="q=shirt"' in page
    assert (
        refused.context["form"]["shared"].value()
        and refused.context["form"]["make_default"].value()
    )
    assert SavedView.objects.count() == 1


def test_the_plain_list_opens_on_the_default_view_and_all_products_is_one_click_away(
    editor_client, editor, shirts
):
    view = SavedView.objects.create(owner=editor, name="Drafts", query="status__exact=draft")
    ProductListSettings.objects.create(user=editor, default_view=view)

    opened = editor_client.get(LIST, follow=True)

    assert opened.redirect_chain[-1][0] == f"{LIST}?status__exact=draft&view={view.pk}"
    page = opened.content.decode()
    assert "SHIRT-1" in page and "SHIRT-2" not in page
    every = editor_client.get(f"{LIST}?view=all").content.decode()
    assert 'id="saved-views-current">All products<' in every
    assert "SHIRT-2" in every


def test_a_shared_view_is_listed_for_teammates_with_who_shares_it(editor_factory, shirts):
    alice, bob = editor_factory(username="alice"), editor_factory(username="bob")
    shared = SavedView.objects.create(owner=alice, name="Team drafts", shared=True)
    SavedView.objects.create(owner=alice, name="Alice only")

    page = _client(bob).get(f"{LIST}?view=all").content.decode()

    assert "Team drafts" in page and "shared by alice" in page
    assert "Alice only" not in page
    assert _client(bob).get(_open(shared)).status_code == 302


def test_a_teammate_may_make_a_shared_view_their_default_but_never_change_it(editor_factory):
    alice, bob = editor_factory(username="alice"), editor_factory(username="bob")
    shared = SavedView.objects.create(owner=alice, name="Team drafts", shared=True)
    private = SavedView.objects.create(owner=alice, name="Alice only")
    client = _client(bob)

    edit = reverse("admin:catalog_product_view", args=[shared.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"name": "Bob's now"}).status_code == 403
    delete = reverse("admin:catalog_product_view_delete", args=[shared.pk])
    assert client.post(delete).status_code == 403
    update = reverse("admin:catalog_product_view_update", args=[shared.pk])
    assert client.post(update, {"query": "q=x"}).status_code == 403
    assert client.get(_open(private)).status_code == 404
    client.post(reverse("admin:catalog_product_view_default", args=[shared.pk]))

    shared.refresh_from_db()
    assert (shared.name, shared.query) == ("Team drafts", "")
    assert ProductListSettings.objects.get(user=bob).default_view == shared
    assert client.get(LIST)["Location"] == _open(shared)


def test_an_owner_renames_shares_updates_and_deletes_their_view(editor_client, editor):
    view = SavedView.objects.create(owner=editor, name="Drafts", query="status__exact=draft")
    edit = reverse("admin:catalog_product_view", args=[view.pk])

    editor_client.post(edit, {"name": "My drafts", "shared": "on"})
    view.refresh_from_db()
    assert (view.name, view.shared) == ("My drafts", True)

    page = editor_client.get(f"{LIST}?status__exact=published&view={view.pk}").content.decode()
    assert "(changed on screen)" in page and "Update “My drafts”" in page
    editor_client.post(
        reverse("admin:catalog_product_view_update", args=[view.pk]),
        {"query": "status__exact=published"},
    )
    view.refresh_from_db()
    assert view.query == "status__exact=published"
    unchanged = editor_client.get(f"{LIST}?status__exact=published&view={view.pk}")
    assert "(changed on screen)" not in unchanged.content.decode()

    editor_client.post(reverse("admin:catalog_product_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_the_chosen_columns_show_in_their_order_with_price_range_and_total_stock(
    editor_client, shirts
):
    chosen = editor_client.post(
        COLUMNS,
        {
            "show": ["total_stock", "price_range", "status"],
            "position-total_stock": "3",
            "position-price_range": "4",
            "position-status": "9",
            "next": "view=all",
        },
    )

    response = editor_client.get(chosen["Location"])
    headers = [capfirst(str(h["text"])) for h in _headers(response)]
    assert headers == ["SKU", "Name", "Total stock", "Price", "Status"]
    page = response.content.decode()
    assert "€9.99 \u2013 €19.99" in page and "€24.50" in page
    assert '<td class="field-total_stock">7</td>' in page


def _headers(response) -> list[dict]:
    from django.contrib.admin.templatetags.admin_list import result_headers

    return [
        h
        for h in result_headers(response.context["cl"])
        if h["class_attrib"] != ' class="action-checkbox-column"'
    ]


def test_a_position_that_is_not_a_number_is_said_and_the_choice_kept(editor_client):
    refused = editor_client.post(
        COLUMNS, {"show": ["price_range"], "position-price_range": "first", "next": ""}
    )

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "A position is a whole number" in page
    assert 'value="first"' in page
    assert not ProductListSettings.objects.exists()


def test_a_sort_moves_with_its_column_when_the_columns_change(editor_client):
    # Sorted by Updated (position 6 with the action checkbox first), then Status is hidden.
    moved = editor_client.post(
        COLUMNS,
        {"show": ["category", "updated"], "next": "o=-6&status__exact=draft"},
    )

    assert moved["Location"] == f"{LIST}?o=-4&status__exact=draft"


def test_a_page_costs_the_same_queries_with_the_figures_whatever_the_catalogs_size(
    editor_client, product_factory, variant_factory, django_assert_max_num_queries
):
    editor_client.post(COLUMNS, {"show": ["price_range", "total_stock"], "next": "view=all"})
    url = f"{LIST}?view=all"

    def queries_for_a_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert editor_client.get(url).status_code == 200
        return len(captured)

    for product in product_factory.create_batch(3):
        variant_factory.create_batch(2, product=product)
    few = queries_for_a_page()
    for product in product_factory.create_batch(60):
        variant_factory.create_batch(3, product=product)
    many = queries_for_a_page()

    assert many == few
    with django_assert_max_num_queries(few):
        editor_client.get(url)


def test_a_column_given_a_new_position_goes_there_and_the_others_move_along():
    from django.http import QueryDict

    from catalog.admin.saved_view_forms import columns_chosen

    current = ["sku", "name", "category", "status"]
    data = QueryDict(mutable=True)
    data.setlist("show", ["category", "status", "price_range", "total_stock"])
    data.update(
        {
            "position-sku": "1",
            "position-name": "2",
            "position-category": "3",
            "position-status": "4",
            "position-total_stock": "3",
            "position-price_range": "4",
        }
    )
    available = ["sku", "name", "category", "status", "price_range", "total_stock"]

    chosen = columns_chosen(data, available=available, required=["sku", "name"], current=current)

    assert chosen == ["sku", "name", "total_stock", "price_range", "category", "status"]


def test_the_lists_own_links_keep_the_open_view(editor_client, editor, shirts):
    view = SavedView.objects.create(owner=editor, name="Drafts", query="status__exact=draft")

    response = editor_client.get(f"{LIST}?status__exact=draft&view={view.pk}")

    assert response.status_code == 200  # not Django's "?e=1" for an unknown filter
    cl = response.context["cl"]
    assert f"view={view.pk}" in cl.get_query_string({"o": "1"})
    assert f"view={view.pk}" in cl.clear_all_filters_qs
    assert f"view%3D{view.pk}" in cl.preserved_filters  # a product saved comes back to it


def test_show_all_on_the_list_shows_every_product_not_the_default_view(
    editor_client, editor, shirts
):
    view = SavedView.objects.create(owner=editor, name="Drafts", query="status__exact=draft")
    ProductListSettings.objects.create(user=editor, default_view=view)

    from_elsewhere = editor_client.get(LIST, HTTP_REFERER="http://testserver/admin/")
    from_the_list = editor_client.get(
        LIST, HTTP_REFERER=f"http://testserver{LIST}?q=oxford&view={view.pk}"
    )

    assert from_elsewhere.status_code == 302
    assert from_the_list.status_code == 200
    assert "SHIRT-2" in from_the_list.content.decode()


def test_the_chooser_offers_the_columns_other_apps_add_and_hides_them_on_request(
    editor_client, shirts
):
    offered = editor_client.get(COLUMNS).content.decode()
    assert "Completeness" in offered and "Stock status" in offered

    editor_client.post(COLUMNS, {"show": ["status", "stats_stock_status"], "next": "view=all"})

    headers = [capfirst(str(h["text"])) for h in _headers(editor_client.get(f"{LIST}?view=all"))]
    assert headers == ["SKU", "Name", "Status", "Stock status"]


def test_renaming_to_a_name_taken_is_a_form_error_and_the_view_is_unchanged(editor_client, editor):
    SavedView.objects.create(owner=editor, name="Drafts")
    view = SavedView.objects.create(owner=editor, name="Shirts")

    refused = editor_client.post(
        reverse("admin:catalog_product_view", args=[view.pk]), {"name": "drafts", "shared": "on"}
    )

    assert refused.status_code == 200
    assert "already have a view named" in refused.content.decode()
    assert refused.context["form"]["name"].value() == "drafts"
    view.refresh_from_db()
    assert (view.name, view.shared) == ("Shirts", False)


def test_a_teammates_private_view_in_the_address_opens_nothing_of_it(editor_factory, shirts):
    alice, bob = editor_factory(username="alice"), editor_factory(username="bob")
    private = SavedView.objects.create(owner=alice, name="Alice only", query="status__exact=draft")

    page = _client(bob).get(f"{LIST}?view={private.pk}").content.decode()

    assert "Alice only" not in page
    assert 'id="saved-views-current">All products<' in page
