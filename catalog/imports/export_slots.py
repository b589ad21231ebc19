"""How many exports run at once: slots in the database, so every web process and host counts.

An export of the whole catalog holds a gunicorn thread, a database connection and a core
for a minute or more (memory stays flat: ``catalog.imports.exports``). Without a limit a
few clicks (or one script of a view-only user) could hold every thread of every web
process. An export takes a slot of its user's (``CATALOG_EXPORTS_PER_USER``), then one
of everyone's (``CATALOG_EXPORTS_AT_ONCE``); one more is refused with ``ExportBusy``.

Why rows and not a lock file or a cache: gunicorn runs several processes and production
several hosts, which share only the database. Taking a slot is one conditional UPDATE
(free means no expiry or a past one), atomic on MariaDB and SQLite alike, so two exports
never take the same slot. A slot is not freed by a crash: its holder renews the expiry
while it writes (``ExportPermit.renew``), and a slot nobody renewed for
``CATALOG_EXPORT_SLOT_SECONDS`` is free again.
"""

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from catalog.models import ExportSlot
from config.humanize import quantity


class ExportBusy(Exception):
    """One export too many; the message is one sentence for the editor."""


def _seconds() -> int:
    return int(settings.CATALOG_EXPORT_SLOT_SECONDS)


@dataclass
class ExportPermit:
    """The slots one export holds until ``release``."""

    keys: list[str]
    holder: str
    renewed_at: float = 0.0

    def renew(self) -> None:
        """Push the expiry on; written a few times per period, not at every chunk."""
        now = time.monotonic()
        if now - self.renewed_at < _seconds() / 6:
            return
        ExportSlot.objects.filter(key__in=self.keys, holder=self.holder).update(
            expires_at=timezone.now() + timedelta(seconds=_seconds())
        )
        self.renewed_at = now

    def release(self) -> None:
        if self.keys:
            ExportSlot.objects.filter(key__in=self.keys, holder=self.holder).update(
                holder="", user=None, expires_at=None
            )
            self.keys = []


def export_slot_take(*, user_id: int | None) -> ExportPermit:
    """A slot of the user's and one of everyone's, or ``ExportBusy`` (nothing held then)."""
    permit = ExportPermit(keys=[], holder=secrets.token_hex(16), renewed_at=time.monotonic())
    try:
        if user_id is not None:
            per_user = int(settings.CATALOG_EXPORTS_PER_USER)
            if not _take(permit, f"user:{user_id}", per_user, user_id):
                raise ExportBusy(
                    f"Your previous {'export is' if per_user == 1 else 'exports are'} still "
                    f"running (each person may run {quantity(per_user, 'export')} at once): "
                    "try again when the download has finished."
                )
        at_once = int(settings.CATALOG_EXPORTS_AT_ONCE)
        if not _take(permit, "all", at_once, user_id):
            raise ExportBusy(
                f"{quantity(at_once, 'export')} of the catalog {'is' if at_once == 1 else 'are'} "
                "running already, the most at once: try again in a minute."
            )
    except BaseException:
        permit.release()
        raise
    return permit


def _take(permit: ExportPermit, prefix: str, count: int, user_id: int | None) -> bool:
    keys = [f"{prefix}:{n}" for n in range(1, count + 1)]
    existing = set(ExportSlot.objects.filter(key__in=keys).values_list("key", flat=True))
    ExportSlot.objects.bulk_create(
        [ExportSlot(key=key) for key in keys if key not in existing], ignore_conflicts=True
    )
    now = timezone.now()
    free = Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    for key in keys:
        taken = ExportSlot.objects.filter(free, key=key).update(
            holder=permit.holder, user_id=user_id, expires_at=now + timedelta(seconds=_seconds())
        )
        if taken:
            permit.keys.append(key)
            return True
    return False
