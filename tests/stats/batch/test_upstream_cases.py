"""celery-batches' own test cases, run against LeanBatches on RabbitMQ with a real worker.

celery-batches tests its ``Batches`` with an in-process worker, a 0.1 s interval and a
ping as a barrier (upstream ``t/integration/test_batches.py``, several cases skipped on
live brokers as flaky). The same cases are written here for ``LeanBatches``: a batch
worker process as this project starts one (the batch role's prefetch and consumer steps),
the test tasks of ``testkit.batch_cases`` on the batch queue, seconds instead of tenths,
and what the worker saw read from its journal, the result backend and RabbitMQ's own
counts. Where LeanBatches deliberately differs from what celery-batches documents (acks,
ETA, ``task_received``), the case checks our behaviour and says why
(docs/architecture.md, "celery-batches' own cases").

One worker serves the whole module; the reconnect case runs last, as it cuts that
worker's connection.
"""

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import signals
from celery.backends.filesystem import FilesystemBackend

from config.celery import app
from config.queues import QUEUE_STATS_BATCH
from testkit import batch_cases
from testkit.batch_cases import FLUSH_INTERVAL, PATIENT_INTERVAL, add, cumadd, early, patient
from testkit.broker_cut import close_worker_connections
from testkit.workers import (
    WorkerProcess,
    broker_vhost,
    purge_queue,
    rabbitmqctl_queues,
    wait_for,
)
from tests.conftest import IN_CI, _broker_error

# In make test-outside (the issue's lane for checks by others' cases), not in make test.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.outside]

#: Seconds after the interval within which a flush counts as on time on a busy machine.
SLACK = 3.0


class Journal:
    """What the worker wrote (``testkit.batch_cases``), one dict a line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def clear(self) -> None:
        self.path.write_text("")

    def lines(self, kind: str) -> list[dict[str, Any]]:
        text = self.path.read_text() if self.path.exists() else ""
        found = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [line for line in found if line["kind"] == kind]

    def batches_with(self, *ids: str) -> list[dict[str, Any]]:
        wanted = set(ids)
        return [b for b in self.lines("batch") if wanted & {r["id"] for r in b["requests"]}]

    def wait_flushed(self, *ids: str, timeout: float) -> list[dict[str, Any]]:
        """The batches holding ``ids``, once every one of them has run."""

        def done() -> bool:
            ran = {r["id"] for b in self.batches_with(*ids) for r in b["requests"]}
            return set(ids) <= ran

        wait_for(done, timeout=timeout, interval=0.05, message=f"a flush of {ids}")
        return self.batches_with(*ids)

    def signals(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for line in self.lines("signal"):
            counted[line["signal"]] = counted.get(line["signal"], 0) + 1
        return counted


@pytest.fixture(scope="module")
def case_worker(django_db_setup, tmp_path_factory):
    """One batch worker loading the test tasks; its journal and result folder."""
    if error := _broker_error():
        if IN_CI:
            pytest.fail(f"Broker unreachable under CI: {error}")
        pytest.skip(f"Broker unreachable: {error}")
    folder = tmp_path_factory.mktemp("batch-cases")
    results = folder / "results"
    results.mkdir()
    purge_queue(QUEUE_STATS_BATCH)
    worker = WorkerProcess(
        queues=[QUEUE_STATS_BATCH],
        env={
            batch_cases.JOURNAL: str(folder / "journal.jsonl"),
            "BATCH_CASES_FLUSH_INTERVAL": str(FLUSH_INTERVAL),
            "CELERY_RESULT_BACKEND": f"file://{results}",
        },
        extra_args=["--include", "testkit.batch_cases"],
    ).start()
    worker.folder = folder
    worker.results = FilesystemBackend(app=app, url=f"file://{results}")
    yield worker
    worker.kill(signal.SIGKILL)
    purge_queue(QUEUE_STATS_BATCH)


@pytest.fixture
def journal(case_worker) -> Journal:
    """The worker's journal, emptied: each case reads only what its own requests did."""
    journal = Journal(case_worker.folder / "journal.jsonl")
    journal.clear()
    return journal


def _result(worker: WorkerProcess, task_id: str) -> Any:
    meta = worker.results.get_task_meta(task_id)
    return meta["result"] if meta["status"] == "SUCCESS" else meta["status"]


def _unacked() -> int:
    return rabbitmqctl_queues().get(QUEUE_STATS_BATCH, {}).get("unacked", 0)


# --- Flushing: by count, by interval, the count restarted ----------------------------------


def test_the_flush_count_runs_a_batch_long_before_the_interval(journal):
    sent = time.time()
    first, second = add.delay(1), add.delay(3)

    batches = journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)

    assert len(batches) == 1
    assert batches[0]["at"] - sent < FLUSH_INTERVAL / 2  # the count flushed it, not the timer


def test_a_lone_request_is_run_by_the_flush_interval(journal):
    sent = time.time()
    lone = add.delay(1)

    (batch,) = journal.wait_flushed(lone.id, timeout=FLUSH_INTERVAL + SLACK)

    assert [r["id"] for r in batch["requests"]] == [lone.id]
    assert batch["at"] - sent >= FLUSH_INTERVAL / 2  # waited for the timer


def test_a_flush_by_the_interval_restarts_the_count(journal):
    """Two lone requests in a row, each flushed by the timer: had the count carried on
    over the first flush, one of the two would have completed a count and run at once."""
    for number in (1, 2):
        sent = time.time()
        lone = add.delay(number)
        time.sleep(FLUSH_INTERVAL / 4)
        assert journal.batches_with(lone.id) == [], "run by the count, not the timer"

        (batch,) = journal.wait_flushed(lone.id, timeout=FLUSH_INTERVAL + SLACK)
        assert [r["id"] for r in batch["requests"]] == [lone.id]
        assert batch["at"] - sent >= FLUSH_INTERVAL / 2


# --- What a batch receives and returns ------------------------------------------------------


def test_one_flush_runs_the_task_once_with_every_request(case_worker, journal):
    first, second = add.delay(1), add.delay(3)

    (batch,) = journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)

    assert [r["id"] for r in batch["requests"]] == [first.id, second.id]
    wait_for(lambda: _result(case_worker, second.id) == 4, timeout=5, message="results")
    assert _result(case_worker, first.id) == 4


def test_each_request_keeps_its_positional_arguments(case_worker, journal):
    first, second = add.delay(1, 2), add.delay(3, 4)

    (batch,) = journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)

    assert [(r["args"], r["kwargs"]) for r in batch["requests"]] == [([1, 2], {}), ([3, 4], {})]
    wait_for(lambda: _result(case_worker, first.id) == 10, timeout=5, message="the sum")


def test_each_request_keeps_its_keyword_arguments(case_worker, journal):
    first, second = add.delay(a=1, b=2), add.delay(a=3, b=4)

    (batch,) = journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)

    assert [(r["args"], r["kwargs"]) for r in batch["requests"]] == [
        ([], {"a": 1, "b": 2}),
        ([], {"a": 3, "b": 4}),
    ]
    wait_for(lambda: _result(case_worker, second.id) == 10, timeout=5, message="the sum")


def test_each_request_of_a_batch_stores_its_own_result(case_worker, journal):
    first, second = cumadd.delay(1), cumadd.delay(2)

    journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)

    wait_for(lambda: _result(case_worker, second.id) == 3, timeout=5, message="the running sum")
    assert _result(case_worker, first.id) == 1


# --- Signals and the current task -------------------------------------------------------------


def test_a_batch_sends_the_run_signals_once_and_no_receipt_signal(journal):
    published = {"before_task_publish": 0, "after_task_publish": 0}

    def count(name):
        def receiver(sender=None, **kwargs):
            if sender == batch_cases.ADD:
                published[name] += 1

        return receiver

    receivers = {name: count(name) for name in published}
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver, weak=False)
    try:
        first, second = add.delay(1), add.delay(3)
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)
    journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)
    wait_for(lambda: "task_postrun" in journal.signals(), timeout=5, message="postrun")

    assert published == {"before_task_publish": 2, "after_task_publish": 2}
    # Upstream sends task_received per request (2); LeanBatches builds no Celery Request
    # per message, so it sends none. Failure, retry, revoke... are not sent by either.
    assert journal.signals() == {"task_prerun": 1, "task_postrun": 1, "task_success": 1}


def test_the_current_task_is_the_batch_task_while_it_runs(journal):
    first, second = add.delay(1), add.delay(3)

    (batch,) = journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)

    assert batch["current_task"] == batch_cases.ADD
    assert [line["task"] for line in journal.lines("current_task")] == [batch_cases.ADD]


# --- Acks ---------------------------------------------------------------------------------------


def _held_batch(journal: Journal, task, tmp_path: Path) -> tuple[int, int]:
    """Unacked counts while a batch of two runs (held by a file) and once it has returned."""
    gate = tmp_path / "release"
    first, second = task.delay(hold=str(gate)), task.delay(hold=str(gate))
    wait_for(lambda: journal.lines("holding"), timeout=10, message="the batch running")
    while_running = _unacked()
    gate.touch()
    journal.wait_flushed(first.id, second.id, timeout=FLUSH_INTERVAL + SLACK)
    wait_for(lambda: _unacked() == 0, timeout=10, message="the batch acked")
    return while_running, _unacked()


def test_a_late_acked_batch_is_acked_once_it_has_returned(journal, tmp_path):
    assert add.acks_late is True

    assert _held_batch(journal, add, tmp_path) == (2, 0)


def test_a_batch_declared_to_ack_early_is_still_acked_once_it_has_returned(journal, tmp_path):
    """Upstream acks such a batch when the pool accepts it; LeanBatches acks every batch
    when it returns: a pool process lost mid-batch then loses no request."""
    assert early.acks_late is False

    assert _held_batch(journal, early, tmp_path) == (2, 0)


# --- Countdown and ETA --------------------------------------------------------------------------


def test_a_countdown_does_not_hold_a_request_back(journal):
    """Upstream keeps a request whose countdown has not passed for a later flush;
    LeanBatches runs it in the next flush (no request of ours is ever delayed)."""
    now, later = add.apply_async((1,)), add.apply_async((2,), countdown=60)

    (batch,) = journal.wait_flushed(now.id, later.id, timeout=FLUSH_INTERVAL + SLACK)

    assert [r["id"] for r in batch["requests"]] == [now.id, later.id]


def test_an_eta_does_not_hold_a_request_back(journal):
    """As with a countdown: the ETA is not read, the request runs in the next flush."""
    eta = datetime.now(UTC) + timedelta(seconds=60)
    now, later = add.apply_async((1,)), add.apply_async((2,), eta=eta)

    (batch,) = journal.wait_flushed(now.id, later.id, timeout=FLUSH_INTERVAL + SLACK)

    assert [r["id"] for r in batch["requests"]] == [now.id, later.id]


# --- celery-batches #99/#107: the flush timer after a reconnect (last: it cuts the worker) -----


def test_after_a_reconnect_a_buffered_request_is_flushed_and_nothing_stays_unacked(
    case_worker, journal
):
    buffered = patient.delay(1)  # fewer than the flush count: only the timer runs it
    wait_for(lambda: _unacked() == 1, timeout=PATIENT_INTERVAL / 2, message="buffered")

    assert close_worker_connections(broker_vhost(), case_worker.process.pid)
    wait_for(
        lambda: case_worker.log().count("Connected to amqp") == 2, timeout=30, message="reconnect"
    )
    reconnected = time.time()
    (batch,) = journal.wait_flushed(buffered.id, timeout=PATIENT_INTERVAL + SLACK + 2)

    assert batch["at"] - reconnected <= PATIENT_INTERVAL + SLACK
    assert [r["id"] for r in batch["requests"]] == [buffered.id]  # the redelivered copy only
    settled = {"ready": 0, "unacked": 0, "consumers": 1}
    wait_for(
        lambda: rabbitmqctl_queues()[QUEUE_STATS_BATCH] == settled,
        timeout=10,
        message="nothing left unacked",
    )
    # The new consumer's timer ran it, not the last-resort watchdog (stats.batch.watchdog).
    assert "re-arming its flush timer" not in case_worker.log()
