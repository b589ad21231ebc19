import logging
import time

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product
from config.celery import app
from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_NOW, TASK_PRODUCT_STATS_NOW
from stats.models import ProductStaleness, ProductStats
from stats.now.services import now_requests
from stats.recompute.products import product_stats_recompute
from testkit.on_commit import forget_all, items_in
from testkit.workers import unreachable_broker, wait_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BUTTON = "Recompute statistics"


@pytest.fixture
def product(variant_factory):
    """A product whose statistics are current: computed, and no stale mark left."""
    product = variant_factory(stock=3).product
    product_stats_recompute(product_ids=[product.pk])
    # The factories' saves queued on-commit callbacks in the test's never-committed
    # transaction; forget them so only the request's callbacks are captured.
    forget_all()
    assert not ProductStaleness.objects.exists()
    return product


def _recompute_url(product: Product) -> str:
    return reverse("admin:catalog_product_recompute_stats", args=[product.pk])


def _change_url(product: Product) -> str:
    return reverse("admin:catalog_product_change", args=[product.pk])


def _messages(name: str, *, expected: int, timeout: float = 5) -> list[tuple[str, list]]:
    """Take (task name, args) of the messages in queue ``name``, waiting for ``expected``."""
    taken: list[tuple[str, list]] = []
    with app.connection_for_write() as conn:
        queue = app.amqp.queues[name].bind(conn.default_channel)

        def take_all() -> bool:
            while (message := queue.get(no_ack=True)) is not None:
                taken.append((message.headers["task"], message.decode()[0]))
            return len(taken) >= expected

        wait_for(
            take_all, timeout=timeout, interval=0.05, message=f"{expected} message(s) on {name}"
        )
        # A deliberate wait, not a condition: it gives any message beyond those expected
        # time to arrive, so that the caller's comparison sees it.
        time.sleep(0.2)
        take_all()
    return taken


def _view_only_staff():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_product", "view_variant"])
    )
    return user


def test_posting_queues_one_recompute_now_outside_the_batch_queue_after_commit(
    broker_url, editor_client, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = editor_client.post(_recompute_url(product))

    assert response.status_code == 302
    assert list(items_in(now_requests, callbacks)) == [product.pk]
    assert _messages(QUEUE_STATS_NOW, expected=1) == [(TASK_PRODUCT_STATS_NOW, [product.pk])]
    assert _messages(QUEUE_STATS_BATCH, expected=0) == []  # not on the batched path


def test_posting_marks_the_product_stale_without_counting_a_save(editor_client, product):
    response = editor_client.post(_recompute_url(product))

    assert response.status_code == 302
    mark = ProductStaleness.objects.get(product=product)
    assert mark.pending_saves == 0  # asking for fresh figures is not an edit
    assert Product.objects.get(pk=product.pk).version == product.version


def test_posting_redirects_to_the_change_page_that_waits_for_the_figures(editor_client, product):
    response = editor_client.post(_recompute_url(product))

    assert response.url == _change_url(product)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Recomputing the statistics of {product.sku} now: the figures below update by "
        "themselves within seconds."
    ]
    page = editor_client.get(response.url).content.decode()
    assert 'class="stats-freshness"' in page and 'data-pending="1"' in page


def test_posting_computes_nothing_in_the_request(
    editor_client, product, django_capture_on_commit_callbacks
):
    before = ProductStats.objects.get(product=product)

    with (
        django_capture_on_commit_callbacks() as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        editor_client.post(_recompute_url(product))

    after = ProductStats.objects.get(product=product)
    assert (after.computed_at, after.computed_version) == (
        before.computed_at,
        before.computed_version,
    )
    touched = [q["sql"] for q in queries if "stats_" in q["sql"]]
    assert len(touched) == 1
    assert touched[0].startswith(
        f"INSERT INTO {connection.ops.quote_name('stats_productstaleness')}"
    )
    assert len(callbacks) == 1  # queued for the worker, not run here


def test_get_is_not_allowed(editor_client, product):
    response = editor_client.get(_recompute_url(product))

    assert response.status_code == 405
    assert not ProductStaleness.objects.exists()


def test_a_user_who_may_not_change_the_product_is_refused(
    client, product, django_capture_on_commit_callbacks
):
    client.force_login(_view_only_staff())

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_recompute_url(product))

    assert response.status_code == 403
    assert not ProductStaleness.objects.exists()
    assert callbacks == []


def test_an_unknown_product_is_not_found(editor_client):
    assert editor_client.post("/admin/catalog/product/999999/recompute-stats/").status_code == 404


def test_the_button_sits_beside_the_history_link_outside_the_change_form(editor_client, product):
    response = editor_client.get(_change_url(product))

    html = response.content.decode()
    tools = html[html.index('<ul class="object-tools">') : html.index('id="product_form"')]
    assert reverse("admin:catalog_product_history", args=[product.pk]) in tools
    assert f'<form method="post" action="{_recompute_url(product)}"' in tools
    assert BUTTON in tools
    assert "csrfmiddlewaretoken" in tools
    assert "admin/catalog/product/change_form.html" in [t.name for t in response.templates]


def test_the_product_admin_keeps_the_template_that_carries_the_button():
    # An admin class (django-simple-history's, for one) that set change_form_template
    # would bypass templates/admin/catalog/product/change_form.html and hide the button.
    assert admin.site._registry[Product].change_form_template is None


def test_the_button_is_hidden_from_users_who_may_not_change_the_product(client, product):
    client.force_login(_view_only_staff())

    response = client.get(_change_url(product))

    assert response.status_code == 200
    assert BUTTON not in response.content.decode()


def test_pressing_the_button_while_the_broker_is_unreachable_leaves_the_product_to_the_sweep(
    editor_client, product, django_capture_on_commit_callbacks, caplog
):
    with (
        unreachable_broker(),
        caplog.at_level(logging.ERROR),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = editor_client.post(_recompute_url(product))

    assert response.status_code == 302
    assert "Could not queue 1 recompute on request" in caplog.text
    assert ProductStaleness.objects.filter(product=product).exists()
