"""``python -m config.process_manager``: the Procfile's processes under circus, in the
foreground (what ``make run`` ends with)."""

import os
import shutil
import signal
import sys
from pathlib import Path

from django.conf import settings

from config.process_manager.circus_ini import write_circus_ini


def take_the_terminal() -> None:
    """Make this process group the terminal's foreground one, so Ctrl-C reaches the
    processes and not ``make`` around them: make re-raises a SIGINT it got after its
    recipe ended (exit 130, "Interrupt") although every process stopped cleanly; with the
    keypress sent here only, ``make run`` ends with the processes' own exit status, 0.
    Without a terminal (a script, a test, systemd) nothing changes."""
    try:
        terminal = sys.stdin.fileno()
        if not os.isatty(terminal) or os.tcgetpgrp(terminal) != os.getpgrp():
            return  # no terminal, or not in the foreground: leave the groups as they are
        os.setpgid(0, 0)
        # A background group asking for the terminal gets SIGTTOU (stop) unless ignored.
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(terminal, os.getpgrp())
        finally:
            signal.signal(signal.SIGTTOU, previous)
    except (OSError, ValueError):
        return  # no job control here: Ctrl-C reaches make too, as before


def main() -> None:
    take_the_terminal()
    ini = write_circus_ini(settings.VAR_DIR / "run", quiet=not settings.CATALOG_VERBOSE)
    circusd = shutil.which("circusd") or str(Path(sys.executable).with_name("circusd"))
    os.execv(circusd, [circusd, str(ini)])


if __name__ == "__main__":
    main()
