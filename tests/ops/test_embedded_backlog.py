"""A day on the embedded default: a backlog drained while publishers and workers are SIGKILLed.

On SQLite and the embedded broker (what ``make run`` uses), with the Procfile's three
workers and no beat (so no stale sweep can hide a lost message): every product of a fresh
catalog is changed behind the statistics' back (``testkit.backlog change``), then two
publishers send exactly one save request per product while, every one to three seconds, a
random publisher or worker is SIGKILLed with its whole process group and started again a
moment later. Once the publishers are through, the batch queue must drain empty and every
product's statistics must equal the from-scratch reference (``testkit.reference``): a
message lost anywhere is a product left behind.

``EMBEDDED_BACKLOG`` sets the backlog (``make test`` runs 2,500; ``make
test-embedded-backlog`` the issue's 50,000).
"""

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from testkit.embedded import broker_counts, embedded_env, run_python
from testkit.stack import StackProcess, procfile_commands

pytestmark = pytest.mark.slow  # real processes on the embedded default: no service needed

BACKLOG = int(os.environ.get("EMBEDDED_BACKLOG", "2500"))
WORKERS = ("batch-worker", "bulk-worker", "import-worker")
PUBLISHERS = 2
#: Seconds the publishers take at least, so that they are killed while they publish.
PUBLISHING = 20
DRAIN_WITHIN = 900.0


def _unsettled(var: Path) -> int:
    """Save requests still in the broker: ready or held by a worker."""
    ready, unacked, _ = broker_counts(var).get("stats.batch", (0, 0, 0))
    return ready + unacked


def test_a_backlog_drains_whole_while_publishers_and_workers_are_killed(tmp_path):
    var = tmp_path / "var"
    # Full batches while the backlog lasts, the tail flushed within 2 s.
    env = embedded_env(var, STATS_BATCH_FLUSH_INTERVAL="2")
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
    run_python(env, "manage.py", "seed_catalog", "--products", str(BACKLOG))
    run_python(env, "manage.py", "recompute_stats", "--all", "--in-process")
    run_python(env, "-m", "testkit.backlog", "change")
    total = int(run_python(env, "-m", "testkit.backlog", "count"))
    assert total == BACKLOG

    commands = procfile_commands()
    processes = {
        name: StackProcess(name, commands[name], env=env, log=var / f"{name}.log")
        for name in WORKERS
    }
    share = -(-total // PUBLISHERS)
    for n in range(PUBLISHERS):
        start, stop = n * share, min(total, (n + 1) * share)
        rate = (stop - start) / PUBLISHING
        progress = var / f"publisher-{n}"
        command = f"{sys.executable} -m testkit.backlog publish {start} {stop} {progress} {rate}"
        processes[f"publisher-{n}"] = StackProcess(
            f"publisher-{n}", command, env=env, log=var / f"publisher-{n}.log"
        )
    for process in processes.values():
        process.start()

    kills: dict[str, int] = {}
    rng = random.Random(os.environ.get("EMBEDDED_BACKLOG_SEED"))
    started = time.monotonic()
    publishers = [p for name, p in processes.items() if name.startswith("publisher")]
    try:
        # Kill while publishing, and a few times more while the workers drain.
        while any(p.running for p in publishers) or sum(kills.values()) < 12:
            time.sleep(rng.uniform(1.0, 3.0))
            candidates = [p for p in processes.values() if p.running]
            if not candidates:
                break
            victim = rng.choice(candidates)
            victim.kill(signal.SIGKILL)
            kills[victim.name] = kills.get(victim.name, 0) + 1
            time.sleep(rng.uniform(0.0, 2.0))
            victim.start()
            for publisher in publishers:  # a publisher that finished stays finished
                if not publisher.running and publisher.process.returncode not in (0, None):
                    publisher.start()
            assert time.monotonic() - started < DRAIN_WITHIN, kills
        for publisher in publishers:
            publisher.process.wait(300)
            assert publisher.process.returncode == 0, publisher.tail()
        published_at = time.monotonic()
        while _unsettled(var) and time.monotonic() - started < DRAIN_WITHIN:
            time.sleep(1)
        drained_at = time.monotonic()
        assert _unsettled(var) == 0, "the backlog did not drain:\n" + "\n".join(
            p.tail() for p in processes.values()
        )
    finally:
        for process in processes.values():
            process.kill(signal.SIGTERM, timeout=30)

    wrong = json.loads(run_python(env, "-m", "testkit.backlog", "check"))
    reclaims = sum(
        p.log.read_text().count("of a stopped consumer are ready again") for p in processes.values()
    )
    print(
        f"\n{total:,} requests, kills {kills}, messages of killed workers handed back"
        f" {reclaims} time(s), drained {drained_at - published_at:.0f} s after the last"
        f" publish, {total / (drained_at - started):.0f} requests/s overall"
    )
    assert not wrong, f"{len(wrong)} products wrong, e.g. {wrong[:5]}"
    assert any(kills.get(name) for name in WORKERS) and any(
        kills.get(f"publisher-{n}") for n in range(PUBLISHERS)
    ), kills
