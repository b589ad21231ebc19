"""The Procfile's processes under ``make run``'s own process manager, for tests from outside.

``ManagedStack`` starts ``python -m config.process_manager`` (circus, as the Makefile's
``run`` target ends) with a stack's environment (``testkit.stack.Stack``: its own var
directory, database, broker and web port), asks circus which pid runs each Procfile
process, and stops it the way a terminal's Ctrl-C does (SIGINT to the manager).
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

import psutil

from testkit.stack import _STARTED, ROOT, Stack


class ManagedStack(Stack):
    """Every Procfile process, started and restarted by the process manager."""

    manager: subprocess.Popen | None = None

    @property
    def log(self):
        return self.var_dir / "manager.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.manager = subprocess.Popen(
                [sys.executable, "-m", "config.process_manager"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _STARTED.add(self.manager.pid)

    def pids(self, name: str) -> list[int]:
        """The pids circus runs for Procfile process ``name`` (none while it restarts)."""
        endpoint = f"ipc://{self.var_dir / 'run' / 'circus.sock'}"
        done = subprocess.run(
            [
                os.path.join(os.path.dirname(sys.executable), "circusctl"),
                "--endpoint",
                endpoint,
                "--timeout",
                "5",
                "list",
                name,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return [int(pid) for pid in done.stdout.replace(",", " ").split() if pid.isdigit()]

    def wait_pid(self, name: str, *, other_than: int | None = None, timeout: float = 60) -> int:
        """The pid of ``name`` once circus runs it (a new one, with ``other_than``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [p for p in self.pids(name) if p != other_than]
            if pids:
                return pids[0]
            time.sleep(0.5)
        raise TimeoutError(f"circus runs no {name} after {timeout} s:\n{self.tail()}")

    def kill(self, name: str) -> int:
        """SIGKILL ``name``'s whole process group (a worker and its pool), as ``kill -9``
        of a service or the OOM killer would; the pid killed."""
        pid = self.wait_pid(name)
        os.killpg(pid, signal.SIGKILL)
        return pid

    def descendants(self) -> list[psutil.Process]:
        """Every process the manager started, at any depth."""
        if self.manager is None:
            return []
        with contextlib.suppress(psutil.NoSuchProcess):
            return psutil.Process(self.manager.pid).children(recursive=True)
        return []

    def interrupt(self, timeout: float = 90) -> float:
        """Ctrl-C: SIGINT to the manager; seconds until it exited."""
        assert self.manager is not None
        started = time.monotonic()
        self.manager.send_signal(signal.SIGINT)
        self.manager.wait(timeout)
        _STARTED.discard(self.manager.pid)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.manager is None or self.manager.poll() is not None:
            return
        left = self.descendants()
        try:
            self.interrupt()
        except subprocess.TimeoutExpired:
            for process in [*left, psutil.Process(self.manager.pid)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()

    def tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- manager ({self.log}), last {chars} characters:\n{text[-chars:]}"

    def logs(self, chars: int = 4000) -> str:
        return self.tail(chars)
