"""The bulk worker's rate limit (stats.bulk.ratelimit), without a worker or a broker.

The bulk worker tests (test_bulk_worker.py) watch the same behaviour end to end on
RabbitMQ; these pin each rule on its own: which message passes without a token, what a
steady bucket earns, and that a consumer's buckets are the steady kind.
"""

import logging
from types import SimpleNamespace
from unittest import mock

import pytest
from celery.worker.consumer.consumer import Consumer
from kombu.asynchronous.timer import Timer
from kombu.utils.limits import TokenBucket

from config.queues import TASK_BULK_CHUNK
from stats.bulk import ratelimit
from stats.bulk.ratelimit import SteadyRateConsumer, SteadyTokenBucket


@pytest.fixture
def chunks_waiting(monkeypatch) -> dict[int, bool]:
    """Chunk id -> whether it still waits for work, as ``bulk_chunk_awaits_work`` answers;
    the ids asked are recorded under ``asked``."""
    waiting: dict = {"asked": []}

    def awaits_work(*, chunk_id: int) -> bool:
        waiting["asked"].append(chunk_id)
        return waiting[chunk_id]

    monkeypatch.setattr("stats.bulk.services.bulk_chunk_awaits_work", awaits_work)
    return waiting


def _chunk_request(*args: object, name: str = TASK_BULK_CHUNK) -> SimpleNamespace:
    return SimpleNamespace(name=name, args=list(args))


def test_a_chunk_message_that_will_do_no_work_needs_no_token(chunks_waiting):
    chunks_waiting[7] = False

    assert ratelimit._needs_no_token(_chunk_request(7))
    assert ratelimit._needs_no_token(SimpleNamespace(name=TASK_BULK_CHUNK, args=(7,)))
    assert chunks_waiting["asked"] == [7, 7]


def test_a_chunk_message_that_still_waits_for_work_takes_a_token(chunks_waiting):
    chunks_waiting[7] = True

    assert not ratelimit._needs_no_token(_chunk_request(7))


def test_another_tasks_message_takes_a_token_without_a_read(chunks_waiting):
    chunks_waiting[7] = False

    assert not ratelimit._needs_no_token(_chunk_request(7, name="stats.other"))
    assert chunks_waiting["asked"] == []


@pytest.mark.parametrize("args", [[], [7, 8], [True], ["7"], [None], None, "7"], ids=repr)
def test_a_chunk_message_with_malformed_arguments_takes_a_token(chunks_waiting, args):
    chunks_waiting.update({7: False, 8: False, True: False})

    assert not ratelimit._needs_no_token(SimpleNamespace(name=TASK_BULK_CHUNK, args=args))
    assert chunks_waiting["asked"] == []


def test_when_the_chunk_cannot_be_read_its_message_takes_a_token_and_says_so(monkeypatch, caplog):
    def unreadable(*, chunk_id: int) -> bool:
        raise RuntimeError("database away")

    monkeypatch.setattr("stats.bulk.services.bulk_chunk_awaits_work", unreadable)

    with caplog.at_level(logging.WARNING, logger=ratelimit.__name__):
        assert not ratelimit._needs_no_token(_chunk_request(7))

    assert [r.getMessage() for r in caplog.records] == [
        "Could not tell whether bulk chunk 7 still waits for work."
    ]


def test_a_steady_bucket_earns_tokens_from_its_last_read():
    with mock.patch("kombu.utils.limits.monotonic", lambda: 1000.0):
        bucket = SteadyTokenBucket(1 / 60, capacity=2)
    bucket._tokens, bucket.timestamp = 0.0, 1000.0

    with mock.patch("stats.bulk.ratelimit.monotonic", lambda: 1030.0):
        assert bucket._get_tokens() == pytest.approx(0.5)
    with mock.patch("stats.bulk.ratelimit.monotonic", lambda: 1600.0):
        assert bucket._get_tokens() == 2  # never more than its capacity
    assert bucket.timestamp == 1600.0


def test_the_consumers_bucket_is_steady_with_celerys_rate_and_capacity(monkeypatch):
    passed: list = []

    def celerys(self, type, *args, **kwargs):
        passed.append((type, args, kwargs))
        return TokenBucket(0.5, capacity=3) if type.rate_limit else None

    monkeypatch.setattr(Consumer, "bucket_for_task", celerys)
    consumer = SteadyRateConsumer.__new__(SteadyRateConsumer)  # no connection needed
    limited = SimpleNamespace(rate_limit="30/m")

    bucket = consumer.bucket_for_task(limited, "extra", key="word")

    assert isinstance(bucket, SteadyTokenBucket)
    assert (bucket.fill_rate, bucket.capacity) == (0.5, 3)
    assert passed == [(limited, ("extra",), {"key": "word"})]  # whatever Celery passes
    assert consumer.bucket_for_task(SimpleNamespace(rate_limit=None)) is None


def test_a_rate_limited_task_gets_a_steady_bucket_at_its_rate():
    consumer = SteadyRateConsumer.__new__(SteadyRateConsumer)

    bucket = consumer.bucket_for_task(SimpleNamespace(rate_limit="30/h"))

    assert isinstance(bucket, SteadyTokenBucket)
    assert (bucket.fill_rate, bucket.capacity) == (30 / 3600, 1)


def test_messages_that_will_do_no_work_go_to_the_pool_first_without_a_token(chunks_waiting):
    chunks_waiting.update({1: False, 2: False, 3: True, 4: False})
    consumer = SteadyRateConsumer.__new__(SteadyRateConsumer)
    moved: list = []
    consumer.timer, consumer._limit_order = Timer(), 0
    consumer._limit_move_to_pool = moved.append
    bucket = SteadyTokenBucket(30 / 3600, capacity=1)
    free, also_free, paying, later = (_chunk_request(i) for i in (1, 2, 3, 4))
    for request in (free, also_free, paying, later):
        bucket.add((request, 1))

    consumer._schedule_bucket_request(bucket)

    # The two heads that do no work pass free; the third takes the one token; the
    # fourth, behind it, waits for the next token although it would do no work either.
    assert moved == [free, also_free, paying]
    assert list(bucket.contents) == [(later, 1)]
