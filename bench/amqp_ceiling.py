"""The ceiling for the batch worker: one bare py-amqp consumer, no Celery, no database.

It drains the same save requests from the same queue and does only the batch worker's
messaging: the same prefetch (2 x ``flush_every``), the same decode of each message
(``stats.batch.consumer.LeanBatches`` reads the ``id`` header and ``json.loads`` the
body) and one multiple ack per ``ack_every`` messages, as ``stats.batch.acks.AckLedger``
sends one per full batch. What one consumer process on this machine can take off the
queue at most; bench/stats.py quotes the batch worker's events/s as a percentage of it.
"""

import json
import time

import amqp


def drain(
    *,
    host: str,
    userid: str,
    password: str,
    virtual_host: str,
    queue: str,
    count: int,
    prefetch: int,
    ack_every: int,
    timeout: float = 30,
) -> float:
    """Seconds to consume, decode and ack ``count`` messages already waiting in ``queue``.

    Raises ``socket.timeout`` if no message arrives for ``timeout`` seconds.
    """
    with amqp.Connection(
        host=host, userid=userid, password=password, virtual_host=virtual_host
    ) as connection:
        channel = connection.channel()
        channel.basic_qos(0, prefetch, False)
        received = 0

        def on_message(message: amqp.Message) -> None:
            nonlocal received
            _args, _kwargs, _embed = json.loads(message.body)
            _request_id = message.headers["id"]
            received += 1
            if received % ack_every == 0 or received == count:
                channel.basic_ack(message.delivery_tag, multiple=True)

        start = time.perf_counter()
        channel.basic_consume(queue, callback=on_message)
        while received < count:
            connection.drain_events(timeout=timeout)
        return time.perf_counter() - start
