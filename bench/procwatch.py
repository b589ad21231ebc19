"""Peak memory and CPU time of a worker's processes while a benchmark runs (Linux /proc).

Why: the import runs in a pool child of the import worker that exits after its task
(``--max-tasks-per-child 1``), so its peak memory must be read while it lives. A thread
reads every process of the worker's tree every ``interval`` seconds: the kernel's own
peak RSS of each (``VmHWM``, which cannot miss a peak between two reads) and its CPU
time. A phase (``start_phase``/``phase``) reports the process that used the most CPU in
it: the one that ran the phase's task.
"""

import os
import threading
from pathlib import Path
from typing import NamedTuple

_TICK = os.sysconf("SC_CLK_TCK")


class Usage(NamedTuple):
    """A process's peak resident memory (VmHWM, MB), CPU time (user + system, s) and time
    ready to run but waiting for a CPU (s): the rest of a phase's time it was blocked
    (on the database, for an import)."""

    pid: int
    peak_rss_mb: float
    cpu_s: float
    cpu_wait_s: float


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def cpu_wait_seconds(pid: int) -> float | None:
    """Time ``pid`` has spent runnable, waiting for a CPU (the scheduler's own count)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def pid_of(command: str) -> int | None:
    """The first process whose name is ``command`` (``mariadbd``), if it runs here."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == command:
                return int(comm.parent.name)
        except OSError:
            continue
    return None


class TreeWatch(threading.Thread):
    """Reads the processes under ``root`` (a worker's main process) until ``stop``."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        #: pid -> [CPU at the phase's start (or first read), latest CPU, peak RSS MB,
        #: CPU wait at the phase's start, latest CPU wait]
        self._seen: dict[int, list[float]] = {}

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.read()

    def read(self) -> None:
        for pid in _tree(self.root):
            cpu, peak, wait = cpu_seconds(pid), peak_rss_mb(pid), cpu_wait_seconds(pid)
            if cpu is None or peak is None or wait is None:
                continue
            with self._lock:
                entry = self._seen.setdefault(pid, [cpu, cpu, peak, wait, wait])
                entry[1], entry[2], entry[4] = cpu, max(entry[2], peak), wait

    def start_phase(self) -> None:
        self.read()
        with self._lock:
            self._seen = {pid: [e[1], e[1], e[2], e[4], e[4]] for pid, e in self._seen.items()}

    def phase(self) -> Usage:
        """The process that used the most CPU since ``start_phase``: its peak and CPU."""
        self.read()
        with self._lock:
            pid, entry = max(self._seen.items(), key=lambda item: item[1][1] - item[1][0])
        return Usage(pid, entry[2], entry[1] - entry[0], entry[4] - entry[3])

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)
