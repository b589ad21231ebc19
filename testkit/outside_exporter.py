"""celery-exporter (PyPI ``prometheus-exporter-celery``), run beside a stack as an outside oracle.

Installed by ``scripts/outside-tools.sh`` into a virtualenv of its own (its
prometheus-client pin conflicts with ours), found through ``OUTSIDE_TOOLS_VENV``, which
``make test-outside`` sets. It reads the broker as other teams' dashboards do: a passive
declare per queue (ready messages and consumers), live at each scrape.

``python -m testkit.outside_exporter --saves N --chunks M`` publishes, through the project's
own senders to the broker and database the environment names, N save requests and a bulk
run of M one-product chunks (M products created for it).
"""

import argparse
import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from testkit.stack import _STARTED, free_port

#: The exporter's gauges per queue, by the label ``queue_name``.
QUEUE_LENGTH, ACTIVE_CONSUMERS = "celery_queue_length", "celery_active_consumer_count"


def exporter_command() -> Path | None:
    """The installed ``celery-exporter`` launcher, or None when it is not installed."""
    venv = os.environ.get("OUTSIDE_TOOLS_VENV")
    if not venv:
        return None
    path = Path(venv) / "bin" / "celery-exporter"
    return path if os.access(path, os.X_OK) else None


def gauges(text: str, *names: str, label: str) -> dict[str, dict[str, float]]:
    """``{metric: {label value: value}}`` of the Prometheus text ``text``."""
    found: dict[str, dict[str, float]] = {name: {} for name in names}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in found and label in sample.labels:
                found[sample.name][sample.labels[label]] = sample.value
    return found


class OutsideExporter:
    """One celery-exporter process on ``broker_url``, told every queue up front (``-Q``)."""

    def __init__(self, command: Path, broker_url: str, queues: list[str], *, log: Path):
        self.command, self.broker_url, self.queues, self.log = command, broker_url, queues, log
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "OutsideExporter":
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.command),
                    "--broker-url",
                    self.broker_url,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--queues",
                    ",".join(self.queues),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # Celery prefers CELERY_BROKER_URL to --broker-url: nothing of ours leaks in.
                env={key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ},
            )
        _STARTED.add(self.process.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery-exporter exited:\n{self.tail()}")
            with contextlib.suppress(OSError):
                self.scrape()
                return self
            time.sleep(0.5)
        raise TimeoutError(f"celery-exporter did not answer within {timeout} s:\n{self.tail()}")

    def scrape(self) -> str:
        """``/metrics`` as Prometheus scrapes it (each scrape asks the broker and workers)."""
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.read().decode()

    def queue_figures(self) -> dict[str, tuple[float | None, float | None]]:
        """Per queue: (queue length, active consumers) as the exporter says them."""
        found = gauges(self.scrape(), QUEUE_LENGTH, ACTIVE_CONSUMERS, label="queue_name")
        return {
            queue: (found[QUEUE_LENGTH].get(queue), found[ACTIVE_CONSUMERS].get(queue))
            for queue in self.queues
        }

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        _STARTED.discard(self.process.pid)

    def tail(self, chars: int = 3000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- celery-exporter ({self.log}), last {chars} characters:\n{text[-chars:]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=0)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import transaction

    from catalog.models import Category, Product
    from stats.batch.tasks import queue_product_stats
    from stats.bulk.services import bulk_run_start
    from stats.bulk.tasks import publish_bulk_chunks
    from stats.models import BulkRun

    # Save requests of products that do not exist: the buffer holds them like any other.
    # One message each, as editors' saves send them (a transaction's many products would go
    # 500 ids a message: the test counts messages held).
    for product_id in range(10**8, 10**8 + args.saves):
        queue_product_stats(product_id=product_id)
    if args.chunks:
        # A chunk that waits for no work passes the rate limit free: real products, one a chunk.
        prefix = f"OUTSIDE-{os.getpid()}"
        with transaction.atomic():
            category = Category.objects.create(name=prefix, slug=prefix.lower())
            products = Product.objects.bulk_create(
                Product(
                    sku=f"{prefix}-{n}",
                    name=f"Queued {n}",
                    slug=f"{prefix.lower()}-{n}",
                    category=category,
                )
                for n in range(args.chunks)
            )
            run = bulk_run_start(
                trigger=BulkRun.Trigger.OPS,
                scope=BulkRun.Scope.PRODUCTS,
                product_ids=[product.pk for product in products],
                chunk_size=1,
            )
        publish_bulk_chunks(run_id=run.pk)  # if the commit has not sent them already
    print(f"published {args.saves} save requests and {args.chunks} bulk chunks", flush=True)


if __name__ == "__main__":
    main()
