"""CELERY_QUEUE_TYPE: the arguments every queue is declared with, and the refusals."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from kombu import Exchange, Queue

from config.celery import app
from config.queue_types import QueueTypeMismatch, check_queue_declarations, queue_arguments
from config.queues import QUEUE_STATS_BULK
from tests.config.test_settings import ROOT

QUORUM_BROKER = "amqp://guest:guest@127.0.0.1:5672/quorum-unit"  # never connected to


def _declared_queues(**env: str) -> subprocess.CompletedProcess:
    """The app's queues and their arguments, as a process with ``env`` declares them."""
    code = (
        "import json; from config.celery import app; "
        "print(json.dumps({n: q.queue_arguments for n, q in app.amqp.queues.items()}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_QUEUE")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_ENV": "test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_classic_queues_keep_only_their_own_arguments():
    assert queue_arguments(queue_type="classic", delivery_limit=20) is None
    assert queue_arguments(
        queue_type="classic", delivery_limit=20, **{"x-single-active-consumer": True}
    ) == {"x-single-active-consumer": True}


def test_quorum_adds_the_type_and_the_delivery_limit_to_a_queues_own_arguments():
    arguments = queue_arguments(
        queue_type="quorum", delivery_limit=7, **{"x-single-active-consumer": True}
    )
    assert arguments == {
        "x-single-active-consumer": True,
        "x-queue-type": "quorum",
        "x-delivery-limit": 7,
    }


def test_the_default_is_classic_queues():
    result = _declared_queues(CELERY_BROKER_URL=QUORUM_BROKER)
    assert result.returncode == 0, result.stderr
    declared = json.loads(result.stdout)
    assert all("x-queue-type" not in (arguments or {}) for arguments in declared.values())
    assert declared[QUEUE_STATS_BULK] == {"x-single-active-consumer": True}


def test_every_declared_queue_is_quorum_under_the_setting():
    result = _declared_queues(
        CELERY_BROKER_URL=QUORUM_BROKER, CELERY_QUEUE_TYPE="quorum", CELERY_QUEUE_DELIVERY_LIMIT="5"
    )
    assert result.returncode == 0, result.stderr
    declared = json.loads(result.stdout)
    assert set(declared) == set(app.amqp.queues)  # a queue added later is covered too
    for name, arguments in declared.items():
        assert arguments["x-queue-type"] == "quorum", name
        assert arguments["x-delivery-limit"] == 5, name
    assert declared[QUEUE_STATS_BULK]["x-single-active-consumer"] is True


def test_quorum_with_the_embedded_broker_is_refused_at_startup():
    result = _declared_queues(
        CELERY_BROKER_URL="filesystem://localhost//", CELERY_QUEUE_TYPE="quorum"
    )
    assert result.returncode != 0
    assert "CELERY_QUEUE_TYPE=quorum needs RabbitMQ" in result.stderr


@pytest.mark.parametrize(
    "variable, value", [("CELERY_QUEUE_TYPE", "mirrored"), ("CELERY_QUEUE_DELIVERY_LIMIT", "0")]
)
def test_a_bad_queue_setting_is_refused(variable, value):
    result = _declared_queues(CELERY_BROKER_URL=QUORUM_BROKER, **{variable: value})
    assert result.returncode != 0
    assert f"{variable}=" in result.stderr


def test_a_delivery_limit_that_would_drop_a_bulk_chunk_before_it_fails_is_refused():
    result = _declared_queues(
        CELERY_BROKER_URL=QUORUM_BROKER,
        CELERY_QUEUE_TYPE="quorum",
        CELERY_QUEUE_DELIVERY_LIMIT="3",
        STATS_BULK_MAX_ATTEMPTS="3",
    )
    assert result.returncode != 0
    assert "must exceed STATS_BULK_MAX_ATTEMPTS=3" in result.stderr


@pytest.mark.rabbitmq
def test_a_queue_of_the_other_type_on_the_broker_is_refused_with_a_readable_line(broker_url):
    name = f"test.queuetype.{uuid.uuid4().hex[:8]}"

    def queue(**arguments: object) -> Queue:
        return Queue(
            name, Exchange(name, type="direct"), routing_key=name, queue_arguments=arguments or None
        )

    with app.connection_for_write() as conn:
        check_queue_declarations(conn, [queue()], "classic")  # declared classic
        try:
            with pytest.raises(QueueTypeMismatch) as refused:
                check_queue_declarations(conn, [queue(**{"x-queue-type": "quorum"})], "quorum")
            check_queue_declarations(conn, [queue()], "classic")  # the same type: fine
        finally:
            queue().bind(conn.channel()).delete()
    message = str(refused.value)
    assert f"Queue {name!r} already exists" in message
    assert "x-queue-type" in message
    assert "Moving to quorum queues" in message


def test_workers_leave_out_celerys_delayed_delivery_queues():
    # With quorum queues Celery would declare 28 queues for ETA messages that our direct
    # exchanges cannot use and no task sends.
    from stats.bulk.ratelimit import SteadyRateConsumer

    steps = SteadyRateConsumer.Blueprint.default_steps
    assert not [step for step in steps if step.endswith(":DelayedDelivery")]
    assert "celery.worker.consumer.tasks:Tasks" in steps
