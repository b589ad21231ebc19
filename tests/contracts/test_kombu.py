"""Contracts with kombu (config.upstream: "kombu TokenBucket refill", "kombu virtual transport").

The virtual transport is driven through kombu's in-memory transport, a virtual channel
like the embedded broker's, with its store calls recorded.
"""

from unittest import mock

from kombu import Connection, Exchange, Queue
from kombu.transport import TRANSPORT_ALIASES, memory, resolve_transport, virtual
from kombu.utils.limits import TokenBucket

import config.embedded_broker  # noqa: F401  (registers the sqlite:// scheme)
from config.embedded_broker.transport import Channel as EmbeddedChannel
from config.embedded_broker.transport import QoS as EmbeddedQoS
from stats.bulk.ratelimit import SteadyTokenBucket


def test_token_bucket_reads_its_level_through_get_tokens():
    bucket = TokenBucket(1 / 60, capacity=1)
    with mock.patch.object(TokenBucket, "_get_tokens", return_value=0.0) as level:
        assert not bucket.can_consume(1)
        assert bucket.expected_time(1) == 60
    assert level.call_count == 2
    assert {"_tokens", "timestamp", "fill_rate", "capacity"} <= set(vars(bucket))


def test_a_full_token_bucket_keeps_its_clock_still():
    """The upstream behaviour SteadyTokenBucket corrects (docstring of stats.bulk.ratelimit)."""
    clock = iter([100.0, 1000.0, 1000.0])
    with mock.patch("kombu.utils.limits.monotonic", lambda: next(clock)):
        upstream = TokenBucket(1 / 60, capacity=1)  # created full at t=100
        upstream._get_tokens()  # full at t=1000: the clock is not moved
    assert upstream.timestamp == 100.0

    clock = iter([100.0, 1000.0])
    with mock.patch("kombu.utils.limits.monotonic", lambda: next(clock)):
        ours = SteadyTokenBucket(1 / 60, capacity=1)
    with mock.patch("stats.bulk.ratelimit.monotonic", lambda: 1000.0):
        assert ours.can_consume(1) and not ours.can_consume(1)  # one token, then none
    assert ours.timestamp == 1000.0


class _Recording(memory.Channel):
    calls: list[str] = []
    do_restore = True  # memory's own is off; the embedded broker keeps virtual's default

    def _put(self, queue, message, **kwargs):
        self.calls.append("_put")
        return super()._put(queue, message, **kwargs)

    def _get(self, queue, timeout=None):
        self.calls.append("_get")
        return super()._get(queue, timeout)

    def _restore(self, message):
        self.calls.append("_restore")
        return super()._restore(message)


class _Transport(memory.Transport):
    Channel = _Recording


def _queue() -> Queue:
    return Queue("contracts", Exchange("contracts", "direct"), routing_key="contracts")


def _publish(conn, channel) -> None:
    queue = _queue()
    conn.Producer(channel).publish(
        {"n": 1}, exchange=queue.exchange, routing_key="contracts", declare=[queue]
    )


def test_the_virtual_channel_stores_through_put_and_get():
    assert issubclass(EmbeddedChannel, virtual.Channel)
    assert issubclass(EmbeddedQoS, virtual.QoS)
    for name in ("_new_queue", "_has_queue", "_put", "_get", "_size", "_purge", "_delete"):
        assert callable(getattr(virtual.Channel, name)), name  # the store hooks we implement
    _Recording.calls = []
    with Connection(transport=_Transport) as conn:
        channel = conn.channel()
        _publish(conn, channel)
        message = _queue().bind(channel).get()
        qos = channel.qos
        assert callable(qos._quick_ack)  # set per QoS instance; our reject settles through it
        message.ack()
        assert message.delivery_tag in qos._dirty  # settled through _quick_ack
    assert _Recording.calls[:2] == ["_put", "_get"]


def test_an_unacked_message_comes_back_through_restore():
    assert EmbeddedChannel.do_restore
    _Recording.calls = []
    with Connection(transport=_Transport) as conn:
        channel = conn.channel()
        _publish(conn, channel)
        tag = "contracts-tag"
        channel.basic_consume("contracts", False, lambda message: None, tag)
        assert channel._tag_to_queue[tag] == "contracts"
        assert "contracts" in channel._active_queues
        channel.basic_cancel(tag)
        assert "contracts" not in channel._active_queues
        assert _queue().bind(channel).get() is not None  # held, never acked
        channel.close()  # kombu hands the unacked message back
    assert "_restore" in _Recording.calls


def test_a_url_scheme_resolves_through_transport_aliases():
    assert TRANSPORT_ALIASES["sqlite"] == "config.embedded_broker.transport:Transport"
    assert resolve_transport("sqlite").__module__ == "config.embedded_broker.transport"
