"""What a test's transaction collected for after its commit, which never comes.

A test runs inside one transaction that is rolled back at its end, so the collections of
``config.transactions`` (an outbox's messages, the catalog's changed products) are never
handed on. ``items_in`` reads them among callbacks captured by pytest-django's
``django_capture_on_commit_callbacks``; ``forget_all`` starts afresh, as if the
transaction had committed (what the fixtures' saves collected would otherwise make the
saves under test look already seen). Both read Django's list of pending on-commit
callbacks, as Django's own ``TestCase.captureOnCommitCallbacks`` does.
"""

from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from config.outbox import Outbox
from config.transactions import Collection, PerTransaction


def items_in(
    collector: PerTransaction[Any] | Outbox[Any], callbacks: list[Callable[[], Any]]
) -> dict[Any, Any]:
    """What ``collector`` holds among captured on-commit callbacks."""
    owner = collector.pending if isinstance(collector, Outbox) else collector
    return {
        key: value
        for callback in callbacks
        if isinstance(callback, Collection) and callback.owner is owner
        for key, value in callback.items.items()
    }


def forget_all(using: str = DEFAULT_DB_ALIAS) -> None:
    """Start afresh as if the current transaction had committed, handing nothing on."""
    for _, callback, _ in connections[using].run_on_commit:
        if isinstance(callback, Collection):
            callback.spent = True
