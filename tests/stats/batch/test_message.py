"""The save path's message on the broker, no worker: as RabbitMQ stores it, and its id."""

import json

import pytest

from config.celery import app
from config.queues import QUEUE_STATS_BATCH, TASK_PRODUCT_STATS_BATCH
from stats.batch.message import MESSAGE_VERSION
from stats.batch.tasks import queue_product_stats


def _take_one(queue: str):
    with app.connection_for_read() as conn:
        message = conn.default_channel.basic_get(queue, no_ack=True)
    assert message is not None, f"nothing on {queue}"
    return message


@pytest.mark.rabbitmq  # AMQP properties: the embedded broker keeps its own envelope
def test_a_save_request_is_a_persistent_celery_message_with_only_the_headers_a_worker_needs(
    broker_url,
):
    queue_product_stats(product_id=42, category_id=7)

    message = _take_one(QUEUE_STATS_BATCH)

    headers = message.properties["application_headers"]
    assert set(headers) == {"lang", "task", "id"}
    assert headers["task"] == TASK_PRODUCT_STATS_BATCH
    assert message.properties["correlation_id"] == headers["id"]
    assert message.properties["content_type"] == "application/json"
    assert message.properties["delivery_mode"] == 2  # survives a broker restart
    args, kwargs, embed = json.loads(message.body)
    assert (args, kwargs, embed) == ([42], {"v": MESSAGE_VERSION, "category_id": 7}, {})


def test_each_save_request_has_its_own_id(broker_url):
    queue_product_stats(product_id=1)
    queue_product_stats(product_id=1)

    # .headers: the message's headers on any transport (application_headers over AMQP).
    ids = {_take_one(QUEUE_STATS_BATCH).headers["id"] for _ in "ab"}

    assert len(ids) == 2
