import signal

import pytest
from django.db import connection

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_STATS_NOW
from testkit.workers import WorkerProcess, purge_queue

#: Every queue a test worker may consume, purged before and after each test that uses them.
STATS_QUEUES = (QUEUE_STATS_BATCH, QUEUE_STATS_NOW, QUEUE_STATS_BULK)


@pytest.fixture
def workers(broker_url):
    """Start real workers on a queue (or several, as one list: the batch worker's
    ``[QUEUE_STATS_BATCH, QUEUE_STATS_NOW]``); all are killed and the queues purged at
    teardown."""
    if connection.vendor != "mysql":
        pytest.skip("worker processes need MariaDB (make test), not SQLite")
    for queue in STATS_QUEUES:
        purge_queue(queue)
    started: list[WorkerProcess] = []

    def start(
        queue: str | list[str] = QUEUE_STATS_BATCH, *, concurrency: int = 1, **env: str
    ) -> WorkerProcess:
        queues = [queue] if isinstance(queue, str) else queue
        worker = WorkerProcess(queues=queues, concurrency=concurrency, env=env)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.kill(signal.SIGKILL)
    for queue in STATS_QUEUES:
        purge_queue(queue)


@pytest.fixture(autouse=True)
def empty_stats_queues(request):
    """Tests that publish to the real broker start and leave our queues empty."""
    if "broker_url" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("broker_url")  # skip (or fail in CI) before touching the broker
    for queue in STATS_QUEUES:
        purge_queue(queue)
    yield
    for queue in STATS_QUEUES:
        purge_queue(queue)
