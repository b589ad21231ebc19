"""A starting worker takes the rules of its role (``config.queues.ROLES``), found from its ``-Q``.

Connected to ``worker_init`` by ``config.celery``: the signal fires once the worker knows
its queues and concurrency, and before it builds its consumer, which reads the prefetch
multiplier, the consumer class and the consumer steps set here. Celery 5 ignores
``--prefetch-multiplier=0`` on the command line, so prefetch is configuration. A worker
whose queues belong to no role (``-Q default``, a test's own queue) gets the default
consumer class and Celery's defaults.
"""

import logging
from typing import TYPE_CHECKING, Any

from kombu.utils.imports import symbol_by_name

from config.queues import DEFAULT_CONSUMER, ROLES, WorkerRole, role_of, role_queue_names

if TYPE_CHECKING:
    from celery import Celery

logger = logging.getLogger(__name__)


class WorkerMisconfigured(RuntimeError):
    pass


def consumed_queues(app: "Celery") -> set[str]:
    """The queues a starting worker consumes (``-Q``), or every declared queue without one."""
    return set(app.amqp.queues.consume_from or app.amqp.queues)


def worker_role(queues: set[str], concurrency: int) -> WorkerRole | None:
    """The role whose rules a worker consuming ``queues`` applies (the first in the table
    among its queues' roles), or None; a worker that breaks a role's rule is refused."""
    roles = [role for role in ROLES if any(role_of(name) == role.name for name in queues)]
    for role in roles:
        own = role_queue_names(role.name)
        if role.exclusive and not queues <= set(own):
            raise WorkerMisconfigured(
                f"The {role.name} worker must consume only {', '.join(map(repr, own))} "
                f"(-Q {','.join(own)}); got {sorted(queues)}."
            )
        if role.concurrency_fixed and concurrency != role.concurrency:
            raise WorkerMisconfigured(
                f"The {role.name} worker must run with -c {role.concurrency} "
                f"(got -c {concurrency}): see docs/operations.md."
            )
    return roles[0] if roles else None


def prefetch_multiplier(role: WorkerRole, concurrency: int) -> int | None:
    """The role's prefetch multiplier for ``concurrency`` processes (None: Celery's)."""
    if isinstance(role.prefetch, str):
        return int(symbol_by_name(role.prefetch)(concurrency))
    return role.prefetch


def apply_worker_role(sender: Any, **kwargs: Any) -> None:
    """``worker_init``: refuse a misconfigured worker, else set its role's rules.

    Registry: config.upstream "Celery worker_init sender" (the WorkController's attributes)."""
    try:
        role = worker_role(consumed_queues(sender.app), sender.concurrency)
    except WorkerMisconfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; exit for real.
        logger.critical("%s", exc)
        raise SystemExit(f"Refusing to start: {exc}") from None
    sender.consumer_cls = role.consumer if role else DEFAULT_CONSUMER
    if role is None:
        return
    multiplier = prefetch_multiplier(role, sender.concurrency)
    if multiplier is not None:
        sender.prefetch_multiplier = multiplier
    sender.app.steps["consumer"].update(role.consumer_steps)
