"""Our queue figures held against an exporter other teams trust (issue 26).

celery-exporter (PyPI ``prometheus-exporter-celery``, installed by
``scripts/outside-tools.sh``; ``testkit.outside_exporter``) runs beside the Procfile's
processes on a fresh RabbitMQ vhost. For every queue of ``config/queues.py``, its
``celery_queue_length`` (ready messages, by a passive declare) and
``celery_active_consumer_count`` must equal our ``catalog_queue_ready_messages`` and
``catalog_queue_active_consumers`` from ``/metrics``: at rest, under load (save requests
held in the batch buffer, bulk chunks waiting behind the rate limit), with the bulk
worker stopped, then the batch worker too.

The two are sampled at different moments. Ours come from the snapshot beat's sampler
stores every ``STATS_MONITOR_SAMPLE_INTERVAL`` (5 s) from RabbitMQ's management API,
whose figures are themselves up to its statistics interval (5 s) old; the exporter asks
the broker at each scrape. So each phase first holds the queues still (a buffer that
does not flush within the test, a rate limit of one chunk in 2 minutes, a stopped
worker), waits until the state it made is visible, and then the two must agree exactly
within ``AGREE_WITHIN`` seconds: room for two samples, two statistics intervals and a
scrape of the exporter (which asks the workers for 2 s). A figure wrong on either side
never agrees; one that is only late does.
"""

import contextlib
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from kombu import Connection

from config.celery import app
from config.queues import (
    QUEUE_CATALOG_IMPORTS,
    QUEUE_STATS_BATCH,
    QUEUE_STATS_BULK,
    QUEUE_STATS_NOW,
    queue_names,
    role_of,
)
from testkit.outside_exporter import OutsideExporter, exporter_command, gauges
from testkit.stack import ROOT, Stack, fresh_vhost
from testkit.workers import database_url_for_subprocess
from tests.conftest import IN_CI

pytestmark = [
    pytest.mark.integration,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.outside,
]

VAR = ROOT / "var" / "test-outside-exporter"
AGREE_WITHIN = 45.0
READY_WITHIN = 90.0
#: Held by the batch buffer: it flushes at 1,000 requests or after an hour.
SAVES = 400
#: One passes at once, one waits for its token; the others stay ready for 2 minutes each.
CHUNKS = 40
HOLDING = {"STATS_BATCH_FLUSH_EVERY": "1000", "STATS_BATCH_FLUSH_INTERVAL": "3600"}

#: Per queue: (ready messages, active consumers), the figures both sides give.
Figures = dict[str, tuple[float | None, float | None]]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def _declare_every_queue(broker_url: str, queues: list[str]) -> None:
    """As Celery declares them: ``default`` has no worker, so nothing else would."""
    with Connection(broker_url) as conn:
        for name in queues:
            app.amqp.queues[name].bind(conn.default_channel).declare()


def _wait_ready(stack: Stack) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if stack.get("/readyz", token=False)[0] == 200:
                return
        time.sleep(1)
    pytest.fail(f"/readyz not 200 within {READY_WITHIN:.0f} s:\n{stack.logs()}")


@pytest.fixture
def deployment(transactional_db):
    """The Procfile's processes and celery-exporter on a fresh vhost; all stopped and the
    vhost deleted afterwards (then ``transactional_db`` empties the test database)."""
    command = exporter_command()
    if command is None:
        _unavailable(
            "celery-exporter is not installed in OUTSIDE_TOOLS_VENV "
            "(scripts/outside-tools.sh; make test-outside runs it)"
        )
    management = settings.RABBITMQ_MANAGEMENT_URL
    if not management:
        _unavailable("RABBITMQ_MANAGEMENT_URL is not set: our figures need it")
    shutil.rmtree(VAR, ignore_errors=True)
    queues = queue_names()
    with contextlib.ExitStack() as cleanup:
        try:
            broker_url, vhost = cleanup.enter_context(
                fresh_vhost(management, settings.CELERY_BROKER_URL, prefix="outside")
            )
        except OSError as exc:
            _unavailable(f"no vhost could be created through the management API: {exc}")
        _declare_every_queue(broker_url, queues)
        stack = Stack(
            "outside",
            var_dir=VAR,
            token=secrets.token_urlsafe(24),
            env={
                "DATABASE_URL": database_url_for_subprocess(),
                "CELERY_BROKER_URL": broker_url,
                "RABBITMQ_MANAGEMENT_URL": management,
                "RABBITMQ_VHOST": vhost,
                **HOLDING,
            },
        )
        cleanup.callback(stack.stop)
        stack.start()
        _wait_ready(stack)
        exporter = OutsideExporter(command, broker_url, queues, log=VAR / "celery-exporter.log")
        cleanup.callback(exporter.stop)
        exporter.start()
        yield stack, exporter


def _ours(stack: Stack) -> tuple[Figures, dict[str, float]]:
    """Our figures per queue from ``/metrics``, and the unacked messages per queue."""
    code, body = stack.get("/metrics")
    assert code == 200, f"/metrics answered {code}: {body}"
    found = gauges(
        body,
        "catalog_queue_ready_messages",
        "catalog_queue_active_consumers",
        "catalog_queue_unacked_messages",
        label="queue",
    )
    ready, active = found["catalog_queue_ready_messages"], found["catalog_queue_active_consumers"]
    figures = {queue: (ready.get(queue), active.get(queue)) for queue in queue_names()}
    return figures, found["catalog_queue_unacked_messages"]


def _agreeing(
    stack: Stack,
    exporter: OutsideExporter,
    settled: Callable[[Figures, dict[str, float]], bool],
    phase: str,
) -> tuple[Figures, dict[str, float]]:
    """Both sides' figures once ``settled`` holds for ours and the exporter's equal them on
    every queue, every figure known (module docstring: why waiting is fair)."""
    deadline = time.monotonic() + AGREE_WITHIN
    while True:
        ours, unacked = _ours(stack)
        theirs = exporter.queue_figures()
        known = all(None not in pair for pair in [*ours.values(), *theirs.values()])
        if known and ours == theirs and settled(ours, unacked):
            return ours, unacked
        if time.monotonic() > deadline:
            rows = "\n".join(
                f"  {queue:20} ours (ready, active) {ours[queue]}  exporter {theirs[queue]}"
                for queue in ours
            )
            raise AssertionError(
                f"{phase}: no agreement within {AGREE_WITHIN:.0f} s (unacked, ours: {unacked}):"
                f"\n{rows}\n{exporter.tail()}\n{stack.logs()}"
            )
        time.sleep(1)


def _publish(stack: Stack, *, saves: int, chunks: int) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "testkit.outside_exporter",
            f"--saves={saves}",
            f"--chunks={chunks}",
        ],
        cwd=ROOT,
        env=stack.env,
        check=True,
        timeout=120,
    )


def test_celery_exporter_agrees_with_our_queue_figures_at_rest_under_load_and_a_worker_stopped(
    deployment,
):
    stack, exporter = deployment
    consumed = {queue: 0.0 if role_of(queue) is None else 1.0 for queue in queue_names()}

    at_rest, _ = _agreeing(stack, exporter, lambda ours, _: True, "at rest")
    assert at_rest == {queue: (0.0, consumed[queue]) for queue in queue_names()}

    _publish(stack, saves=SAVES, chunks=CHUNKS)

    def loaded(ours: Figures, unacked: dict[str, float]) -> bool:
        # The buffer holds every save request: unacked for both, in nobody's queue length.
        return unacked.get(QUEUE_STATS_BATCH) == SAVES and ours[QUEUE_STATS_BULK][0] >= 30

    under_load, _ = _agreeing(stack, exporter, loaded, "under load")
    assert under_load[QUEUE_STATS_BATCH] == (0.0, 1.0)
    assert under_load[QUEUE_STATS_BULK][1] == 1.0

    stack.processes["bulk-worker"].kill(signal.SIGTERM)

    def bulk_stopped(ours: Figures, _: dict[str, float]) -> bool:
        return ours[QUEUE_STATS_BULK][1] == 0

    stopped, _ = _agreeing(stack, exporter, bulk_stopped, "bulk worker stopped")
    # The chunk it held waiting for a token went back to the queue.
    assert stopped[QUEUE_STATS_BULK][0] >= under_load[QUEUE_STATS_BULK][0]
    assert stopped[QUEUE_STATS_BATCH] == (0.0, 1.0)

    stack.processes["batch-worker"].kill(signal.SIGTERM)

    def batch_stopped(ours: Figures, unacked: dict[str, float]) -> bool:
        # Its buffer is flushed or handed back as it stops: nothing stays unacked.
        batch_queues = (QUEUE_STATS_BATCH, QUEUE_STATS_NOW)
        return all(ours[q][1] == 0 and unacked.get(q) == 0 for q in batch_queues)

    both_stopped, _ = _agreeing(stack, exporter, batch_stopped, "batch worker stopped too")
    assert both_stopped[QUEUE_CATALOG_IMPORTS] == (0.0, 1.0)
    print(
        "figures (ready, active consumers) agreed on:",
        {
            "at rest": at_rest,
            "under load": under_load,
            "bulk worker stopped": stopped,
            "batch worker stopped too": both_stopped,
        },
    )
