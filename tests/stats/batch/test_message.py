"""The save path's message on the broker, no worker: as RabbitMQ stores it, and its id."""

import json
import logging

import pytest

from config.celery import app
from config.queues import QUEUE_STATS_BATCH, TASK_PRODUCT_STATS_BATCH
from stats.batch.message import (
    MANY_VERSION,
    MAX_PRODUCTS,
    MESSAGE_VERSION,
    SaveRequest,
    products_counted,
    validate,
    validate_any,
)
from stats.batch.tasks import queue_product_stats, send_recompute_requests


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


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ([12], {"v": MESSAGE_VERSION}, SaveRequest(12)),
        ([12], {"v": MESSAGE_VERSION, "category_id": 3}, SaveRequest(12, 3)),
        ([12], "oops", None),  # once made the whole batch fail
        ([12], {"v": MESSAGE_VERSION + 1}, None),
        (["12"], {}, None),
        ([True], {}, None),
        ([0], {}, None),
        ([12, 13], {}, None),
        ([12], {"category_id": -1}, None),
    ],
)
def test_each_request_is_validated_on_its_own(args, kwargs, expected):
    assert validate(args, kwargs) == expected


def test_a_huge_malformed_request_is_logged_in_one_short_line(caplog):
    with caplog.at_level(logging.ERROR):
        assert validate(list(range(200_000)), {}) is None
    (record,) = caplog.records
    line = record.getMessage()
    assert len(line) < 600
    assert "chars)" in line


def _take_all(queue: str) -> list:
    taken = []
    with app.connection_for_read() as conn:
        while (message := conn.default_channel.basic_get(queue, no_ack=True)) is not None:
            taken.append(json.loads(message.body))
    return taken


def test_a_bulk_writes_requests_go_in_messages_of_up_to_max_products(broker_url):
    ids = list(range(1, MAX_PRODUCTS + 3))

    send_recompute_requests((pid, None) for pid in ids)

    bodies = _take_all(QUEUE_STATS_BATCH)
    assert [(args, kwargs) for args, kwargs, _ in bodies] == [
        ([ids[:MAX_PRODUCTS]], {"v": MANY_VERSION}),
        ([ids[MAX_PRODUCTS:]], {"v": MANY_VERSION}),
    ]


def test_one_saved_product_is_still_a_version_1_message_and_a_deleted_one_goes_alone(
    broker_url,
):
    send_recompute_requests([(5, None)])
    send_recompute_requests([(6, None), (7, None), (8, 3)])

    bodies = [(args, kwargs) for args, kwargs, _ in _take_all(QUEUE_STATS_BATCH)]

    assert bodies == [
        ([5], {"v": MESSAGE_VERSION}),
        ([[6, 7]], {"v": MANY_VERSION}),
        ([8], {"v": MESSAGE_VERSION, "category_id": 3}),
    ]


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ([[12, 13]], {"v": MANY_VERSION}, [SaveRequest(12), SaveRequest(13)]),
        ([12], {"v": MESSAGE_VERSION}, [SaveRequest(12)]),
        ([[12, 0]], {"v": MANY_VERSION}, []),  # one bad id: the message is malformed
        ([[12, "13"]], {"v": MANY_VERSION}, []),
        ([[]], {"v": MANY_VERSION}, []),
        ([list(range(1, MAX_PRODUCTS + 2))], {"v": MANY_VERSION}, []),
        ([[12]], {"v": MANY_VERSION, "category_id": 3}, []),  # a deleted product goes alone
        ([12, 13], {"v": MANY_VERSION}, []),
        ([[12, 13]], {"v": MANY_VERSION + 1}, []),
    ],
)
def test_a_message_of_several_products_is_validated_as_a_whole(args, kwargs, expected):
    assert validate_any(args, kwargs) == expected


@pytest.mark.parametrize(
    ("args", "kwargs", "counted"),
    [
        ([[1, 2, 3]], {"v": MANY_VERSION}, 3),
        ([1], {"v": MESSAGE_VERSION}, 1),
        ([[1, 2, 3]], {"v": MESSAGE_VERSION}, 1),
        ([list(range(1, MAX_PRODUCTS + 2))], {"v": MANY_VERSION}, 1),
        ("oops", None, 1),
    ],
)
def test_a_buffered_message_counts_as_its_products(args, kwargs, counted):
    assert products_counted(args, kwargs) == counted


@pytest.mark.rabbitmq  # shard queues are RabbitMQ's (single active consumer)
def test_with_shards_a_bulk_writes_requests_go_one_message_per_shard(broker_url):
    from testkit.shards import publishing_to_shards

    with publishing_to_shards(2) as shards:
        send_recompute_requests((pid, None) for pid in range(1, 8))

        bodies = {name: _take_all(name) for name in shards}

    assert {name: [args for args, _, _ in found] for name, found in bodies.items()} == {
        shards[0]: [[[2, 4, 6]]],
        shards[1]: [[[1, 3, 5, 7]]],
    }
