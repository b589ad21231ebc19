"""Monitoring endpoints read the sampler's snapshot: their latency with the broker up and down.

Needs MariaDB and RabbitMQ and a database of its own:

    mariadb -uroot -e 'CREATE DATABASE IF NOT EXISTS bench_ops CHARACTER SET utf8mb4'
    DATABASE_URL=mysql://root@127.0.0.1:3306/bench_ops \\
    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// \\
    RABBITMQ_MANAGEMENT_URL=http://guest:guest@127.0.0.1:15672 \\
        .venv/bin/python bench/ops.py [--requests 200] [--pollers 50]

In one run on this machine:

1. **Baseline**: what every request used to do before the sampler, a live probe
   (``take_snapshot``: the broker's figures and a broadcast to the workers), timed
   in-process with the broker up and with it unreachable.
2. ``/metrics``, ``/ops/status.json`` and ``/readyz`` from gunicorn (the Procfile's 2x4,
   production mode), reading the snapshot that one sampler round stored: p50/p95 of
   ``--requests`` requests each, against a server whose broker is up, then against one
   whose broker is unreachable.
3. The admin login page, p50/p95 alone and while ``--pollers`` anonymous clients poll
   ``/readyz`` once a second each (as load balancers and orchestrators probe), against
   the broker-down server.

"Unreachable" is the bad kind of outage: a host that accepts connections and never
answers (a local socket that listens and never accepts), so every client waits for its
timeouts; a refused connection fails fast and hides the problem.

Targets (issue #14): under 100 ms p95 both ways; the login page unchanged within noise.
Every step is bounded and the servers are stopped at the end, also on errors.
"""

import argparse
import contextlib
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV", "test")

if not os.environ.get("DATABASE_URL", "").startswith("mysql://") or not os.environ.get(
    "CELERY_BROKER_URL", ""
).startswith("amqp://"):
    sys.exit(
        "bench/ops.py needs its own MariaDB database and RabbitMQ: "
        "DATABASE_URL=mysql://.../bench_ops CELERY_BROKER_URL=amqp://... (see the docstring)"
    )

import django

django.setup()

from django.core.management import call_command
from django.test import override_settings

from bench.server import PROXY, Gunicorn, collectstatic, request, server_env
from config.celery import app
from stats.monitoring.probes import take_snapshot
from stats.monitoring.sampler import Presence, monitoring_sample

VAR_DIR = ROOT / "var" / "bench-ops"
TOKEN = "bench-ops-metrics-token"
ENDPOINTS = {
    "/metrics": {"Authorization": f"Bearer {TOKEN}"},
    "/ops/status.json": {"Authorization": f"Bearer {TOKEN}"},
    "/readyz": {},
}


def _ms(samples: list[float]) -> str:
    p50 = statistics.median(samples) * 1000
    p95 = sorted(samples)[max(0, round(0.95 * len(samples)) - 1)] * 1000
    return f"p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   (n={len(samples)})"


def _p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]


def _timed(call: Callable[[], object], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def _get(port: int, path: str, headers: dict) -> int:
    return request(port, "GET", path, {**PROXY, **headers, "Connection": "close"}).status


def _endpoints(port: int, requests: int) -> dict[str, list[float]]:
    return {
        path: _timed(lambda p=path, h=headers: _get(port, p, h), requests)
        for path, headers in ENDPOINTS.items()
    }


@contextlib.contextmanager
def _silent_broker(address: str) -> Iterator[None]:
    """This process's broker and management API point at a host that never answers."""
    app.conf.broker_write_url = f"amqp://guest:guest@{address}//"
    app._pool = None
    app.amqp._producer_pool = None
    try:
        with override_settings(RABBITMQ_MANAGEMENT_URL=f"http://guest:guest@{address}"):
            yield
    finally:
        app.conf.broker_write_url = None
        app._pool = None
        app.amqp._producer_pool = None


def _login_page_with_pollers(port: int, requests: int, pollers: int) -> list[float]:
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.monotonic()
            with contextlib.suppress(OSError):
                _get(port, "/readyz", {})
            stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(pollers)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)  # let the pollers reach full speed
        return _timed(lambda: _get(port, "/admin/login/", {}), requests)
    finally:
        stop.set()
        for thread in threads:
            thread.join(35)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per figure")
    parser.add_argument("--pollers", type=int, default=50, help="anonymous /readyz pollers")
    args = parser.parse_args()

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    print(f"machine: nproc {os.cpu_count()}; {time.strftime('%Y-%m-%d %H:%M %Z')}")

    print("\n1. Baseline: a live probe, as every request made before the sampler")
    silent = socket.socket()  # listens, never accepts: connections hang until timeouts
    silent.bind(("127.0.0.1", 0))
    silent.listen(1000)
    address = f"127.0.0.1:{silent.getsockname()[1]}"
    live_up = _timed(take_snapshot, 5)
    print(f"   broker up           {_ms(live_up)}")
    with _silent_broker(address):
        live_down = _timed(take_snapshot, 2)
    print(f"   broker unreachable  {_ms(live_down)}")

    monitoring_sample(Presence(), record_chart=False)  # what beat's sampler stores
    env = server_env(VAR_DIR) | {"METRICS_TOKEN": TOKEN}
    collectstatic(env)
    down_env = env | {
        "CELERY_BROKER_URL": f"amqp://guest:guest@{address}//",
        "RABBITMQ_MANAGEMENT_URL": f"http://guest:guest@{address}",
    }

    print("\n2. The endpoints from gunicorn 2x4, reading the stored snapshot")
    with Gunicorn(log_dir=VAR_DIR, workers=2, threads=4, env=env) as up:
        served_up = _endpoints(up.port, args.requests)
    with Gunicorn(log_dir=VAR_DIR, workers=2, threads=4, env=down_env) as down:
        served_down = _endpoints(down.port, args.requests)
        for path in ENDPOINTS:
            print(f"   {path:17} broker up           {_ms(served_up[path])}")
            print(f"   {path:17} broker unreachable  {_ms(served_down[path])}")
        worst = max(_p95(s) for s in [*served_up.values(), *served_down.values()])
        print(
            f"   worst p95 {worst * 1000:.1f} ms (target < 100 ms); the live probe's p95 is "
            f"{_p95(live_up) / worst:.0f}x (broker up) and {_p95(live_down) / worst:.0f}x "
            "(unreachable) that"
        )

        print(
            f"\n3. Admin login page, broker unreachable, {args.pollers} clients polling "
            "/readyz once a second each"
        )
        alone = _timed(lambda: _get(down.port, "/admin/login/", {}), args.requests // 2)
        polled = _login_page_with_pollers(down.port, args.requests // 2, args.pollers)
        print(f"   alone               {_ms(alone)}")
        print(f"   with pollers        {_ms(polled)}")
        print(f"   p95 ratio with / without pollers: {_p95(polled) / _p95(alone):.2f}")


if __name__ == "__main__":
    main()
