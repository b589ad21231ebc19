"""Presence: who else has a change form open, kept in a small table (see EditPresence).

A change page pings every ``PRESENCE_POLL_SECONDS``; a row not pinged for
``PRESENCE_TTL_SECONDS`` (a closed tab, a lost connection) is gone at the next ping.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import EditPresence

PRESENCE_POLL_SECONDS = 10
#: Three missed polls: a slow request or a busy laptop is not "gone".
PRESENCE_TTL_SECONDS = 3 * PRESENCE_POLL_SECONDS


@dataclass(frozen=True)
class Present:
    username: str
    opened_at: datetime


def presence_ping(*, user_id: int, model: str, object_id: str) -> None:
    """Record that this user has the form open now; the first ping after a gap opens it."""
    now = timezone.now()
    stale = now - timedelta(seconds=PRESENCE_TTL_SECONDS)
    EditPresence.objects.filter(seen_at__lt=stale).delete()  # closed tabs, anywhere
    updated = EditPresence.objects.filter(model=model, object_id=object_id, user_id=user_id).update(
        seen_at=now
    )
    if updated:
        return
    try:
        with transaction.atomic():
            EditPresence.objects.create(
                user_id=user_id, model=model, object_id=object_id, opened_at=now, seen_at=now
            )
    except IntegrityError:  # the same user's other tab pinged first: it is open already
        pass


def presence_others(*, user_id: int, model: str, object_id: str) -> list[Present]:
    """Everyone else with this form open, longest first."""
    stale = timezone.now() - timedelta(seconds=PRESENCE_TTL_SECONDS)
    rows = (
        EditPresence.objects.filter(model=model, object_id=object_id, seen_at__gte=stale)
        .exclude(user_id=user_id)
        .order_by("opened_at")
        .values_list("user__username", "opened_at")
    )
    return [Present(username, opened_at) for username, opened_at in rows]
