"""Test-only batch tasks on ``LeanBatches``, for celery-batches' own cases run against it
(tests/stats/batch/test_upstream_cases.py). Never imported by the apps: a test worker
loads them with ``--include testkit.batch_cases``.

They mirror the tasks of celery-batches' test suite (a sum, a running sum, one acked
early) on the batch worker's queue, so the worker takes the batch role (its prefetch and
consumer steps) exactly as the production batch task does. What the worker saw is written
as JSON lines to the file named by ``BATCH_CASES_JOURNAL``, by the main process (signals at
receipt) and the pool process (the batch and its signals) alike, so the test process can
read it; each request's own result goes to the result backend the worker is given.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

from celery import signals
from celery_batches import SimpleRequest

from config.celery import app
from config.queues import QUEUE_STATS_BATCH
from stats.batch.consumer import LeanBatches

JOURNAL = "BATCH_CASES_JOURNAL"
#: Upstream's tasks flush every 2 requests (and every 0.1 s: too short to tell a count flush
#: from an interval flush on a real broker, hence seconds, from the environment).
FLUSH_EVERY = 2
FLUSH_INTERVAL = float(os.environ.get("BATCH_CASES_FLUSH_INTERVAL", "3"))
#: The longest a batch waits for its ``hold`` file (a test holds a batch while it looks
#: at what RabbitMQ counts as unacked).
HOLD_LIMIT = 30.0

#: A task only its timer flushes, after a longer interval: time to cut the worker's
#: connection while it holds a buffered request (a count flush would hide a dead timer).
PATIENT_INTERVAL = 3 * FLUSH_INTERVAL
PATIENT_EVERY = 10

ADD = "testkit.batch_cases.add"
CUMADD = "testkit.batch_cases.cumadd"
EARLY = "testkit.batch_cases.early"
PATIENT = "testkit.batch_cases.patient"
NAMES = (ADD, CUMADD, EARLY, PATIENT)

_options: dict[str, Any] = {
    "base": LeanBatches,
    "queue": QUEUE_STATS_BATCH,
    "flush_every": FLUSH_EVERY,
    "flush_interval": FLUSH_INTERVAL,
}


def note(kind: str, **fields: Any) -> None:
    """Append one line to the journal (one short write: lines of two processes never mix)."""
    path = os.environ.get(JOURNAL)
    if not path:
        return
    line = json.dumps({"kind": kind, "pid": os.getpid(), "at": time.time(), **fields})
    with open(path, "a") as journal:
        journal.write(line + "\n")


def _run(requests: list[SimpleRequest]) -> None:
    """What every test batch does first: wait for a ``hold`` file if asked, then say so."""
    for request in requests:
        if hold := (request.kwargs or {}).get("hold"):
            note("holding", ids=[r.id for r in requests])
            deadline = time.monotonic() + HOLD_LIMIT
            while not Path(hold).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
    note(
        "batch",
        task=requests[0].name if requests else "",
        current_task=app.current_task.name if app.current_task else None,
        requests=[
            {
                "id": r.id,
                "args": list(r.args),
                "kwargs": r.kwargs,
                "ignore_result": r.ignore_result,
            }
            for r in requests
        ],
    )


def _numbers(request: SimpleRequest) -> list[int]:
    values = [*request.args, *(request.kwargs or {}).values()]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


@app.task(name=ADD, acks_late=True, ignore_result=False, **_options)
def add(requests: list[SimpleRequest]) -> int:
    """The sum of every number of the batch, stored as each request's result."""
    _run(requests)
    total = sum(sum(_numbers(r)) for r in requests)
    for request in requests:
        app.backend.mark_as_done(request.id, total, request=request)
    return total


@app.task(name=CUMADD, acks_late=True, ignore_result=False, **_options)
def cumadd(requests: list[SimpleRequest]) -> None:
    """Each request's result is the running sum up to it, in the order the batch holds them."""
    _run(requests)
    total = 0
    for request in requests:
        total += sum(_numbers(request))
        app.backend.mark_as_done(request.id, total, request=request)


@app.task(name=EARLY, acks_late=False, ignore_result=True, **_options)
def early(requests: list[SimpleRequest]) -> None:
    """Declared to be acked early, as upstream's acks-early case is."""
    _run(requests)


@app.task(
    name=PATIENT,
    acks_late=True,
    ignore_result=True,
    **(_options | {"flush_interval": PATIENT_INTERVAL, "flush_every": PATIENT_EVERY}),
)
def patient(requests: list[SimpleRequest]) -> None:
    """Flushed by a longer interval (the reconnect case)."""
    _run(requests)


def _task_name(sender: Any, kwargs: dict[str, Any]) -> str | None:
    if name := getattr(sender, "name", None):
        return name
    request = kwargs.get("request")
    return getattr(request, "name", None) or kwargs.get("name")


def _noting(signal_name: str):
    def receiver(sender: Any = None, **kwargs: Any) -> None:
        name = _task_name(sender, kwargs)
        if name is None or name in NAMES:  # another task's signals are not ours to count
            note("signal", signal=signal_name, task=name)

    return receiver


#: The worker's task signals upstream's case counts (the publish signals fire in the caller).
TASK_SIGNALS = (
    "task_received",
    "task_prerun",
    "task_postrun",
    "task_success",
    "task_retry",
    "task_failure",
    "task_revoked",
    "task_internal_error",
    "task_unknown",
    "task_rejected",
)


def _current_task_at_prerun(sender: Any = None, **kwargs: Any) -> None:
    if getattr(sender, "name", None) in NAMES:
        task = app.current_task
        note("current_task", at="prerun", task=task.name if task else None)


# Only in the test worker: a receiver in the test process would run for every other test's
# signals (and celery-batches' own strategy sends task_received with any sender it is given).
if os.environ.get(JOURNAL):
    for _name in TASK_SIGNALS:
        getattr(signals, _name).connect(_noting(_name), weak=False)
    signals.task_prerun.connect(_current_task_at_prerun, weak=False)
