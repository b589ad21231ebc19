"""Our queue figures held against an exporter other teams trust (issue 26).

celery-exporter (PyPI ``prometheus-exporter-celery``, installed by
``scripts/outside-tools.sh``; ``testkit.outside_exporter``) runs beside the Procfile's
processes on a fresh RabbitMQ vhost. For every queue of ``config/queues.py``, its
``celery_queue_length`` (ready messages, by a passive declare) and
``celery_active_consumer_count`` must equal our ``catalog_queue_ready_messages`` and
``catalog_queue_active_consumers`` from ``/metrics``: at rest, under load (save requests
held in the batch buffer, bulk chunks waiting behind the rate limit), with a standby bulk
worker attached (there the exporter's "active" count is our consumers: it counts the
standby), with the bulk worker stopped, then the standby, then the batch worker.

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
from config.process_manager.procfile import procfile_commands
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

#: Per queue: (ready messages, consumers), the figures the exporter gives.
Pairs = dict[str, tuple[float | None, float | None]]
#: Per queue, ours: ``ready``, ``unacked``, ``consumers``, ``active`` (None: not exported).
Ours = dict[str, dict[str, float | None]]
OUR_GAUGES = {
    "ready": "catalog_queue_ready_messages",
    "unacked": "catalog_queue_unacked_messages",
    "consumers": "catalog_queue_consumers",
    "active": "catalog_queue_active_consumers",
}


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


def _ours(stack: Stack) -> Ours:
    """Our figures per queue, from ``/metrics``."""
    code, body = stack.get("/metrics")
    assert code == 200, f"/metrics answered {code}: {body}"
    found = gauges(body, *OUR_GAUGES.values(), label="queue")
    return {
        queue: {key: found[metric].get(queue) for key, metric in OUR_GAUGES.items()}
        for queue in queue_names()
    }


def _agreeing(
    stack: Stack,
    exporter: OutsideExporter,
    settled: Callable[[Ours], bool],
    phase: str,
    *,
    consumers: str = "active",
) -> Ours:
    """Ours once ``settled`` holds for them and the exporter's (queue length, active
    consumers) equal our (ready, ``consumers``) on every queue, every figure known (module
    docstring: why waiting is fair)."""
    deadline = time.monotonic() + AGREE_WITHIN
    while True:
        ours = _ours(stack)
        pairs: Pairs = {queue: (f["ready"], f[consumers]) for queue, f in ours.items()}
        theirs = exporter.queue_figures()
        known = all(None not in pair for pair in [*pairs.values(), *theirs.values()])
        if known and pairs == theirs and settled(ours):
            return ours
        if time.monotonic() > deadline:
            rows = "\n".join(
                f"  {queue:16} ours {ours[queue]}  exporter {theirs[queue]}" for queue in ours
            )
            raise AssertionError(
                f"{phase}: no agreement on (ready, {consumers}) within {AGREE_WITHIN:.0f} s:"
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


def _pair(figures: Ours, queue: str, consumers: str = "active") -> tuple[float | None, ...]:
    return figures[queue]["ready"], figures[queue][consumers]


def test_celery_exporter_agrees_with_our_queue_figures_at_rest_under_load_and_a_worker_stopped(
    deployment,
):
    stack, exporter = deployment
    seen: dict[str, Ours] = {}

    seen["at rest"] = _agreeing(stack, exporter, lambda ours: True, "at rest")
    for queue in queue_names():
        assert _pair(seen["at rest"], queue) == (0, 0 if role_of(queue) is None else 1), queue

    _publish(stack, saves=SAVES, chunks=CHUNKS)

    def loaded(ours: Ours) -> bool:
        # The buffer holds every save request: unacked, in nobody's queue length.
        return ours[QUEUE_STATS_BATCH]["unacked"] == SAVES and ours[QUEUE_STATS_BULK]["ready"] >= 30

    seen["under load"] = _agreeing(stack, exporter, loaded, "under load")
    assert _pair(seen["under load"], QUEUE_STATS_BATCH) == (0, 1)
    assert _pair(seen["under load"], QUEUE_STATS_BULK)[1] == 1

    # A standby bulk worker waits attached (single active consumer). RabbitMQ's passive
    # declare counts it, so the exporter's "active" consumers are our consumers, not our
    # active ones (docs/operations.md: what it cannot see).
    bulk = procfile_commands()["bulk-worker"]
    assert "-n bulk@%h" in bulk
    standby = stack.add_process("bulk-standby", bulk.replace("-n bulk@%h", "-n bulk-standby@%h"))
    standby.start()

    def standby_attached(ours: Ours) -> bool:
        return ours[QUEUE_STATS_BULK]["consumers"] == 2

    seen["standby attached"] = _agreeing(
        stack, exporter, standby_attached, "standby attached", consumers="consumers"
    )
    assert seen["standby attached"][QUEUE_STATS_BULK]["active"] == 1

    # The active bulk worker stops: the standby takes over, one consumer less in both.
    stack.processes["bulk-worker"].kill(signal.SIGTERM)

    def taken_over(ours: Ours) -> bool:
        return ours[QUEUE_STATS_BULK]["consumers"] == 1

    seen["bulk worker stopped"] = _agreeing(stack, exporter, taken_over, "bulk worker stopped")
    assert _pair(seen["bulk worker stopped"], QUEUE_STATS_BULK)[1] == 1

    standby.kill(signal.SIGTERM)

    def bulk_gone(ours: Ours) -> bool:
        return ours[QUEUE_STATS_BULK]["consumers"] == 0

    seen["standby stopped"] = _agreeing(stack, exporter, bulk_gone, "standby stopped")
    # The chunks wait for the next bulk worker: each worker passed one at most.
    assert seen["standby stopped"][QUEUE_STATS_BULK]["ready"] >= CHUNKS - 3
    assert _pair(seen["standby stopped"], QUEUE_STATS_BATCH) == (0, 1)

    stack.processes["batch-worker"].kill(signal.SIGTERM)

    def batch_gone(ours: Ours) -> bool:
        # Its buffer is flushed or handed back as it stops: nothing stays unacked.
        return all(
            ours[queue]["active"] == 0 and ours[queue]["unacked"] == 0
            for queue in (QUEUE_STATS_BATCH, QUEUE_STATS_NOW)
        )

    seen["batch worker stopped"] = _agreeing(stack, exporter, batch_gone, "batch worker stopped")
    assert _pair(seen["batch worker stopped"], QUEUE_CATALOG_IMPORTS) == (0, 1)
    for phase, figures in seen.items():
        print(
            f"{phase}: (ready, consumers, active) agreed on",
            {queue: (f["ready"], f["consumers"], f["active"]) for queue, f in figures.items()},
        )
