"""Which transport for the embedded default: measured, each against kombu's filesystem one.

Candidates (docs/architecture.md, "The embedded broker"):

- ``filesystem``: kombu's filesystem transport, the default before issue 22;
- ``sqla``: kombu's SQLAlchemy transport on a SQLite file (needs SQLAlchemy:
  ``.venv/bin/pip install sqlalchemy``; skipped with one line without it);
- ``sqlite``: this project's transport on a SQLite file (``config/embedded_broker``).

Part 1, the transport alone (kombu, no Celery), for each candidate:
  a backlog of ``--backlog`` messages published, then drained by one consumer acking each
  (a time cap stops a slow one: its rate is over what it drained); and three facts, each
  checked with real processes: a message fetched by a consumer that is then SIGKILLed comes
  back; a broadcast (fanout, as worker remote control uses) reaches a queue bound by another
  process; a message being written is never read half-written.

Part 2, through real Celery workers as ``make run`` starts them (the Procfile's batch,
bulk and import workers, all polling, on a SQLite catalog of ``--products`` products):
``--events`` save requests published while no worker runs, then the workers started and
timed until the batch worker (celery-batches) has acked them all. The filesystem
transport drains at a rate that falls with its backlog, so it gets ``--slow-events`` and a
time cap.

    .venv/bin/python bench/embedded_broker.py            # about 8 minutes
    .venv/bin/python bench/embedded_broker.py --events 50000 --slow-events 5000

Needs no service: everything lives in a temporary directory.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.queues import QUEUE_STATS_BATCH
from testkit.broker_steps import run_step
from testkit.stack import procfile_commands

WORKERS = ("batch-worker", "bulk-worker", "import-worker")


def _options(name: str, folder: Path) -> tuple[str, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    if name == "filesystem":
        for sub in ("data", "control", "processed"):
            (folder / sub).mkdir(exist_ok=True)
        return "filesystem://localhost//", {
            "data_folder_in": str(folder / "data"),
            "data_folder_out": str(folder / "data"),
            "control_folder": str(folder / "control"),
        }
    if name == "sqla":
        return f"sqla+sqlite:///{folder / 'sqla.sqlite3'}", {}
    return "sqlite://localhost//", {"database": str(folder / "broker.sqlite3")}


def _child(name: str, folder: Path, step: str, count: int = 0, cap: float = 60.0, background=False):
    url, options = _options(name, folder)
    return run_step(url, options, step, count, cap, background=background)


def _redelivered(name: str, folder: Path) -> bool:
    """A consumer holds one message unacked and is SIGKILLed: does another get it?"""
    _child(name, folder, "publish", 1)
    holder = _child(name, folder, "hold", 1, 15, background=True)
    line = holder.stdout.readline()
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    if '"held": 1' not in line:
        return False
    time.sleep(3)  # the sqlite transport notices the dead pid within its 2 s heartbeat
    return _child(name, folder, "drain", 1, 15)["count"] == 1


def _fanout(name: str, folder: Path) -> bool:
    _child(name, folder, "bind")
    try:
        return _child(name, folder, "broadcast")["delivered"] >= 1
    except RuntimeError:
        return False


def _torn(name: str, folder: Path, rounds: int = 6) -> str:
    """2 MB messages published by a process SIGKILLed at random moments, then drained:
    'never' if every message read was whole, else what broke."""
    import random

    for _ in range(rounds):
        writer = _child(name, folder, "big", background=True)
        time.sleep(random.uniform(0.3, 1.5))
        os.killpg(writer.pid, signal.SIGKILL)
        writer.wait()
    try:
        result = _child(name, folder, "drain", 10**6, 20)
    except RuntimeError as exc:
        return "consumer crashed: " + str(exc).strip().splitlines()[-1][:80]
    return "never" if result["whole"] else "read a partial message"


def part_one(candidates: list[str], backlog: int, cap: float, work: Path) -> dict:
    print(f"\n1. The transport alone: {backlog:,}-message backlog, one consumer acking each")
    results = {}
    for name in candidates:
        folder = work / f"part1-{name}"
        published = _child(name, folder, "publish", backlog)
        drained = _child(name, folder, "drain", backlog, cap)
        shutil.rmtree(folder)
        results[name] = {
            "publish_per_s": published["count"] / published["seconds"],
            "drain_per_s": drained["count"] / drained["seconds"],
            "drained": drained["count"],
            "redelivered_after_sigkill": _redelivered(name, work / f"redeliver-{name}"),
            "fanout_across_processes": _fanout(name, work / f"fanout-{name}"),
            "torn_read": _torn(name, work / f"torn-{name}"),
        }
        r = results[name]
        print(
            f"   {name:10} publish {r['publish_per_s']:8.0f}/s  drain {r['drain_per_s']:8.1f}/s"
            f" ({r['drained']:,} in the cap)  redelivered: {r['redelivered_after_sigkill']}"
            f"  fanout: {r['fanout_across_processes']}  torn read: {r['torn_read']}"
        )
    return results


def _env(name: str, var: Path) -> dict[str, str]:
    url, _ = _options(name, var / "broker")
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_ENV": "test",
        "DEBUG": "0",
        "CATALOG_VAR_DIR": str(var),
        "DATABASE_URL": "",
        "CELERY_BROKER_URL": url,
        "RABBITMQ_MANAGEMENT_URL": "",
        # Every batch full; the timer only for the tail.
        "STATS_BATCH_FLUSH_EVERY": "100",
        "STATS_BATCH_FLUSH_INTERVAL": "2",
    }


PUBLISH = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from catalog.models import Product
    from stats.batch.tasks import queue_product_stats
    ids = list(Product.objects.values_list("id", flat=True))
    for n in range(int(sys.argv[1])):
        queue_product_stats(product_id=ids[n % len(ids)])
    """
)


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )


def _python(env: dict, code: str, *args: str) -> str:
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return done.stdout


def _unsettled(name: str, var: Path) -> int:
    """Messages of stats.batch not yet acked. The filesystem transport cannot tell the
    ones a worker holds (at most the batch worker's prefetch, 200): its ready files only."""
    if name == "filesystem":
        return sum(
            1
            for f in os.scandir(var / "broker" / "data")
            if f.name.endswith(f".{QUEUE_STATS_BATCH}.msg")
        )
    from config.embedded_broker import store

    conn = store.connect(var / "broker" / "broker.sqlite3")
    try:
        query = "SELECT count(*) FROM message WHERE queue = ?"
        return conn.execute(query, (QUEUE_STATS_BATCH,)).fetchone()[0]
    finally:
        conn.close()


def part_two(
    candidates: list[str], events: int, slow_events: int, products: int, cap: float, work: Path
) -> dict:
    print(f"\n2. Through the Procfile's three workers, a SQLite catalog of {products:,} products")
    commands = procfile_commands()
    results = {}
    for name in candidates:
        var = work / f"part2-{name}"
        env = _env(name, var)
        count = events if name == "sqlite" else slow_events
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_catalog", "--products", str(products))
        start = time.perf_counter()
        _python(env, PUBLISH, str(count))
        publish_rate = count / (time.perf_counter() - start)
        workers = [
            subprocess.Popen(
                ["/bin/sh", "-c", f"exec {commands[w]}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for w in WORKERS
        ]
        start = time.perf_counter()
        left, first = count, None  # first: when the first batch was acked
        try:
            while left and time.perf_counter() - start < cap:
                time.sleep(0.2)
                left = _unsettled(name, var)
                if first is None and left < count:
                    first, left_at_first = time.perf_counter(), left
        finally:
            elapsed = time.perf_counter() - start
            drained_after_first = (left_at_first - left) if first else 0
            steady = drained_after_first / (time.perf_counter() - first) if first else 0.0
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
            for worker in workers:
                worker.wait(60)
        results[name] = {
            "events": count,
            "drained": count - left,
            "seconds": elapsed,
            "per_s": steady,
            "per_s_with_start": (count - left) / elapsed,
            "publish_per_s": publish_rate,
        }
        r = results[name]
        print(
            f"   {name:10} {r['drained']:,} of {count:,} drained in {elapsed:.0f} s:"
            f" {steady:7.1f} messages/s from the first ack ({r['per_s_with_start']:.1f}/s"
            f" with the workers' start), published at {publish_rate:.0f}/s"
        )
        shutil.rmtree(var, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--slow-events", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per slow drain")
    parser.add_argument("--parts", default="1,2")
    args = parser.parse_args()
    candidates = ["filesystem", "sqla", "sqlite"]
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        print("sqla skipped: SQLAlchemy is not installed (.venv/bin/pip install sqlalchemy)")
        candidates.remove("sqla")
    work = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
    figures: dict = {}
    try:
        if "1" in args.parts:
            figures["transport"] = part_one(candidates, args.backlog, args.cap, work)
            base = figures["transport"]["filesystem"]["drain_per_s"]
            for name, r in figures["transport"].items():
                print(f"   {name:10} drain / filesystem: {r['drain_per_s'] / base:.1f}x")
        if "2" in args.parts:
            figures["celery"] = part_two(
                ["filesystem", "sqlite"],
                args.events,
                args.slow_events,
                args.products,
                args.cap,
                work,
            )
            base = figures["celery"]["filesystem"]["per_s"]
            print(f"   sqlite / filesystem: {figures['celery']['sqlite']['per_s'] / base:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
