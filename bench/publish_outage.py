"""What the publish after a commit costs the caller when the broker is down.

Each path sends its messages through ``config.outbox`` once its transaction commits, in
the caller's request or task: this measures that publish for one editor save (one
statistics request, ``stats.batch.requests.recompute_requests``) and for a 1,000-product
import's requests, with the broker

- **up**: the baseline, RabbitMQ from ``CELERY_BROKER_URL``;
- **refusing**: nothing listens on the port (a stopped broker on a live host);
- **silent**: a port that accepts the connection and never answers (a host gone behind
  a firewall that drops packets, a hung broker): the worst case, bounded only by
  ``CELERY_BROKER_CONNECTION_TIMEOUT`` and the transport options' retries.

Times are per publish (median and worst of ``--repeat``), then the ratio to the broker
up. Needs RabbitMQ for the baseline and no database (the publish reads none):

    CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/<vhost> \\
        .venv/bin/python bench/publish_outage.py [--repeat 10]

The baseline's messages are purged from ``stats.batch`` at the end.
"""

import argparse
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from config.outbox import unsent
from config.queues import QUEUE_STATS_BATCH
from stats.batch.requests import recompute_requests
from testkit.workers import publishing_to, purge_queue


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def publish_times(products: int, repeat: int) -> tuple[list[float], int]:
    """Seconds per publish of ``products`` requests, and how many publishes failed."""
    times, failed = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        with unsent() as not_sent:
            recompute_requests.send_now(range(1, products + 1))
        times.append(time.perf_counter() - started)
        failed += bool(not_sent)
    return times, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    silent = socket.create_server(("127.0.0.1", 0), backlog=64)  # accepts, never reads
    states = {
        "up": None,
        "refusing": f"amqp://guest:guest@127.0.0.1:{free_port()}//",
        "silent": f"amqp://guest:guest@127.0.0.1:{silent.getsockname()[1]}//",
    }
    print(f"{'broker':<10} {'requests':>8} {'median':>10} {'worst':>10} {'x up':>8} {'failed':>7}")
    baseline: dict[int, float] = {}
    try:
        for products in (1, 1000):
            for state, url in states.items():
                with publishing_to(url):
                    times, failed = publish_times(products, args.repeat)
                median = statistics.median(times)
                baseline.setdefault(products, median)
                print(
                    f"{state:<10} {products:>8,} {median * 1000:>8.1f}ms "
                    f"{max(times) * 1000:>8.1f}ms {median / baseline[products]:>7.1f}x "
                    f"{failed:>4}/{args.repeat}",
                    flush=True,
                )
    finally:
        silent.close()
        purge_queue(QUEUE_STATS_BATCH)


if __name__ == "__main__":
    main()
