"""The Celery app, its queues and its routes.

Queue names are constants imported everywhere else, so a queue is found by name.
Workers run as ``celery -A config worker ...`` (see the Procfile).
"""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

#: Tasks with no dedicated queue.
QUEUE_DEFAULT = "default"
#: celery-batches statistics recomputation after editor saves.
QUEUE_STATS_BATCH = "stats.batch"
#: Rate-limited bulk recomputation, consumed by one dedicated worker.
QUEUE_STATS_BULK = "stats.bulk"

app = Celery("catalog_editor")
app.config_from_object("django.conf:settings", namespace="CELERY")

_exchange = Exchange(QUEUE_DEFAULT, type="direct", durable=True)
app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.task_queues = (Queue(QUEUE_DEFAULT, _exchange, routing_key=QUEUE_DEFAULT, durable=True),)

app.autodiscover_tasks()
