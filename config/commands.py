"""A base for the project's management commands: a bad argument or a service down is one line.

Django prints ``CommandError`` as a single ``CommandError: ...`` line on stderr with exit
status 1; everything else becomes a traceback, which is noise to an operator whose
database or broker is simply not reachable. argparse, for its part, prints the whole
usage before its one line of error: ``ServiceCommand`` keeps only the error (exit
status 2, as argparse's), and the argument types below refuse what a command cannot
use (a number out of range, ``nan``, ``inf``) there, naming the range, before any
service is asked.

A command that waits for a job (``recompute_stats --wait``, ``bulk_edit``) draws its
progress with ``progress_line``: one line redrawn in place on a terminal, printed only
when it changes in a log, and Ctrl-C says the job carries on (exit status 130).
"""

import argparse
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import DatabaseError, InterfaceError
from kombu.exceptions import OperationalError as BrokerError

#: The largest id a BigAutoField holds (MariaDB's signed BIGINT, SQLite's INTEGER).
MAX_ID = 2**63 - 1
#: Exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
INTERRUPTED = 130
BAR_WIDTH = 30


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def whole_number(low: int, high: int, *, unit: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (``unit`` follows the range)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value:,} is out of range: {low:,} to {high:,}{unit}"
            )
        return value

    return parse


def seconds(high: float) -> Callable[[str], float]:
    """An argparse type: a number of seconds above 0 and at most ``high`` (no nan, no inf)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not (math.isfinite(value) and 0 < value <= high):
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: more than 0 and at most {high:,g} seconds"
            )
        return value

    return parse


class _OneLineParser(CommandParser):
    """Django's parser, with argparse's error on one line instead of after the usage."""

    def error(self, message: str) -> NoReturn:
        if self.called_from_command_line:
            self.exit(2, f"{self.prog}: error: {message} (--help lists the arguments)\n")
        raise CommandError(f"Error: {message}")


class ServiceCommand(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _OneLineParser
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (DatabaseError, InterfaceError) as exc:
            raise CommandError(f"Database unavailable: {_first_line(exc)}") from None
        except BrokerError as exc:
            raise CommandError(f"Broker unavailable: {_first_line(exc)}") from None


def progress_bar(percent: int) -> str:
    """ "[#########---------------------]  30%": the start of a progress line."""
    percent = max(0, min(percent, 100))
    filled = BAR_WIDTH * percent // 100
    return f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {percent:3d}%"


@contextmanager
def progress_line(stdout: OutputWrapper, *, interrupted: str) -> Iterator[Callable[[str], None]]:
    """Yield ``show(line)`` for a command's wait loop.

    On a terminal the line is redrawn in place (padded over a longer previous one) and
    ended when the block ends; in a log (no terminal) a line is written only when it
    differs from the last. Ctrl-C inside the block ends the line and becomes a
    ``CommandError(interrupted)`` with exit status ``INTERRUPTED``: the command stops
    waiting, the job it waited for is not stopped.
    """
    tty = stdout.isatty()
    last = ""

    def show(line: str) -> None:
        nonlocal last
        if tty:
            stdout.write("\r" + line.ljust(len(last)), ending="")
            stdout.flush()
        elif line != last:
            stdout.write(line)
        last = line

    try:
        yield show
    except KeyboardInterrupt:
        if tty and last:
            stdout.write("")
        raise CommandError(interrupted, returncode=INTERRUPTED) from None
    if tty and last:
        stdout.write("")
