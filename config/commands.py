"""A base for the project's management commands: services down means one readable line.

Django prints ``CommandError`` as a single ``CommandError: ...`` line on stderr with exit
status 1; everything else becomes a traceback, which is noise to an operator whose
database or broker is simply not reachable.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, InterfaceError
from kombu.exceptions import OperationalError as BrokerError


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class ServiceCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except (DatabaseError, InterfaceError) as exc:
            raise CommandError(f"Database unavailable: {_first_line(exc)}") from None
        except BrokerError as exc:
            raise CommandError(f"Broker unavailable: {_first_line(exc)}") from None
