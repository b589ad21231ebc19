from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.bulkedit.jobs import bulk_edits
from catalog.bulkedit.sweep import bulk_edits_sweep
from catalog.bulkedit.undo import bulk_edit_undos
from catalog.models import BulkEdit
from testkit.on_commit import forget_all, items_in
from tests.catalog.bulkedit.test_jobs import queue

pytestmark = pytest.mark.django_db

AGO = timezone.now() - timedelta(hours=1)


def _job(sku: str, **fields) -> int:
    job = queue(skus=[sku])
    BulkEdit.objects.filter(pk=job.pk).update(**fields)
    return job.pk


def test_the_sweep_sends_again_only_the_jobs_owed_a_message(
    shop, django_capture_on_commit_callbacks
):
    never_sent = _job("BOOT", created_at=AGO)
    lost_message = _job("SCARF", created_at=AGO, queued_at=AGO - timedelta(days=1))
    lost_worker = _job("SHIRT-1", status="running", queued_at=AGO, heartbeat_at=AGO)
    _job("SHIRT-2", status="running", queued_at=AGO, heartbeat_at=timezone.now())  # alive
    _job("BOOT", created_at=AGO, queued_at=timezone.now())  # on its way
    _job("BOOT")  # just committed, its publish under way
    _job("BOOT", status="running", heartbeat_at=AGO, queued_at=timezone.now())  # resent
    _job("BOOT", status="done", created_at=AGO)
    forget_all()  # the jobs' own messages went out when they were created

    with django_capture_on_commit_callbacks() as callbacks:
        sent = bulk_edits_sweep()

    assert sent == [never_sent, lost_message, lost_worker]
    assert sorted(items_in(bulk_edits, callbacks)) == sent
    assert list(BulkEdit.objects.filter(pk__in=sent).values_list("queued_at", flat=True)) == [
        None,
        None,
        None,
    ]


def test_the_sweep_sends_again_only_the_undos_owed_a_message(
    shop, django_capture_on_commit_callbacks
):
    done = {"status": "done", "queued_at": AGO}
    never_sent = _job("BOOT", **done, undo_status="queued", undone_at=AGO)
    lost_message = _job(
        "SCARF", **done, undo_status="queued", undone_at=AGO, undo_queued_at=AGO - timedelta(1)
    )
    lost_worker = _job(
        "SHIRT-1", **done, undo_status="running", undo_queued_at=AGO, undo_heartbeat_at=AGO
    )
    alive = {"undo_queued_at": AGO, "undo_heartbeat_at": timezone.now()}
    _job("SHIRT-2", **done, undo_status="running", **alive)
    _job("BOOT", **done, undo_status="queued", undone_at=AGO, undo_queued_at=timezone.now())
    _job("BOOT", **done, undo_status="queued", undone_at=timezone.now())  # publish under way
    _job("BOOT", **done, undo_status="done", undone_at=AGO)
    _job("BOOT", **done, undo_status="failed", undone_at=AGO)  # waits to be asked again
    forget_all()

    with django_capture_on_commit_callbacks() as callbacks:
        sent = bulk_edits_sweep()

    assert sent == [never_sent, lost_message, lost_worker]
    assert sorted(items_in(bulk_edit_undos, callbacks)) == sent
    assert not list(items_in(bulk_edits, callbacks))
    queued = BulkEdit.objects.filter(pk__in=sent).values_list("undo_queued_at", flat=True)
    assert list(queued) == [None, None, None]
