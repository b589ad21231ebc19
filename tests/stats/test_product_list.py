"""stats.admin.product_list: stock status and completeness sort and filter the product list."""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.admin import ProductAdmin
from catalog.models import Product
from stats.admin.product_list import CompletenessFilter, StockStatusFilter
from stats.figures import stock_status
from stats.models import ProductStats
from stats.recompute.products import product_stats_recompute

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:catalog_product_changelist")


def _with_stats(product: Product, *, completeness: int, total_stock: int) -> Product:
    """Statistics as a recompute would have stored them, with chosen figures."""
    ProductStats.objects.create(
        product=product,
        category_id=product.category_id,
        completeness=completeness,
        total_stock=total_stock,
        stock_status=stock_status(total_stock=total_stock),
        computed_at=timezone.now(),
        computed_version=product.version,
    )
    return product


@pytest.fixture
def shelf(product_factory) -> None:
    """Four products with statistics and one without (NEW: not computed yet)."""
    _with_stats(product_factory(sku="EMPTY"), completeness=40, total_stock=0)
    _with_stats(product_factory(sku="LOW"), completeness=90, total_stock=3)
    _with_stats(product_factory(sku="PLENTY"), completeness=100, total_stock=500)
    _with_stats(product_factory(sku="SOME"), completeness=70, total_stock=20)
    product_factory(sku="NEW")


def _column(client, name: str) -> int:
    """The column's number in the list's ``o=`` parameter."""
    list_display = client.get(CHANGELIST_URL).context["cl"].list_display
    return [getattr(c, "__name__", c) for c in list_display].index(name)


def _skus(client, params: dict, *, ordered: bool = False) -> list[str]:
    response = client.get(CHANGELIST_URL, params)
    assert response.status_code == 200
    skus = [p.sku for p in response.context["cl"].result_list]
    return skus if ordered else sorted(skus)


def test_sorting_by_completeness_lists_products_without_statistics_last_both_ways(
    admin_client, shelf
):
    column = _column(admin_client, "stats_completeness")
    up = _skus(admin_client, {"o": f"{column}"}, ordered=True)
    down = _skus(admin_client, {"o": f"-{column}"}, ordered=True)
    assert up == ["EMPTY", "SOME", "LOW", "PLENTY", "NEW"]
    assert down == ["PLENTY", "LOW", "SOME", "EMPTY", "NEW"]


def test_sorting_by_stock_status_goes_out_low_in_by_total_stock(admin_client, shelf):
    column = _column(admin_client, "stats_stock_status")
    up = _skus(admin_client, {"o": f"{column}"}, ordered=True)
    down = _skus(admin_client, {"o": f"-{column}"}, ordered=True)
    assert up == ["EMPTY", "LOW", "SOME", "PLENTY", "NEW"]
    assert down == ["PLENTY", "SOME", "LOW", "EMPTY", "NEW"]


@pytest.mark.parametrize(
    ("choice", "skus"),
    [("out", ["EMPTY"]), ("low", ["LOW"]), ("in", ["PLENTY", "SOME"]), ("none", ["NEW"])],
)
def test_stock_status_filter(admin_client, shelf, choice, skus):
    assert _skus(admin_client, {"stock": choice}) == skus


@pytest.mark.parametrize(
    ("choice", "skus"),
    [
        ("50", ["EMPTY"]),
        ("80", ["EMPTY", "SOME"]),
        ("100", ["EMPTY", "LOW", "SOME"]),
        ("none", ["NEW"]),
    ],
)
def test_completeness_below_filter(admin_client, shelf, choice, skus):
    assert _skus(admin_client, {"completeness_below": choice}) == skus


def test_low_stock_filter_lists_what_the_recompute_found_low(admin_client, variant_factory):
    low = variant_factory(stock=3).product
    variant_factory(stock=2, product=low)  # 5 in all: at the threshold, still low
    plenty = variant_factory(stock=6).product
    never_computed = variant_factory(stock=1).product
    product_stats_recompute(product_ids=[low.pk, plenty.pk])

    listed = _skus(admin_client, {"stock": "low"})

    assert listed == [low.sku]
    assert never_computed.sku not in listed


def test_the_low_stock_choice_says_its_threshold(settings, admin_client):
    settings.STATS_LOW_STOCK_THRESHOLD = 12
    page = admin_client.get(CHANGELIST_URL).content.decode()
    assert "Low stock (1 to 12)" in page
    assert "Below 80 %" in page
    assert page.count("Not computed yet") == 2


def test_show_counts_counts_each_choice_within_the_other_filters(admin_client, shelf):
    page = admin_client.get(CHANGELIST_URL, {"_facets": "True", "completeness_below": "100"})
    html = page.content.decode()
    # Within "below 100 %" (EMPTY, LOW, SOME): one of each stock status, none uncomputed.
    for choice in ["Out of stock (1)", "Low stock (1 to 5) (1)", "In stock (1)"]:
        assert choice in html
    assert "Not computed yet (0)" in html  # the stock filter's
    assert "Not computed yet (1)" in html  # the completeness filter's: NEW


def test_statistics_filters_combine_with_each_other_and_a_sort(admin_client, shelf):
    column = _column(admin_client, "stats_completeness")
    params = {"stock": "in", "completeness_below": "100", "o": f"-{column}"}
    assert _skus(admin_client, params, ordered=True) == ["SOME"]


@pytest.mark.parametrize("params", [{"stock": "plenty"}, {"completeness_below": "33"}])
def test_an_unknown_choice_is_the_admins_bad_filter_redirect(admin_client, shelf, params):
    response = admin_client.get(CHANGELIST_URL, params)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_filters_reach_the_catalogs_list_through_its_hook():
    model_admin = admin.site._registry[Product]
    assert type(model_admin) is ProductAdmin  # extended, never replaced
    filters = model_admin.get_list_filter(RequestFactory().get("/"))
    assert list(filters[-2:]) == [StockStatusFilter, CompletenessFilter]


#: Statistics pages whose query count must not grow with the catalog ("STOCK" and
#: "COMPLETENESS": the columns' numbers).
CONSTANT_QUERY_PAGES = {
    "low stock": {"stock": "low"},
    "not computed yet": {"stock": "none"},
    "below 80 %": {"completeness_below": "80"},
    "sorted by stock": {"o": "STOCK"},
    "sorted by completeness, descending": {"o": "-COMPLETENESS"},
    "in stock and incomplete, by completeness": {
        "stock": "in",
        "completeness_below": "100",
        "o": "COMPLETENESS",
    },
}


@pytest.mark.parametrize("params", CONSTANT_QUERY_PAGES.values(), ids=CONSTANT_QUERY_PAGES)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, product_factory, variant_factory, params
):
    columns = {
        "STOCK": str(_column(admin_client, "stats_stock_status")),
        "COMPLETENESS": str(_column(admin_client, "stats_completeness")),
    }
    for placeholder, number in columns.items():
        params = {k: v.replace(placeholder, number) for k, v in params.items()}
    path = f"{CHANGELIST_URL}?{urlencode(params)}"

    def add(count: int) -> None:
        # Every kind: out, low and in stock, complete or not, and never computed.
        for n in range(count):
            product = product_factory()
            variant_factory.create_batch(2, product=product, stock=n % 4)
            if n % 5:
                product_stats_recompute(product_ids=[product.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(path).status_code == 200
        return len(captured)

    add(5)
    queries()  # warm-up: session, theme and content-type caches
    few = queries()
    add(45)
    assert queries() == few
