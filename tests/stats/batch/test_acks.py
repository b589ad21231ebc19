"""One ack per batch where nothing else on the channel is unsettled (stats.batch.acks)."""

from types import SimpleNamespace

import pytest

from stats.batch import acks as acks_module
from stats.batch.consumer import BufferedRequest


class _Channel:
    """Stands in for a py-amqp channel: the ledger only compares it by identity."""


@pytest.fixture
def amqp_channel(monkeypatch):
    monkeypatch.setattr(acks_module, "AMQPChannel", _Channel)
    monkeypatch.setattr(acks_module, "_ledger", None)
    return _Channel()


def _delivered(channel, tags, acks: list) -> list[BufferedRequest]:
    """Batch requests as the strategy buffers them; their ack promises log into ``acks``."""
    requests = []
    for tag in tags:
        message = SimpleNamespace(channel=channel, delivery_tag=tag, acknowledged=False)

        def ack(logger, errors, multiple=False, tag=tag):
            acks.append((tag, multiple))

        acks_module.ack_ledger(channel).batched.add(tag)
        requests.append(BufferedRequest(message, None, ack))
    return requests


def _other_task(channel, tag):
    message = SimpleNamespace(channel=channel, delivery_tag=tag, acknowledged=False)
    acks_module.ack_ledger(channel).record_other(message)
    return message


def test_a_batch_with_nothing_unsettled_below_it_is_acked_with_one_multiple_ack(amqp_channel):
    acks: list = []
    batch = _delivered(amqp_channel, range(1, 101), acks)

    acks_module.ack_batch(batch, ())

    assert acks == [(100, True)]


def test_another_task_still_running_below_the_batch_makes_each_request_acked_alone(
    amqp_channel,
):
    acks: list = []
    _other_task(amqp_channel, 1)  # the sweep, delivered first, still running
    batch = _delivered(amqp_channel, range(2, 6), acks)

    acks_module.ack_batch(batch, ())

    assert acks == [(tag, False) for tag in range(2, 6)]


def test_once_the_other_task_is_settled_the_next_batch_is_acked_at_once(amqp_channel):
    acks: list = []
    sweep = _other_task(amqp_channel, 1)
    acks_module.ack_batch(_delivered(amqp_channel, range(2, 6), acks), ())
    sweep.acknowledged = True
    acks.clear()

    acks_module.ack_batch(_delivered(amqp_channel, range(6, 10), acks), ())

    assert acks == [(9, True)]


def test_an_earlier_batch_still_running_makes_a_later_one_ack_each_request(amqp_channel):
    acks: list = []
    earlier = _delivered(amqp_channel, range(1, 5), acks)
    later = _delivered(amqp_channel, range(5, 9), acks)

    acks_module.ack_batch(later, ())  # two pool processes: the later batch returned first
    acks_module.ack_batch(earlier, ())

    assert acks == [(tag, False) for tag in range(5, 9)] + [(4, True)]


def test_messages_after_the_batch_do_not_hold_its_ack_back(amqp_channel):
    acks: list = []
    batch = _delivered(amqp_channel, range(1, 5), acks)
    _other_task(amqp_channel, 5)
    _delivered(amqp_channel, range(6, 8), acks)  # the next batch, filling

    acks_module.ack_batch(batch, ())

    assert acks == [(4, True)]


def test_a_new_channel_starts_a_new_ledger(amqp_channel):
    acks: list = []
    _other_task(amqp_channel, 1)  # unsettled on the old channel, redelivered elsewhere
    batch = _delivered(_Channel(), range(1, 4), acks)

    acks_module.ack_batch(batch, ())

    assert acks == [(3, True)]


def test_the_embedded_broker_acks_each_request(monkeypatch):
    # kombu's virtual transports ignore ``multiple``: one ack would settle one message.
    monkeypatch.setattr(acks_module, "_ledger", None)
    acks: list = []
    channel = object()
    requests = [
        BufferedRequest(
            SimpleNamespace(channel=channel, delivery_tag=tag),
            None,
            lambda logger, errors, multiple=False, tag=tag: acks.append((tag, multiple)),
        )
        for tag in (1, 2)
    ]

    acks_module.ack_batch(requests, ())

    assert acks == [(1, False), (2, False)]
