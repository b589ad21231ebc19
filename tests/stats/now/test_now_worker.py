"""The button's recompute on a real batch worker, beside a batch buffer that keeps its requests.

Real RabbitMQ, real MariaDB, and the batch worker as the Procfile starts it (both of its
queues). The batch flushes on its count only (the timer is 10 minutes), so the buffer is
seen holding its requests before, during and after the recompute on request.
"""

import pytest
from django.urls import reverse

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_NOW
from stats.models import BatchFlush, ProductStaleness
from stats.monitoring.probes import batch_buffers
from stats.recompute.products import product_stats_recompute
from testkit.checks import save_variants
from testkit.workers import purge_queue, queue_counts, wait_for
from tests.factories import shop_in_currencies

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FLUSH_EVERY = 6


def _buffered() -> int:
    """What the batch worker holds unflushed, as it answers itself."""
    return sum(b.buffered for b in batch_buffers(timeout=2) or [])


def test_the_button_recomputes_now_while_the_batch_buffer_keeps_its_requests(
    workers, product_factory, variant_factory, editor_client
):
    target, *others = shop_in_currencies(product_factory, variant_factory, 4)
    product_stats_recompute(product_ids=[target.pk, *(p.pk for p in others)])
    purge_queue(QUEUE_STATS_BATCH)
    workers(
        [QUEUE_STATS_BATCH, QUEUE_STATS_NOW],
        STATS_BATCH_FLUSH_EVERY=str(FLUSH_EVERY),
        STATS_BATCH_FLUSH_INTERVAL="600",
    )
    save_variants(others, FLUSH_EVERY - 1)  # one short of a batch: they stay buffered
    wait_for(lambda: _buffered() == FLUSH_EVERY - 1, timeout=30, message="5 buffered requests")
    # Changed behind the ORM's back: no save, no request, so only the button can show it.
    target.variants.update(stock=0)
    figures = f"/stats/products/{target.pk}/figures"
    assert editor_client.get(figures).json()["fields"]["stats_total_stock"] == "20 in 2 variants"

    response = editor_client.post(
        reverse("admin:catalog_product_recompute_stats", args=[target.pk])
    )

    assert response.status_code == 302
    wait_for(
        lambda: editor_client.get(figures).json()["pending"] is False,
        timeout=30,
        message="the poll to report the recompute done",
    )
    assert editor_client.get(figures).json()["fields"]["stats_total_stock"] == "0 in 2 variants"
    # The batch was neither flushed early nor joined by the task: its requests wait on.
    assert not BatchFlush.objects.exists()
    assert _buffered() == FLUSH_EVERY - 1
    assert ProductStaleness.objects.filter(product__in=others).count() == len(others)
    assert queue_counts(QUEUE_STATS_NOW) == (0, 1)

    save_variants(others, 1)  # the sixth request: the batch flushes on its count

    wait_for(lambda: BatchFlush.objects.exists(), timeout=30, message="the count flush")
    assert BatchFlush.objects.get().requests == FLUSH_EVERY  # none lost, none added
    wait_for(lambda: not ProductStaleness.objects.exists(), timeout=30, message="marks claimed")
