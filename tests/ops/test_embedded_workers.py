"""The Procfile's workers on the embedded default keep RabbitMQ's promises that matter here:
requests buffered by celery-batches survive a SIGKILL of the batch worker, and the bulk
worker holds one message at a time at its rate limit, the backlog staying ready.

Real processes (the Procfile's command lines) on SQLite and the embedded broker in a var
directory of the test's own; counts read from the broker's file as monitoring reads them.
"""

import itertools
import json
import signal
import time

import pytest

from testkit.embedded import broker_counts, embedded_env, run_python
from testkit.stack import StackProcess, procfile_commands
from testkit.workers import wait_for

pytestmark = pytest.mark.slow  # real processes on the embedded default: no service needed


def _worker(name: str, env: dict, var) -> StackProcess:
    return StackProcess(name, procfile_commands()[name], env=env, log=var / f"{name}.log")


def _catalog(env: dict, products: int) -> None:
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
    run_python(env, "manage.py", "seed_catalog", "--products", str(products))
    run_python(env, "manage.py", "recompute_stats", "--all", "--in-process")


def test_requests_buffered_by_a_killed_batch_worker_come_back_and_are_computed(tmp_path):
    var = tmp_path / "var"
    env = embedded_env(var, STATS_BATCH_FLUSH_INTERVAL="300")  # held, never flushed
    _catalog(env, 30)
    run_python(env, "-m", "testkit.backlog", "change")
    run_python(env, "-m", "testkit.backlog", "publish", "0", "30", str(var / "progress"), "1000")
    worker = _worker("batch-worker", env, var).start()
    try:
        wait_for(
            lambda: broker_counts(var).get("stats.batch", (0, 0, 0))[:2] == (0, 30),
            timeout=60,
            message="30 requests held unacked in the batch worker's buffer",
        )
        worker.kill(signal.SIGKILL)
        wait_for(
            lambda: broker_counts(var)["stats.batch"] == (30, 0, 0),
            timeout=15,
            message="the killed worker's buffer ready again, the worker no longer counted",
        )
        worker.env = {**env, "STATS_BATCH_FLUSH_INTERVAL": "1"}
        worker.start()
        wait_for(
            lambda: broker_counts(var)["stats.batch"][:2] == (0, 0), timeout=60, message="drained"
        )
    finally:
        worker.kill(signal.SIGTERM)
    assert json.loads(run_python(env, "-m", "testkit.backlog", "check")) == []


CHUNKS = """
import json, django
django.setup()
from stats.models import BulkChunk
print(json.dumps(sorted(c.started_at.timestamp() for c in BulkChunk.objects.all() if c.started_at)))
"""


def test_the_bulk_worker_holds_one_message_at_its_rate_limit(tmp_path):
    var = tmp_path / "var"
    env = embedded_env(var, STATS_BULK_RATE_LIMIT="20/m", STATS_BULK_CHUNK_SIZE="1")
    _catalog(env, 8)
    run_python(env, "manage.py", "recompute_stats", "--all")  # a run of 8 one-product chunks
    worker = _worker("bulk-worker", env, var).start()
    try:
        held = []
        deadline = time.monotonic() + 90
        while len(json.loads(run_python(env, "-c", CHUNKS))) < 8 and time.monotonic() < deadline:
            held.append(broker_counts(var).get("stats.bulk", (0, 0, 0))[1])
            time.sleep(1)
        starts = json.loads(run_python(env, "-c", CHUNKS))
    finally:
        worker.kill(signal.SIGTERM)
    assert len(starts) == 8, worker.tail()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 3 * 0.9, gaps  # 20/m: one chunk every 3 s
    assert max(held) == 1, held  # the rest of the backlog stays ready on the broker


def test_a_bulk_worker_with_more_than_one_process_refuses_to_start(tmp_path):
    var = tmp_path / "var"
    env = embedded_env(var)
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
    command = procfile_commands()["bulk-worker"].replace("-c 1", "-c 2")
    worker = StackProcess("bulk-c2", command, env=env, log=var / "bulk-c2.log").start()
    assert worker.process.wait(60) != 0
    assert "-c 1" in worker.tail(), worker.tail()
