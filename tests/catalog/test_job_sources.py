"""Imports and bulk edits as the job centre lists them: each status in the common words,
one's own or everyone's, the latest few only, and links only where the asker may go."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from catalog.job_sources import bulk_edit_jobs, bulk_edit_status, import_jobs, import_status
from catalog.models import BulkEdit, CatalogImport
from config.jobs import JobQuery, JobStatus

Imp = CatalogImport.Status
E = BulkEdit.Status


@pytest.mark.parametrize(
    ("status", "started", "expected"),
    [
        (Imp.CHECKING, False, JobStatus.QUEUED),
        (Imp.CHECKING, True, JobStatus.RUNNING),
        (Imp.PREVIEWED, True, JobStatus.QUEUED),  # waiting for its editor's Confirm
        (Imp.IMPORTING, False, JobStatus.QUEUED),
        (Imp.IMPORTING, True, JobStatus.RUNNING),
        (Imp.DONE, True, JobStatus.DONE),
        (Imp.REFUSED, True, JobStatus.FAILED),
        (Imp.FAILED, True, JobStatus.FAILED),
        (Imp.CANCELLED, True, JobStatus.CANCELLED),  # rolled back: nothing saved
    ],
)
def test_an_imports_status_in_the_common_words(status, started, expected):
    job = CatalogImport(status=status, heartbeat_at=timezone.now() if started else None)
    assert import_status(job) == expected


@pytest.mark.parametrize(
    ("status", "done", "expected"),
    [
        (E.QUEUED, 0, JobStatus.QUEUED),
        (E.RUNNING, 3, JobStatus.RUNNING),
        (E.DONE, 9, JobStatus.DONE),
        (E.FAILED, 2, JobStatus.FAILED),
        (E.CANCELLED, 0, JobStatus.CANCELLED),
        (E.CANCELLED, 4, JobStatus.STOPPED),  # what it changed stays changed
    ],
)
def test_a_bulk_edits_status_in_the_common_words(status, done, expected):
    assert bulk_edit_status(BulkEdit(status=status, done=done)) == expected


def _import(user, status=Imp.DONE, **fields) -> CatalogImport:
    return CatalogImport.objects.create(file_name="a.csv", created_by=user, status=status, **fields)


def _edit(user, status=E.DONE, **fields) -> BulkEdit:
    fields.setdefault("changed", 1)
    return BulkEdit.objects.create(
        created_by=user, status=status, summary="price +10%", selection="SKU A", **fields
    )


@pytest.mark.django_db
def test_an_editor_is_listed_their_own_imports_and_bulk_edits_only(editor_factory):
    alice, bob = editor_factory(username="alice"), editor_factory(username="bob")
    mine = [_import(alice), _edit(alice)]
    _import(bob), _edit(bob)

    query = JobQuery(user=alice, everyone=False, limit=10)
    rows = import_jobs(query) + bulk_edit_jobs(query)

    listed = {(row.kind, row.id) for row in rows}
    assert listed == {("Import", mine[0].pk), ("Bulk edit", mine[1].pk)}
    assert {row.who for row in rows} == {"alice"}


@pytest.mark.django_db
def test_everyones_jobs_link_only_the_pages_the_asker_may_open(editor_factory):
    alice, bob = editor_factory(username="alice"), editor_factory(username="bob")
    bobs_import, bobs_edit = _import(bob, Imp.IMPORTING), _edit(bob, E.RUNNING, total=4)

    query = JobQuery(user=alice, everyone=True, limit=10)
    (row,) = import_jobs(query)
    (edit,) = bulk_edit_jobs(query)

    # Listed, but bob's pages answer alice 404: no link, no Stop.
    assert (row.id, row.url, row.stop_url) == (bobs_import.pk, "", "")
    assert (edit.id, edit.url, edit.stop_url) == (bobs_edit.pk, "", "")
    alice.user_permissions.add(Permission.objects.get(codename="manage_all_imports"))
    alice = type(alice).objects.get(pk=alice.pk)
    (row,) = import_jobs(JobQuery(user=alice, everyone=True, limit=10))
    assert row.url.endswith(f"/catalogimport/{bobs_import.pk}/change/")
    assert row.stop_url.endswith(f"/catalogimport/{bobs_import.pk}/cancel/")


@pytest.mark.django_db
def test_a_source_reads_only_its_latest_rows(editor_factory, django_assert_num_queries):
    alice = editor_factory(username="alice")
    for _ in range(5):
        _import(alice)
        _edit(alice)
    query = JobQuery(user=alice, everyone=False, limit=3)
    alice.has_perm("catalog.add_product")  # the permissions cached, as on a page

    with django_assert_num_queries(1):
        assert len(import_jobs(query)) == 3
    with django_assert_num_queries(1):
        assert len(bulk_edit_jobs(query)) == 3


@pytest.mark.django_db
def test_links_follow_each_jobs_state(editor_factory):
    alice = editor_factory(username="alice")
    refused = _import(alice, Imp.REFUSED)
    previewed = _import(alice, Imp.PREVIEWED)
    asked = _import(alice, Imp.IMPORTING, cancel_requested_at=timezone.now())
    running = _edit(alice, E.RUNNING, done=2, total=4, started_at=timezone.now())
    finished = _edit(alice, E.DONE)
    undone = _edit(alice, E.DONE, undone_at=timezone.now(), undo_status=E.DONE)
    undoing = _edit(
        alice, E.DONE, undone_at=timezone.now(), undo_status=E.RUNNING, undo_done=1, undo_total=4
    )
    undo_failed = _edit(alice, E.DONE, undone_at=timezone.now(), undo_status=E.FAILED)

    query = JobQuery(user=alice, everyone=False, limit=10)
    imports = {row.id: row for row in import_jobs(query)}
    edits = {row.id: row for row in bulk_edit_jobs(query)}

    assert imports[refused.pk].report_url.endswith(f"/catalogimport/{refused.pk}/report/")
    assert imports[refused.pk].stop_url == ""
    assert imports[previewed.pk].stop_url and imports[previewed.pk].note == (
        "Checked, waiting for Confirm"
    )
    assert imports[asked.pk].stop_url == "" and imports[asked.pk].note == "Cancel requested"
    assert edits[running.pk].stop_url.endswith(f"/bulkedit/{running.pk}/cancel/")
    assert edits[running.pk].undo_url == ""
    assert edits[finished.pk].undo_url.endswith(f"/bulkedit/{finished.pk}/undo/")
    assert edits[undone.pk].undo_url == "" and edits[undone.pk].note == "Undone"
    assert edits[undoing.pk].undo_url == "" and edits[undoing.pk].note == "Undoing: 25%"
    assert edits[undo_failed.pk].undo_url.endswith(f"/bulkedit/{undo_failed.pk}/undo/")
    assert edits[undo_failed.pk].note == "Undo failed: ask again to go on"
