import signal

import pytest
from django.db import connection

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK, QUEUE_STATS_NOW
from testkit.shards import publishing_to_shards
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


#: Shards and lease heartbeat (s) of the sharded batch workers' tests: takeover in seconds.
SHARDS = 4
HEARTBEAT = 1


@pytest.fixture
def shard_queues(broker_url):
    """This process publishes as a STATS_BATCH_SHARDS=4 deployment; the queues go after."""
    for name in (QUEUE_STATS_BATCH, QUEUE_STATS_NOW):
        purge_queue(name)
    with publishing_to_shards(SHARDS) as names:
        yield names
    purge_queue(QUEUE_STATS_BATCH)


@pytest.fixture
def sharded_worker(shard_queues):
    if connection.vendor != "mysql":
        pytest.skip("worker processes need MariaDB (make test), not SQLite")
    started: list[WorkerProcess] = []

    def start(**env: str) -> WorkerProcess:
        settings_env = {
            "STATS_BATCH_SHARDS": str(SHARDS),
            "STATS_BATCH_SHARD_HEARTBEAT": str(HEARTBEAT),
            "STATS_STALE_MARGIN": "0",
        }
        worker = WorkerProcess(queues=[QUEUE_STATS_BATCH, QUEUE_STATS_NOW], env=settings_env | env)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.kill(signal.SIGKILL)
