"""A bulk run's chunk messages go out through the outbox: once the run is committed, again
after a failed attempt, and from the bulk resume when the broker was down. A run whose
messages could not be sent says so on its page and can be cancelled; the resume then
sends nothing for it.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from config.queues import QUEUE_STATS_BULK
from stats.bulk import services as bulk
from stats.bulk.publish import bulk_runs_resume, chunk_messages
from stats.bulk.services import (
    ChunkOutcome,
    bulk_chunk_process,
    bulk_run_start,
    bulk_run_start_scheduled,
)
from stats.models import BulkChunk, BulkRun
from testkit.on_commit import forget_all, items_in
from testkit.workers import purge_queue, queue_counts, unreachable_broker

ALL = BulkRun.Scope.ALL


def _start(**kwargs) -> BulkRun:
    return bulk_run_start(trigger=BulkRun.Trigger.OPS, **{"scope": ALL, **kwargs})


@pytest.mark.django_db
def test_a_run_and_the_nightly_run_are_sent_once_committed(
    product_factory, django_capture_on_commit_callbacks
):
    product_factory.create_batch(3)
    with django_capture_on_commit_callbacks() as callbacks:
        run = bulk_run_start(trigger=BulkRun.Trigger.EDITOR, scope=ALL, chunk_size=2)
        nightly = bulk_run_start_scheduled()  # an editor's run never holds it back

    assert nightly is not None
    assert items_in(chunk_messages, callbacks) == {run.pk: None, nightly.pk: None}


@pytest.mark.django_db
def test_a_chunk_to_try_again_is_owed_a_message_sent_once_its_failure_commits(
    monkeypatch, product_factory, django_capture_on_commit_callbacks
):
    product_factory.create_batch(2)
    run = _start(chunk_size=1)
    failing = run.chunks.order_by("number").first()
    run.chunks.update(published_at=timezone.now())
    forget_all()  # as if the run's transaction had committed and sent its chunks

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(bulk, "product_stats_recompute", broken)
    with django_capture_on_commit_callbacks() as callbacks:
        assert bulk_chunk_process(chunk_id=failing.pk) is ChunkOutcome.RETRY

    failing.refresh_from_db()
    assert (failing.status, failing.published_at) == (BulkChunk.Status.PENDING, None)
    assert items_in(chunk_messages, callbacks) == {run.pk: None}


@pytest.mark.django_db(transaction=True)  # real commits: the publish happens
def test_the_resume_sends_the_chunks_of_a_run_started_while_the_broker_was_down(
    broker_url, product_factory
):
    product_factory.create_batch(3)
    purge_queue(QUEUE_STATS_BULK)
    with unreachable_broker():
        run = _start(chunk_size=1)
    assert not run.chunks.filter(published_at__isnull=False).exists()
    assert queue_counts(QUEUE_STATS_BULK)[0] == 0

    assert bulk_runs_resume() == 3  # what beat's bulk resume does, the broker back

    assert not run.chunks.filter(published_at__isnull=True).exists()
    assert queue_counts(QUEUE_STATS_BULK)[0] == 3
    assert bulk_runs_resume() == 0
    purge_queue(QUEUE_STATS_BULK)


@pytest.mark.django_db(transaction=True)
def test_a_run_started_while_the_broker_is_down_says_so_and_can_be_cancelled(
    admin_client, product_factory
):
    products = product_factory.create_batch(2)
    changelist = reverse("admin:catalog_product_changelist")
    data = {
        "action": "start_bulk_run_for_products",
        "_selected_action": [str(p.pk) for p in products],
        "index": "0",
    }

    with unreachable_broker():
        response = admin_client.post(changelist, data)

    run = BulkRun.objects.get()
    messages = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert [level for level, _ in messages] == ["success", "warning"]
    assert "its groups are not sent yet: they are sent by themselves" in messages[1][1]
    page = reverse("admin:stats_bulkrun_change", args=[run.pk])
    html = admin_client.get(page).content.decode()
    assert "Not queued" in html and "1 group of 1. The message system could not be reached" in html

    admin_client.post(reverse("admin:stats_bulkrun_cancel", args=[run.pk]))

    run.refresh_from_db()
    assert run.status == BulkRun.Status.CANCELLED
    assert "Not queued" not in admin_client.get(page).content.decode()
    assert bulk_runs_resume() == 0  # nothing would run a cancelled run's chunks
