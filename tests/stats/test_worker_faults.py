"""Bad messages and connection budgets, against real workers, RabbitMQ and MariaDB."""

import json
import uuid

import pytest
from django.db import connection
from kombu import Exchange, Producer

from config.celery import app
from config.queues import (
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    TASK_BULK_CHUNK,
    TASK_PRODUCT_STATS_BATCH,
)
from stats.batch.tasks import queue_product_stats
from stats.bulk.services import bulk_run_start
from stats.bulk.tasks import publish_bulk_chunks
from stats.models import BatchFlush, BulkRun, ProductStaleness
from testkit.workers import rabbitmqctl_queues, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _publish_raw(queue: str, body: bytes, *, task: str | None, content_type: str) -> None:
    """A message as a foreign or broken producer would send it: no Celery client involved."""
    headers = {"id": str(uuid.uuid4())}
    if task:
        headers |= {"task": task, "lang": "py"}
    with app.connection_for_write() as conn:
        Producer(conn).publish(
            body,
            exchange=Exchange(queue, type="direct"),
            routing_key=queue,
            headers=headers,
            content_type=content_type,
            content_encoding="utf-8",
            delivery_mode=2,
        )


def _celery_body(*args, **kwargs) -> bytes:
    return json.dumps([list(args), kwargs, {"callbacks": None, "errbacks": None}]).encode()


def test_malformed_and_unknown_messages_are_dropped_and_the_workers_carry_on(
    workers, product_factory, variant_factory
):
    batch = workers(QUEUE_STATS_BATCH, STATS_BATCH_FLUSH_INTERVAL="2")
    bulk = workers(QUEUE_STATS_BULK, STATS_BULK_RATE_LIMIT="600/m")
    junk = [
        (QUEUE_STATS_BATCH, b"{not json", TASK_PRODUCT_STATS_BATCH, "application/json"),
        (QUEUE_STATS_BATCH, _celery_body("abc"), TASK_PRODUCT_STATS_BATCH, "application/json"),
        (QUEUE_STATS_BATCH, _celery_body(5, v=99), TASK_PRODUCT_STATS_BATCH, "application/json"),
        (QUEUE_STATS_BATCH, _celery_body(5), "stats.no_such_task", "application/json"),
        (
            QUEUE_STATS_BATCH,
            b"\x80\x04pickle",
            TASK_PRODUCT_STATS_BATCH,
            "application/x-python-serialize",
        ),
        (QUEUE_STATS_BULK, _celery_body("x"), TASK_BULK_CHUNK, "application/json"),
        (QUEUE_STATS_BULK, _celery_body(987654), TASK_BULK_CHUNK, "application/json"),
    ]
    for queue, body, task, content_type in junk:
        _publish_raw(queue, body, task=task, content_type=content_type)

    product = variant_factory().product  # a real save, queued after the junk
    wait_for(
        lambda: not ProductStaleness.objects.filter(product=product).exists(),
        timeout=30,
        message="the valid request behind the junk was processed",
    )
    queues = rabbitmqctl_queues()
    wait_for(
        lambda: all(
            rabbitmqctl_queues()[q]["ready"] == 0 and rabbitmqctl_queues()[q]["unacked"] == 0
            for q in (QUEUE_STATS_BULK,)
        ),
        timeout=30,
        message="the bulk queue drained (nothing redelivered forever)",
    )
    assert batch.process.poll() is None and bulk.process.poll() is None, queues
    batch_log, bulk_log = batch.log(), bulk.log()
    assert "Rejected malformed statistics request" in batch_log
    assert "unregistered task" in batch_log.lower()
    assert "Rejected malformed bulk chunk message" in bulk_log
    assert "does not exist; message dropped" in bulk_log
    # The worker is still healthy: it keeps flushing after the junk.
    queue_product_stats(product_id=product.pk)
    flushes = BatchFlush.objects.count()
    wait_for(lambda: BatchFlush.objects.count() > flushes, timeout=20, message="another flush")


def _connections_to_test_db() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s",
            [connection.settings_dict["NAME"]],
        )
        return cursor.fetchone()[0]


def test_a_batch_worker_never_holds_more_than_one_connection_over_many_batches(
    workers, product_factory
):
    products = product_factory.create_batch(20)
    workers(QUEUE_STATS_BATCH, STATS_BATCH_FLUSH_EVERY="10", STATS_BATCH_FLUSH_INTERVAL="1")
    samples = []
    for round_ in range(6):
        flushes = BatchFlush.objects.count()
        for product in products[:10] if round_ % 2 else products[10:]:
            queue_product_stats(product_id=product.pk)
        wait_for(lambda f=flushes: BatchFlush.objects.count() > f, timeout=20, message="flush")
        samples.append(_connections_to_test_db())
    # This test's own connection plus at most the worker's pool process, after every batch:
    # bounded, never growing (Celery closes the worker's connection after each task).
    assert max(samples) <= 2, samples


def test_a_bulk_worker_never_holds_more_than_one_connection_over_many_chunks(
    workers, product_factory
):
    product_factory.create_batch(12)
    run = bulk_run_start(trigger=BulkRun.Trigger.OPS, scope=BulkRun.Scope.ALL, chunk_size=1)
    publish_bulk_chunks(run_id=run.pk)
    workers(QUEUE_STATS_BULK, STATS_BULK_RATE_LIMIT="300/m")
    samples = []
    for done in range(2, 13, 2):
        wait_for(
            lambda d=done: BulkRun.objects.get(pk=run.pk).chunks_done >= d,
            timeout=30,
            message=f"{done} chunks",
        )
        samples.append(_connections_to_test_db())
    # This test's own connection plus at most the worker's pool process, after every chunk.
    assert max(samples) <= 2, samples
