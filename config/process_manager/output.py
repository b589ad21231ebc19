"""What ``make run`` prints: each process's lines under its name, and one line per exit.

Circus hands a watcher's output to a stream object in chunks; ``Prefixed`` cuts them into
lines and writes ``HH:MM:SS name | line`` as honcho did. ``exit_notice`` is circus's
``after_reap`` hook: a process that exits on its own (killed, out of memory, crashed) is
named with its exit status before circus starts it again; exits during a stop are quiet.
"""

import sys
import time
from typing import Any


def _write(name: str, width: int, text: str) -> None:
    sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<{width}} | {text}\n")
    sys.stdout.flush()


class Prefixed:
    """A circus output stream: ``stdout_stream.class = config.process_manager.output.Prefixed``."""

    def __init__(self, name: str = "", width: str = "0", **kwargs: Any) -> None:
        self.name, self.width = name, int(width)
        self._partial = b""

    def __call__(self, data: dict[str, Any]) -> None:
        *lines, self._partial = (self._partial + data["data"]).split(b"\n")
        for line in lines:
            _write(self.name, self.width, line.decode("utf-8", "replace").rstrip("\r"))

    def close(self) -> None:
        if self._partial:
            _write(self.name, self.width, self._partial.decode("utf-8", "replace"))
            self._partial = b""


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
