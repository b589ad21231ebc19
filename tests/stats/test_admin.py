import re

import pytest
from django.urls import reverse

from catalog.models import Product
from stats.models import CategoryStats, ProductStaleness, ProductStats
from stats.recompute.categories import category_stats_recompute
from stats.recompute.marks import product_stats_mark_stale
from stats.recompute.products import product_stats_recompute

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["productstats", "categorystats"])
def test_statistics_changelists_render_read_only(admin_client, variant_factory, model):
    product = variant_factory().product
    product_stats_recompute(product_ids=[product.pk])
    product_stats_mark_stale(product_ids=[product.pk])

    response = admin_client.get(reverse(f"admin:stats_{model}_changelist"))

    assert response.status_code == 200
    assert admin_client.get(reverse(f"admin:stats_{model}_add")).status_code == 403


def test_product_statistics_detail_cannot_be_changed(admin_client, variant_factory):
    product = variant_factory().product
    product_stats_recompute(product_ids=[product.pk])
    url = reverse("admin:stats_productstats_change", args=[product.pk])

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"variant_count": "99"}).status_code == 403


def test_product_change_page_shows_statistics_read_only(admin_client, variant_factory):
    product = variant_factory(stock=3).product
    product_stats_recompute(product_ids=[product.pk])

    page = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    html = page.content.decode()
    assert re.search(r"class=\"fieldset-heading\">Statistics</h2>", html)
    assert "Low stock" in html
    assert 'name="stats_completeness"' not in html  # shown, never an input


def test_product_changelist_has_statistics_columns(admin_client, variant_factory):
    product = variant_factory(stock=0).product
    product_stats_recompute(product_ids=[product.pk])

    page = admin_client.get(reverse("admin:catalog_product_changelist"))

    html = page.content.decode()
    assert "column-stats_stock_status" in html
    assert "Out of stock" in html


def test_a_queued_recompute_is_visible_on_the_change_page(admin_client, product_factory):
    product = product_factory()  # saved: marked stale, not computed yet
    page = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert "not computed yet; an update is on its way (asked for " in page.content.decode()


def test_the_freshness_line_speaks_of_saves_not_versions(product_factory):
    from config.humanize import format_moment
    from stats.admin.catalog_pages import stats_freshness_text

    product = product_factory()
    product_stats_recompute(product_ids=[product.pk])
    product = Product.objects.get(pk=product.pk)
    computed = format_moment(product.stats.computed_at)
    assert stats_freshness_text(product) == f"computed {computed}, from the latest save"

    Product.objects.filter(pk=product.pk).update(version=product.version + 2)  # two saves
    product_stats_mark_stale(product_ids=[product.pk])
    text = stats_freshness_text(Product.objects.get(pk=product.pk))
    assert text.startswith(f"computed {computed}, before the last 2 saves; an update is on")
    assert "version" not in text


def test_a_superuser_deletes_a_product_with_its_statistics_and_stale_mark(
    admin_client, variant_factory
):
    product = variant_factory().product
    product_stats_recompute(product_ids=[product.pk])
    product_stats_mark_stale(product_ids=[product.pk])
    url = reverse("admin:catalog_product_delete", args=[product.pk])

    confirmation = admin_client.get(url)
    deleted = admin_client.post(url, {"post": "yes"})

    assert confirmation.status_code == 200
    assert "permission to delete" not in confirmation.content.decode()
    assert deleted.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not ProductStats.objects.filter(pk=product.pk).exists()
    assert not ProductStaleness.objects.filter(pk=product.pk).exists()


def test_a_superuser_deletes_a_category_with_its_statistics(admin_client, category_factory):
    category = category_factory()
    category_stats_recompute(category_ids=[category.pk])
    assert CategoryStats.objects.filter(pk=category.pk).exists()
    url = reverse("admin:catalog_category_delete", args=[category.pk])

    assert "permission to delete" not in admin_client.get(url).content.decode()
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not CategoryStats.objects.filter(pk=category.pk).exists()


@pytest.mark.parametrize("model", ["productstats", "categorystats"])
def test_statistics_pages_offer_no_delete_of_their_own(admin_client, variant_factory, model):
    product = variant_factory().product
    product_stats_recompute(product_ids=[product.pk])
    category_stats_recompute(category_ids=[product.category_id])
    pk = product.pk if model == "productstats" else product.category_id

    changelist = admin_client.get(reverse(f"admin:stats_{model}_changelist"))
    detail = admin_client.get(reverse(f"admin:stats_{model}_change", args=[pk]))
    delete_page = admin_client.post(reverse(f"admin:stats_{model}_delete", args=[pk]))

    assert 'value="delete_selected"' not in changelist.content.decode()
    assert reverse(f"admin:stats_{model}_delete", args=[pk]) not in detail.content.decode()
    assert delete_page.status_code == 403


def test_product_page_shows_prices_in_the_products_currency(admin_client, variant_factory):
    product = variant_factory(currency="USD", price="5.00").product
    variant_factory(product=product, currency="USD", price="20.00")
    product_stats_recompute(product_ids=[product.pk])

    page = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert "USD 5.00 - 20.00 (average 12.50)" in page.content.decode()


def test_category_pages_show_one_price_range_per_currency(
    admin_client, variant_factory, product_factory, category_factory
):
    root = category_factory()
    variant_factory(product=product_factory(category=root), currency="EUR", price="13.53")
    leaf = category_factory(parent=root)
    variant_factory(product=product_factory(category=leaf), currency="GBP", price="497.55")
    product_stats_recompute(product_ids=list(root.products.values_list("pk", flat=True)))
    product_stats_recompute(product_ids=list(leaf.products.values_list("pk", flat=True)))
    ranges = "EUR 13.53 - 13.53; GBP 497.55 - 497.55"

    change = admin_client.get(reverse("admin:catalog_category_change", args=[root.pk]))
    stats_list = admin_client.get(reverse("admin:stats_categorystats_changelist"))

    assert ranges in change.content.decode()
    assert ranges in stats_list.content.decode()
    assert "13.53 - 497.55" not in stats_list.content.decode()
