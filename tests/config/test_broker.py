import uuid

import pytest
from kombu import Exchange, Queue

from config.celery import app
from config.queues import QUEUE_DEFAULT


def test_celery_app_reads_broker_from_settings(settings):
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_default_queue == QUEUE_DEFAULT


@pytest.mark.integration
def test_broker_round_trips_a_persistent_message(broker_url):
    name = f"test.roundtrip.{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name, auto_delete=True)
    with app.connection_for_write() as conn:
        producer = conn.Producer()
        producer.publish(
            {"hello": "catalog"},
            exchange=queue.exchange,
            routing_key=name,
            declare=[queue],
            delivery_mode=2,
            serializer="json",
        )
        simple = conn.SimpleQueue(queue)
        message = simple.get(timeout=5)
        message.ack()
        simple.close()
    assert message.payload == {"hello": "catalog"}
