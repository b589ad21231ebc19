"""Deployment rehearsal: the Procfile's processes as on several hosts, 50 editors, the figures.

Run by ``make rehearsal`` (the three-node test cluster, vhost ``rehearsal``, quorum queues,
a fresh MariaDB database ``catalog_rehearsal``); by hand it needs the same environment:

    DATABASE_URL=mysql://root@127.0.0.1:3306/catalog_rehearsal CELERY_QUEUE_TYPE=quorum \\
    CELERY_BROKER_URL='amqp://...:5701/rehearsal;amqp://...:5702/rehearsal;...' \\
    RABBITMQ_MANAGEMENT_URL=http://guest:guest@127.0.0.1:15701 RABBITMQ_VHOST=rehearsal \\
        .venv/bin/python bench/rehearsal.py [--duration 180] [--editors 50] [--web 4] ...

What runs: the database is prepared as ``make run`` does (migrate, seed ``SEED_PRODUCTS``
products, history baseline, figures, demo admin), static files collected, then each
process runs its Procfile command line in production mode (``DJANGO_ENV=production``):
``--web`` web processes on ports of their own, ``--batch`` batch workers and ``--bulk``
bulk workers with distinct ``-n`` names, beat, and the import worker. Each process gets
the broker's failover list rotated by one node, so connections spread over the nodes as
separate hosts' would. ``STATS_BATCH_SHARDS`` and every other setting pass through from
the environment. A bulk run of the whole catalog is started as ops would
(``manage.py recompute_stats --all``), so one bulk worker works and the other stands by.

Then ``--editors`` editors (``bench/rehearsal_editors.py``) save through the admin over
HTTP for ``--duration`` seconds while a sampler (``bench/rehearsal_probes.py``) looks
every second at MariaDB's PROCESSLIST and the management API. After the load it waits
until no product is stale ("caught up"), stops every process (also on Ctrl-C or an error)
and prints the figures (``bench/rehearsal_report.py``), also written to
``var/rehearsal/figures.json``.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import setup_django_on_services

setup_django_on_services("rehearsal.py", "catalog_rehearsal")

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from bench import rehearsal_report as report
from bench.rehearsal_editors import Editor, Tally, drive
from bench.rehearsal_probes import SELF, Management, Sampler, active_consumer
from bench.server import PROXY, collectstatic, request
from catalog.models import Product
from config.celery import app
from config.queues import QUEUE_STATS_BULK
from editors.services import editor_create
from stats.models import BatchFlush, BulkChunk, BulkRun, ProductStaleness
from testkit.stack import (
    Stack,
    StackProcess,
    failover_rotated,
    free_port,
    procfile_commands,
)

VAR_DIR = ROOT / "var" / "rehearsal"
USERNAME = "rehearsal-editor-{:02d}"
HOST = socket.gethostname()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of editing")
    parser.add_argument("--editors", type=int, default=50)
    parser.add_argument("--web", type=int, default=4, help="web processes")
    parser.add_argument("--batch", type=int, default=3, help="batch workers")
    parser.add_argument("--bulk", type=int, default=2, help="bulk workers (one active)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the editors")
    parser.add_argument(
        "--own",
        type=int,
        help="products each editor works on (default: the catalog shared out); fewer "
        "means more saves of one product within a flush, which de-duplication removes",
    )
    parser.add_argument("--bulk-chunk-size", type=int, default=100, help="of the bulk run")
    parser.add_argument(
        "--catch-up-timeout",
        type=float,
        help="seconds to wait for no stale product after the load (default: the flush "
        "interval plus the stale sweep's interval plus a minute)",
    )
    args = parser.parse_args()
    for name in ("duration", "editors", "web", "batch", "bulk", "bulk_chunk_size", "own"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not settings.RABBITMQ_MANAGEMENT_URL or settings.CELERY_QUEUE_TYPE != "quorum":
        parser.error("needs RABBITMQ_MANAGEMENT_URL and CELERY_QUEUE_TYPE=quorum (make rehearsal)")
    return args


def _named(command: str, name: str) -> str:
    """A worker's Procfile command with its own ``-n`` node name (``batch@%h`` -> ``batch2@%h``)."""
    return re.sub(r"-n (\S+?)@", f"-n {name}@", command, count=1)


def _processes(stack: Stack, args: argparse.Namespace) -> dict[str, StackProcess]:
    """{name: process} as the hosts would run them, each with its own failover order."""
    commands = procfile_commands()
    plan = [(f"web{i}", "web") for i in range(1, args.web + 1)]
    plan += [(f"batch{i}", "batch-worker") for i in range(1, args.batch + 1)]
    plan += [(f"bulk{i}", "bulk-worker") for i in range(1, args.bulk + 1)]
    plan += [("beat", "beat"), ("import", "import-worker")]
    processes = {}
    for turn, (name, entry) in enumerate(plan):
        env = {**stack.env, "CELERY_BROKER_URL": failover_rotated(settings.CELERY_BROKER_URL, turn)}
        if entry == "web":
            env["WEB_PORT"] = str(free_port())
        command = commands[entry] if entry in ("web", "beat") else _named(commands[entry], name)
        processes[name] = StackProcess(name, command, env=env, log=stack.var_dir / f"{name}.log")
    return processes


def _editors(args: argparse.Namespace, ports: list[int]) -> tuple[list[Editor], tuple[int, ...]]:
    """One editor account per simulated editor, each with a slice of the catalog."""
    catalog = tuple(Product.objects.order_by("id").values_list("id", flat=True))
    share = args.own or max(1, len(catalog) // args.editors)
    editors = []
    for number in range(1, args.editors + 1):
        username, password = USERNAME.format(number), secrets.token_urlsafe(16)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            editor_create(username=username, password=password)
        else:  # a database kept from an earlier run: same account, new password
            user.set_password(password)
            user.save(update_fields=["password"])
        own = catalog[(number - 1) * share : number * share] or catalog
        editors.append(Editor(username, password, ports[(number - 1) % len(ports)], own))
    return editors, catalog


def _wait_ready(processes: dict[str, StackProcess], timeout: float = 180) -> None:
    """Every web process answers /healthz and every worker answers a ping."""
    deadline = time.monotonic() + timeout
    webs = {n: int(p.env["WEB_PORT"]) for n, p in processes.items() if n.startswith("web")}
    workers = {f"{n}@{HOST}" for n in processes if n.startswith(("batch", "bulk", "import"))}
    while time.monotonic() < deadline:
        exited = [n for n, p in processes.items() if not p.running]
        if exited:
            raise RuntimeError(f"exited at start: {exited}\n{processes[exited[0]].tail()}")
        for name, port in list(webs.items()):
            with contextlib.suppress(OSError, ConnectionError):
                if request(port, "GET", "/healthz", PROXY).status == 200:
                    del webs[name]
        if workers:
            for reply in app.control.ping(destination=sorted(workers), timeout=1.0):
                workers -= set(reply)
        if not webs and not workers:
            return
        time.sleep(0.5)
    raise TimeoutError(f"not ready after {timeout:.0f} s: {sorted(webs) + sorted(workers)}")


def _cpu_times() -> tuple[int, int, int]:
    """(busy, total) jiffies of the whole machine from /proc/stat, and this process's own
    (the editors' client and the sampler share the cores with the deployment)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    times = os.times()
    own = round((times.user + times.system) * os.sysconf("SC_CLK_TCK"))
    return sum(values) - idle, sum(values), own


def _leftovers(groups: dict[int, str]) -> list[str]:
    """Processes still in a rehearsal process group (should be none after the stop)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry.name)) in groups:
                    found.append(f"{entry.name} ({groups[os.getpgid(int(entry.name))]})")
    return found


def _flush_rows(since: datetime, until: datetime | None) -> list[dict]:
    return list(
        BatchFlush.objects.filter(
            flushed_at__gte=since, flushed_at__lte=until or datetime.now(UTC)
        ).values("worker", "requests", "products", "computed", "duration_ms")
    )


def _catch_up(timeout: float) -> float | None:
    """Seconds until no product is stale, or None if some still are after ``timeout``."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if not ProductStaleness.objects.exists():
            return round(time.monotonic() - began, 1)
        connection.close()  # a fresh look each time, not a long transaction's snapshot
        time.sleep(1)
    return None


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    args = _arguments()
    # Ctrl-C, and a SIGTERM (from make, a CI job's timeout), stop every process through the
    # ``finally`` below; SIGINT too when started in the background, where it is ignored.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    if args.catch_up_timeout is None:
        args.catch_up_timeout = (
            settings.STATS_BATCH_FLUSH_INTERVAL + settings.STATS_STALE_SWEEP_INTERVAL + 60
        )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    stack = Stack("rehearsal", var_dir=VAR_DIR, env=env, token=secrets.token_urlsafe(16))
    print("preparing the database as make run does...", flush=True)
    stack.prepare_as_make_run()
    collectstatic(stack.env)
    stack.processes = _processes(stack, args)
    ports = [int(p.env["WEB_PORT"]) for n, p in stack.processes.items() if n.startswith("web")]
    editors, catalog = _editors(args, ports)
    management = Management(settings.RABBITMQ_MANAGEMENT_URL, settings.RABBITMQ_VHOST)
    db = connection.settings_dict
    groups: dict[int, str] = {os.getpgid(0): SELF}
    sampler = Sampler(
        db={
            "host": db["HOST"] or "127.0.0.1",
            "port": int(db["PORT"] or 3306),
            "user": db["USER"],
            "password": db["PASSWORD"],
            "database": db["NAME"],
        },
        management=management,
        groups=groups,
    )
    figures: dict = {}
    try:
        stack.start()
        groups.update({p.process.pid: n for n, p in stack.processes.items() if p.process})
        print(f"started {', '.join(stack.processes)}; waiting until ready...", flush=True)
        _wait_ready(stack.processes)
        stack.manage("recompute_stats", "--all", "--chunk-size", str(args.bulk_chunk_size))
        connection.close()  # the editors' threads use none; this one would idle meanwhile
        sampler.start()
        cpu_before = _cpu_times()
        print(f"{args.editors} editors for {args.duration:g} s...", flush=True)
        tallies, began, ended = drive(
            editors, catalog=catalog, duration=args.duration, seed=args.seed
        )
        seen = Observed(tallies, began, ended, cpu=(cpu_before, _cpu_times()))
        seen.bulk_consumers = active_consumer(management, QUEUE_STATS_BULK, groups)
        print("load over; waiting until no product is stale...", flush=True)
        seen.caught_up = _catch_up(args.catch_up_timeout)
        seen.caught_at = datetime.now(UTC)
        sampler.stop()
        figures = _figures(args, stack, editors, sampler, management, seen)
    finally:
        try:
            if sampler.is_alive():
                sampler.stop()
        finally:
            stack.stop()
        time.sleep(1)
        leftovers = _leftovers({pid: n for pid, n in groups.items() if n != SELF})
    figures["leftovers"] = len(leftovers)
    (VAR_DIR / "figures.json").write_text(json.dumps(figures, indent=2, default=str))
    print()
    print(report.render(figures))
    if leftovers:
        sys.exit(f"processes left after the stop: {leftovers}")


@dataclass
class Observed:
    """What one rehearsal saw, before it is turned into figures."""

    tallies: list[Tally]
    began: float  # wall clock, as BatchFlush.flushed_at
    ended: float
    cpu: tuple[tuple[int, int, int], tuple[int, int, int]]
    bulk_consumers: dict = field(default_factory=dict)
    caught_up: float | None = None
    caught_at: datetime | None = None


def _shards_setting() -> str:
    """The setting as this code reads it, or the variable with a note that nothing reads it."""
    if hasattr(settings, "STATS_BATCH_SHARDS"):
        return str(settings.STATS_BATCH_SHARDS)
    return f"{os.environ.get('STATS_BATCH_SHARDS', 'unset')} (not read by this code)"


def _figures(
    args: argparse.Namespace,
    stack: Stack,
    editors: list[Editor],
    sampler: Sampler,
    management: Management,
    seen: Observed,
) -> dict:
    window = [s for s in sampler.samples if seen.began <= s.at <= seen.ended]
    began, ended = (datetime.fromtimestamp(t, UTC) for t in (seen.began, seen.ended))
    seconds = seen.ended - seen.began
    run = BulkRun.objects.order_by("-id").first()
    return {
        "run": {
            "started": began.isoformat(timespec="seconds"),
            "duration_s": round(seconds),
            "editors": args.editors,
            "seed": args.seed,
            "processes": ", ".join(f"{k} x{n}" for k, n in _kinds(stack.processes).items()),
            "settings": {
                "CELERY_QUEUE_TYPE": settings.CELERY_QUEUE_TYPE,
                "STATS_BATCH_SHARDS": _shards_setting(),
                "STATS_BATCH_FLUSH_EVERY": settings.STATS_BATCH_FLUSH_EVERY,
                "STATS_BATCH_FLUSH_INTERVAL": settings.STATS_BATCH_FLUSH_INTERVAL,
                "DATABASE_CONN_MAX_AGE": connection.settings_dict.get("CONN_MAX_AGE"),
                "products": Product.objects.count(),
                "own_products_per_editor": len(editors[0].own),
            },
        },
        "saves": report.save_figures(seen.tallies, seconds=seconds),
        # Every request the load made, flushed by the time nothing was stale.
        "batch": report.flush_figures(_flush_rows(began, seen.caught_at), seconds=seconds),
        # Only what was flushed while the editors worked (the rest waited for the timer).
        "batch_during_load": report.flush_figures(_flush_rows(began, ended), seconds=seconds),
        "caught_up": f"in {seen.caught_up} s"
        if seen.caught_up is not None
        else f"not within {args.catch_up_timeout:.0f} s",
        "caught_up_s": seen.caught_up,
        "mariadb": report.counts(window, "db"),
        "amqp": report.counts(window, "amqp"),
        "amqp_nodes": report.node_counts(window),
        "channels": report.counts(window, "channels"),
        "queue_max": report.queue_maxima(window),
        "sampler": {"samples": len(window), "failures": sampler.failures[:5]},
        "bulk": {
            "chunks_total": run.chunks_total if run else 0,
            "chunks_done": BulkChunk.objects.filter(run=run, status="done").count(),
            **seen.bulk_consumers,
        },
        "machine": _machine(management, window, *seen.cpu),
    }


def _kinds(processes: dict[str, StackProcess]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for name in processes:
        kind = report.kind_of(name)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _machine(management: Management, window: list, before: tuple, after: tuple) -> dict:
    loads = [s.load for s in window] or [0.0]
    busy, total = after[0] - before[0], after[1] - before[1]
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024),
        "load_max": round(max(loads), 2),
        "load_mean": round(sum(loads) / len(loads), 2),
        "cpu_busy_pct": round(100 * busy / total) if total else None,
        "client_cpu_pct": round(100 * (after[2] - before[2]) / total) if total else None,
        "rabbitmq": management.get("overview").get("rabbitmq_version"),
        "mariadb": connection.mysql_server_info,
    }


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as exc:
        sys.exit(f"rehearsal interrupted ({exc or 'Ctrl-C'}): every process it started was stopped")
