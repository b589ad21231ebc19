import signal

import pytest
from django.db import connection

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from testkit.workers import WorkerProcess, purge_queue


@pytest.fixture
def workers(broker_url):
    """Start real workers on either queue; all are killed and both queues purged at teardown."""
    if connection.vendor != "mysql":
        pytest.skip("worker processes need MariaDB (make test), not SQLite")
    for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK):
        purge_queue(queue)
    started: list[WorkerProcess] = []

    def start(queue: str = QUEUE_STATS_BATCH, *, concurrency: int = 1, **env: str) -> WorkerProcess:
        worker = WorkerProcess(queues=[queue], concurrency=concurrency, env=env)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.kill(signal.SIGKILL)
    for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK):
        purge_queue(queue)


@pytest.fixture(autouse=True)
def empty_stats_queues(request):
    """Tests that publish to the real broker start and leave our queues empty."""
    if "broker_url" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("broker_url")  # skip (or fail in CI) before touching the broker
    for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK):
        purge_queue(queue)
    yield
    for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK):
        purge_queue(queue)
