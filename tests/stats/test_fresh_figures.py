"""The product page waits for fresh figures (a poll), and a save says when they update."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from config.queues import TASK_PRODUCT_STATS_BATCH
from stats.admin.catalog_pages import stats_freshness_text
from stats.models import ProductStats
from stats.monitoring import eta
from stats.monitoring.services import monitoring_snapshot_store
from stats.monitoring.snapshot import BatchBuffer, Snapshot
from stats.now.services import product_stats_recompute_now, product_stats_request_now
from stats.recompute.products import product_stats_recompute
from testkit.admin_forms import post_loaded, product_fields, product_form, variant_row
from testkit.on_commit import forget_all
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(variant_factory):
    product = variant_factory(stock=3).product
    product_stats_recompute(product_ids=[product.pk])
    forget_all()
    return product


def _figures_url(product_id: object) -> str:
    return f"/stats/products/{product_id}/figures"


def _staff(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


# --- The poll ------------------------------------------------------------------------------


def test_the_poll_answers_the_figures_as_the_page_shows_them(editor_client, product):
    data = editor_client.get(_figures_url(product.pk)).json()

    assert data["product"] == product.pk
    assert data["pending"] is False
    stats = ProductStats.objects.get(product=product)
    assert data["computed_at"] == stats.computed_at.isoformat()
    assert data["fields"]["stats_total_stock"] == "3 in 1 variant"
    assert data["fields"]["stats_freshness"] == stats_freshness_text(product)
    page = editor_client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    html = page.content.decode()
    for name in ("stats_stock_status", "stats_price_range", "stats_completeness"):
        assert f"field-{name}" in html and data["fields"][name] in html


def test_the_poll_says_pending_until_the_worker_has_recomputed(editor_client, product):
    product.variants.update(stock=0)
    product_stats_request_now(product_id=product.pk)

    waiting = editor_client.get(_figures_url(product.pk)).json()
    product_stats_recompute_now(product_id=product.pk)  # what the worker's task does
    done = editor_client.get(_figures_url(product.pk)).json()

    assert waiting["pending"] is True
    assert waiting["fields"]["stats_total_stock"] == "3 in 1 variant"
    assert done["pending"] is False
    assert done["fields"]["stats_total_stock"] == "0 in 1 variant"
    assert done["computed_at"] > waiting["computed_at"]


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "1.5", "9" * 30])
def test_a_bad_product_id_is_a_400_with_a_reason(editor_client, bad):
    response = editor_client.get(_figures_url(bad))

    assert response.status_code == 400
    assert response.json()["reason"].startswith("not a product id")


def test_a_malformed_id_is_a_400(editor_client):
    response = editor_client.get(_figures_url("abc"))

    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "reason": "not a product id: 'abc'"}


@pytest.mark.parametrize(
    "product_id",
    [
        "\u0661\u0662",  # Arabic-Indic "12": str.isdigit() says digits
        "\uff11\uff12",  # fullwidth "12"
        "\u00b2",  # superscript two: a digit to isdigit(), no number to int() (was a 500)
        "1\u00b2",
    ],
)
def test_digits_other_than_ascii_are_a_400_with_a_reason(editor_client, product, product_id):
    response = editor_client.get(_figures_url(product_id))

    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "reason": f"not a product id: {product_id!r}",
    }


def test_an_unknown_product_is_a_404_with_a_reason(editor_client):
    response = editor_client.get(_figures_url(999_999))

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "reason": "no product with id 999999"}


def test_staff_who_may_only_view_products_are_refused_with_a_reason(client, product):
    client.force_login(_staff("view_product", "view_variant"))

    response = client.get(_figures_url(product.pk))

    assert response.status_code == 403
    assert response.json()["reason"] == "you may not change products"


def test_the_poll_changes_nothing_and_refuses_a_post_with_a_reason(editor_client, product):
    response = editor_client.post(_figures_url(product.pk))

    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_anonymous_callers_are_refused_with_a_reason(client, product):
    response = client.get(_figures_url(product.pk))

    assert response.status_code == 403
    assert "error" in response.json()


def test_the_page_loads_the_poll_and_says_whether_a_recompute_is_pending(editor_client, product):
    url = reverse("admin:catalog_product_change", args=[product.pk])

    current = editor_client.get(url).content.decode()
    product_stats_request_now(product_id=product.pk)
    pending = editor_client.get(url).content.decode()

    assert "stats/fresh_figures.js" in current
    assert f'data-url="{_figures_url(product.pk)}" data-pending="0"' in current
    assert f'data-url="{_figures_url(product.pk)}" data-pending="1"' in pending


# --- After a save ------------------------------------------------------------------------


def _store_snapshot(buffers: list[BatchBuffer] | None, *, age: float = 0) -> None:
    monitoring_snapshot_store(
        Snapshot(
            taken_at=timezone.now() - timedelta(seconds=age),
            broker_source="management",
            batch_buffers=buffers,
        )
    )


def _buffer(*, buffered: int, since: float | None, now: float) -> BatchBuffer:
    return BatchBuffer(
        "batch@host", TASK_PRODUCT_STATS_BATCH, buffered, now - 400, now - 900, 300, 100, since
    )


@pytest.fixture
def frozen(monkeypatch) -> float:
    """Now, held still for the estimate (which compares it with the workers' times)."""
    now = time.time()
    monkeypatch.setattr(eta.time, "time", lambda: now)
    return now


def _save(client, product: Product, **changes: str):
    variants = list(product.variants.order_by("id"))
    data = product_form(
        product_fields(product, **changes),
        [variant_row(v) for v in variants],
        initial=len(variants),
    )
    return post_loaded(client, reverse("admin:catalog_product_change", args=[product.pk]), data)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_save_says_when_the_batch_worker_will_update_the_figures(editor_client, product, frozen):
    # A buffer holding requests for 48 s: the timer flushes it 300 s after the first.
    _store_snapshot([_buffer(buffered=12, since=frozen - 48, now=frozen)])

    response = _save(editor_client, product, name="Renamed")

    assert response.status_code == 302
    first, stats = _messages(response)
    assert "was changed successfully" in first
    assert stats.startswith("Statistics update within 4 minutes 12 seconds. ")


def test_the_save_message_carries_the_recompute_button(editor_client, product):
    response = _save(editor_client, product, name="Renamed")

    stats = _messages(response)[-1]
    action = reverse("admin:catalog_product_recompute_stats", args=[product.pk])
    assert f'<form method="post" action="{action}"' in stats
    assert re.search(r'name="csrfmiddlewaretoken" value="\w+"', stats)
    assert ">Recompute now</button>" in stats


def test_without_a_recent_snapshot_the_save_message_uses_the_interval_setting(
    settings, editor_client, product
):
    settings.STATS_BATCH_FLUSH_INTERVAL = 300
    now = time.time()
    _store_snapshot([_buffer(buffered=12, since=now - 48, now=now)], age=3600)

    response = _save(editor_client, product, name="Renamed")

    assert _messages(response)[-1].startswith("Statistics update within 5 minutes. ")


def test_adding_a_product_says_it_too(editor_client, category_factory):
    data = product_form(
        {
            "sku": "NEW-1",
            "name": "New",
            "slug": "new",
            "description": "",
            "category": str(category_factory().pk),
            "status": "draft",
        }
    )

    response = editor_client.post(reverse("admin:catalog_product_add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert _messages(response)[-1].startswith("Statistics update within ")


def test_a_form_with_errors_says_nothing_about_statistics(editor_client, product):
    response = _save(editor_client, product, name="")

    assert response.status_code == 200
    assert not [m for m in _messages(response) if "Statistics" in m]
