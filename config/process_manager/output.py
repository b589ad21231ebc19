"""What ``make run`` prints: each process's lines under its name, and one line per exit.

Circus hands a watcher's output to a stream object in chunks; ``Prefixed`` cuts them into
lines and writes ``HH:MM:SS name | line`` as honcho did. ``exit_notice`` is circus's
``after_reap`` hook: a process that exits on its own (killed, out of memory, crashed) is
named with its exit status before circus starts it again; exits during a stop are quiet.
``stop_notice`` (``before_stop``) says once that everything is stopping; from then on a
quiet stream keeps only lines that report a problem, so Ctrl-C prints one line rather
than every process's goodbye.
"""

import re
import sys
import time
from typing import Any

#: A line that says something went wrong: kept even while everything stops.
PROBLEM = re.compile(r"\b(ERROR|CRITICAL|Traceback|Error:|Exception)\b")

#: Set by ``stop_notice`` when circus starts stopping the processes (Ctrl-C).
_stopping = False


def _write(name: str, width: int, text: str) -> None:
    sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<{width}} | {text}\n")
    sys.stdout.flush()


class Prefixed:
    """A circus output stream: ``stdout_stream.class = config.process_manager.output.Prefixed``."""

    def __init__(self, name: str = "", width: str = "0", quiet: str = "0", **kwargs: Any) -> None:
        self.name, self.width, self.quiet = name, int(width), quiet == "1"
        self._partial = b""

    def __call__(self, data: dict[str, Any]) -> None:
        *lines, self._partial = (self._partial + data["data"]).split(b"\n")
        for line in lines:
            self._line(line.decode("utf-8", "replace").rstrip("\r"))

    def close(self) -> None:
        if self._partial:
            self._line(self._partial.decode("utf-8", "replace"))
            self._partial = b""

    def _line(self, text: str) -> None:
        if self.quiet and _stopping and not PROBLEM.search(text):
            return
        _write(self.name, self.width, text)


def describe_exit(code: int | None) -> str:
    if code is None:
        return "exited"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exited with status {code}"


def exit_notice(watcher: Any, arbiter: Any, hook_name: str, **info: Any) -> bool:
    """Circus's ``after_reap`` hook: one line when a process exits on its own."""
    stopping = watcher.is_stopping() or watcher.is_stopped() or getattr(arbiter, "_stopping", False)
    if not stopping:
        width = max(len(name) for name in [w.name for w in arbiter.watchers] + ["system"])
        what = describe_exit(info.get("exit_code"))
        _write("system", width, f"{watcher.name} {what}: starting it again")
    return True


def stop_notice(watcher: Any, arbiter: Any, hook_name: str, **info: Any) -> bool:
    """Circus's ``before_stop`` hook: one line for the whole stop, however many processes."""
    global _stopping
    if not _stopping:
        _stopping = True
        width = max(len(name) for name in [w.name for w in arbiter.watchers] + ["system"])
        _write("system", width, "stopping every process...")
    return True
