"""What an editor's save costs in SQL: a fixed number of queries, and no statistics work.

Statistics are recomputed by the batch worker; the save itself only writes the product,
its variants, the admin log, the edit history and one stale-mark upsert. These tests pin
that down, with the edit history on and off, so a change that slips a recompute (or any
per-row query) into the save shows up at once.
"""

import re

import pytest
from django.db import connection
from django.urls import reverse

from catalog.models import Product, Variant
from stats.batch.requests import recompute_requests
from stats.models import ProductStaleness, ProductStats
from stats.recompute.products import product_stats_recompute
from testkit.admin_forms import product_fields, product_form, variant_row, with_version_token
from testkit.on_commit import forget_all, items_in

pytestmark = pytest.mark.django_db

VARIANTS = 3
ROWS = 1 + VARIANTS  # rows saved: the product and each variant

#: The queries of one admin save of a product with three variant inlines, all changed, by
#: an editor (not a superuser: permissions are read from the database), on MariaDB.
#: Update a line here when the save path changes on purpose; the total is their sum.
SAVE_QUERIES = {
    "session, then the user": 2,
    "admin's transaction: SAVEPOINT ... RELEASE (BEGIN/COMMIT outside tests)": 2,
    # Optimistic concurrency (catalog.admin.concurrency): the product's version, read with
    # SELECT ... FOR UPDATE in the save's transaction so two saves cannot both pass the
    # check, after the permission check (the permissions below are read before it). When
    # the form's version token is the current version, that one locking read is all the
    # check costs.
    "the product's version, locked (SELECT ... FOR UPDATE)": 1,
    "the product (object lookup)": 1,
    "the editor's permissions: user's, then group's": 2,
    "product form: category choice, category exists, SKU unique, slug unique": 4,
    "the inline's variants": 1,
    "per variant: id choice, price >= 0 check in a savepoint (3), SKU unique": 5 * VARIANTS,
    "UPDATE product (the statistics version bump rides in it)": 1,
    "stale-mark upsert into stats_productstaleness (once per save, not per row)": 1,
    "UPDATE each variant": VARIANTS,
    "admin log entry": 1,
    # stats.admin.fresh: the message saying when the figures update reads the batch
    # worker's buffer from the stored monitoring snapshot (one row, by primary key).
    "after the save: the stored monitoring snapshot (SELECT stats_latestsnapshot)": 1,
}

#: Added per saved row by the edit history (django-simple-history on Product and Variant).
#: Only the INSERT: saving never reads or deletes earlier records (bursts of saves used to
#: be folded on save, one SELECT per row and a DELETE per row on a repeat save; they are
#: now grouped only when the History page is shown, so every save keeps its record).
HISTORY_QUERIES_PER_ROW = {"INSERT the historical record": 1}


def _history_tracked() -> bool:
    # The attribute is how django-simple-history itself tells a tracked model.
    return all(
        hasattr(model._meta, "simple_history_manager_attribute") for model in (Product, Variant)
    )


@pytest.fixture(params=["history", "no history"])
def history(request, settings) -> bool:
    """The save with the edit history recording (as shipped) and without it."""
    if request.param == "history" and not _history_tracked():
        pytest.skip("django-simple-history does not track Product and Variant")
    settings.SIMPLE_HISTORY_ENABLED = request.param == "history"
    return settings.SIMPLE_HISTORY_ENABLED


def _expected_queries(*, history: bool) -> int:
    total = sum(SAVE_QUERIES.values())
    if history:
        total += ROWS * sum(HISTORY_QUERIES_PER_ROW.values())
    return total


_AGGREGATE = re.compile(r"\b(COUNT|SUM|MIN|MAX|AVG)\s*\(", re.IGNORECASE)

#: The stale-mark upsert counts the save in the database, in each backend's dialect.
_COUNTS_THE_SAVE = {
    "mysql": "ON DUPLICATE KEY UPDATE pending_saves = pending_saves + 1",
    "sqlite": (
        "ON CONFLICT (product_id) DO UPDATE SET "
        'pending_saves = "stats_productstaleness".pending_saves + 1'
    ),
}


def _q(name: str) -> str:
    """An identifier (or a pattern for one) quoted as the backend quotes identifiers:
    `name` on MariaDB, "name" on SQLite; neither quote is special in a regex."""
    return connection.ops.quote_name(name)


def _stats_tables(sql: str) -> list[str]:
    return re.findall(_q(r"(stats_\w+)"), sql)


@pytest.fixture
def product(product_factory, variant_factory):
    product = product_factory()
    variant_factory.create_batch(VARIANTS, product=product)
    product_stats_recompute(product_ids=[product.pk])  # current figures, no stale mark
    # The factories queued on-commit callbacks in the test's never-committed transaction;
    # the receivers queue once per product per transaction, so forget them, or the save
    # under test would look already queued and skip its mark.
    forget_all()
    return product


def _change_form(product: Product, round_: int) -> dict:
    """The POST of the change form with the product and every variant changed."""
    variants = list(product.variants.order_by("id"))
    rows = [
        variant_row(v, price=str(v.price + round_), stock=str(v.stock + round_)) for v in variants
    ]
    fields = product_fields(product, name=f"{product.name} #{round_}")
    return product_form(fields, rows, initial=len(variants))


def _save(client, product: Product, data: dict) -> None:
    response = client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""


def _open_form(client, product: Product) -> dict:
    """As an editor does: open the form first, then post it.

    Opening it also fills the process-wide caches (content types) that would otherwise
    add a query to the first save of the test run. The form data is built here, outside
    the counted block.
    """
    url = reverse("admin:catalog_product_change", args=[product.pk])
    return with_version_token(client, url, _change_form(product, 1))


def test_a_save_with_three_variant_inlines_runs_a_fixed_number_of_queries(
    editor_client, product, history, django_assert_num_queries
):
    data = _open_form(editor_client, product)

    with django_assert_num_queries(_expected_queries(history=history)):
        _save(editor_client, product, data)


def test_a_repeat_save_within_the_burst_window_runs_the_same_queries_and_keeps_both(
    editor_client, product, history, django_assert_num_queries
):
    _save(editor_client, product, _open_form(editor_client, product))
    forget_all()  # as if the first save committed
    product.refresh_from_db()
    data = with_version_token(
        editor_client,
        reverse("admin:catalog_product_change", args=[product.pk]),
        _change_form(product, 2),
    )
    forget_all()
    records_before = product.history.count()

    with django_assert_num_queries(_expected_queries(history=history)):
        _save(editor_client, product, data)

    # Nothing deleted: the second save adds its own record (none with the history off).
    assert product.history.count() == records_before + (1 if history else 0)


def test_a_save_writes_no_statistics_but_the_stale_mark(
    editor_client,
    product,
    history,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    data = _open_form(editor_client, product)
    before = ProductStats.objects.get(product=product)

    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_num_queries(_expected_queries(history=history)) as captured,
    ):
        _save(editor_client, product, data)

    statements = [q["sql"] for q in captured.captured_queries]
    snapshot_reads = [
        sql for sql in statements if set(_stats_tables(sql)) == {"stats_latestsnapshot"}
    ]
    assert len(snapshot_reads) == 1 and snapshot_reads[0].startswith("SELECT")
    stats_statements = [
        sql for sql in statements if _stats_tables(sql) and sql not in snapshot_reads
    ]
    assert len(stats_statements) == 1
    assert set(_stats_tables(stats_statements[0])) == {"stats_productstaleness"}
    assert stats_statements[0].startswith(f"INSERT INTO {_q('stats_productstaleness')}")
    assert _COUNTS_THE_SAVE[connection.vendor] in stats_statements[0]

    # Reading the variants' figures is the worker's job. The one aggregate allowed is the
    # change list's variant-count column, which ProductAdmin.get_queryset also puts on the
    # object lookup (a correlated COUNT over this product's variants, by index).
    variant_aggregates = [
        sql for sql in statements if _q("catalog_variant") in sql and _AGGREGATE.search(sql)
    ]
    assert len(variant_aggregates) == 1
    lookup = variant_aggregates[0]
    assert lookup.startswith(f"SELECT {_q('catalog_product')}.{_q('id')}")
    assert {name.upper() for name in _AGGREGATE.findall(lookup)} == {"COUNT"}

    history_insert = re.compile("INSERT INTO " + _q(r"\w+_historical\w+"))
    history_inserts = [sql for sql in statements if history_insert.match(sql)]
    assert len(history_inserts) == (ROWS if history else 0)

    after = ProductStats.objects.get(product=product)
    assert (after.computed_at, after.computed_version) == (
        before.computed_at,
        before.computed_version,
    )
    assert ProductStaleness.objects.get(product=product).pending_saves == 1
    # The recompute is queued for after the commit, once, and not run here.
    assert list(items_in(recompute_requests, callbacks)) == [product.pk]
