"""A base for the project's management commands: a bad argument or a service down is one line.

Django prints ``CommandError`` as a single ``CommandError: ...`` line on stderr with exit
status 1; everything else becomes a traceback, which is noise to an operator whose
database or broker is simply not reachable. argparse, for its part, prints the whole
usage before its one line of error: ``ServiceCommand`` keeps only the error (exit
status 2, as argparse's), and the argument types below refuse what a command cannot
use (a number out of range, ``nan``, ``inf``) there, naming the range, before any
service is asked.
"""

import argparse
import math
from collections.abc import Callable
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, InterfaceError
from kombu.exceptions import OperationalError as BrokerError

#: The largest id a BigAutoField holds (MariaDB's signed BIGINT, SQLite's INTEGER).
MAX_ID = 2**63 - 1


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
