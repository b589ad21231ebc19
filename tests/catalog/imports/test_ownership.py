"""An import is its uploader's: bob cannot see, confirm or cancel alice's (404, as if it did
not exist); a holder of "Can manage every editor's imports" can, and the history of an
import's writes names whoever confirmed it."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog.imports.jobs import catalog_import_upload
from catalog.imports.runs import import_reason
from catalog.models import CatalogImport, Product
from editors.selectors import editor_activity
from tests.catalog.imports.conftest import row, write_csv
from tests.factories import editors_group

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

LIST_URL = reverse("admin:catalog_catalogimport_changelist")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(editor_factory):
    alice = editor_factory(username="alice")
    bob = editor_factory(username="bob")
    lead = editor_factory(username="lead")
    lead.user_permissions.add(Permission.objects.get(codename="manage_all_imports"))
    return alice, bob, lead


def _previewed(user, tmp_path, capture, name: str = "spring.csv") -> CatalogImport:
    """An upload of ``user``, checked by its dry run (in-process) and ready to confirm."""
    path = write_csv(tmp_path / name, [row()])
    with capture(execute=True):
        job = catalog_import_upload(upload=SimpleUploadedFile(name, path.read_bytes()), user=user)
    job.refresh_from_db()
    assert job.status == CatalogImport.Status.PREVIEWED, job.report
    return job


def _confirmed(uploader, confirmer, tmp_path, capture) -> CatalogImport:
    """An upload of ``uploader`` confirmed on its page by ``confirmer`` (imported in-process)."""
    job = _previewed(uploader, tmp_path, capture)
    with capture(execute=True):
        _client(confirmer).post(_urls(job)["confirm"])
    job.refresh_from_db()
    return job


def _urls(job: CatalogImport) -> dict[str, str]:
    return {
        name: reverse(f"admin:catalog_catalogimport_{name}", args=[job.pk])
        for name in ("change", "history", "confirm", "cancel")
    }


def test_the_imports_list_shows_only_ones_own_imports(
    people, tmp_path, django_capture_on_commit_callbacks
):
    alice, bob, _ = people
    _previewed(alice, tmp_path, django_capture_on_commit_callbacks, "alice.csv")
    _previewed(bob, tmp_path, django_capture_on_commit_callbacks, "bob.csv")

    page = _client(bob).get(LIST_URL).content.decode()

    assert "bob.csv" in page and "alice.csv" not in page


def test_another_editors_import_answers_404_on_its_page_history_confirm_and_cancel(
    people, tmp_path, django_capture_on_commit_callbacks
):
    alice, bob, _ = people
    job = _previewed(alice, tmp_path, django_capture_on_commit_callbacks)
    as_bob = _client(bob)
    urls = _urls(job)

    answers = {
        "change": as_bob.get(urls["change"]).status_code,
        "history": as_bob.get(urls["history"]).status_code,
        "confirm": as_bob.post(urls["confirm"]).status_code,
        "cancel": as_bob.post(urls["cancel"]).status_code,
    }

    assert answers == {"change": 404, "history": 404, "confirm": 404, "cancel": 404}
    job.refresh_from_db()
    assert (job.status, job.confirmed_by, Product.objects.count()) == (
        CatalogImport.Status.PREVIEWED,
        None,
        0,
    )
    # The same answer as for an import that does not exist: nothing tells them apart.
    missing = reverse("admin:catalog_catalogimport_change", args=[job.pk + 1000])
    assert as_bob.get(missing).status_code == 404
    assert _client(alice).get(urls["change"]).status_code == 200


def test_a_manager_sees_every_import_and_confirming_one_makes_the_history_name_them(
    people, tmp_path, django_capture_on_commit_callbacks
):
    alice, _, lead = people
    as_lead = _client(lead)
    _previewed(alice, tmp_path, django_capture_on_commit_callbacks, "listed.csv")
    assert "listed.csv" in as_lead.get(LIST_URL).content.decode()

    job = _confirmed(alice, lead, tmp_path, django_capture_on_commit_callbacks)

    assert (job.status, job.created_by, job.confirmed_by) == (
        CatalogImport.Status.DONE,
        alice,
        lead,
    )
    record = Product.history.get(sku="NEW-1")
    assert (record.history_user, record.history_change_reason) == (
        lead,
        "Import of spring.csv (uploaded by alice)",
    )
    page = as_lead.get(_urls(job)["change"]).content.decode()
    assert "Confirmed by" in page and ">lead<" in page


def test_an_import_confirmed_by_its_uploader_names_only_the_file(
    people, tmp_path, django_capture_on_commit_callbacks
):
    alice, _, _ = people

    _confirmed(alice, alice, tmp_path, django_capture_on_commit_callbacks)

    record = Product.history.get(sku="NEW-1")
    assert (record.history_user, record.history_change_reason) == (alice, "Import of spring.csv")


def test_editor_activity_counts_an_import_for_whoever_confirmed_it(
    people, tmp_path, django_capture_on_commit_callbacks
):
    alice, _, lead = people

    job = _confirmed(alice, lead, tmp_path, django_capture_on_commit_callbacks)

    rows = {r.username: r for r in editor_activity(since=job.created_at)}
    assert "alice" not in rows
    lead_row = rows["lead"]
    assert (lead_row.imports, lead_row.products_imported, lead_row.products_touched) == (1, 1, 1)
    assert lead_row.product_saves == 0  # an import is counted as one, not as its saves


def test_a_manager_can_cancel_another_editors_import(
    people, tmp_path, django_capture_on_commit_callbacks
):
    alice, _, lead = people
    job = _previewed(alice, tmp_path, django_capture_on_commit_callbacks)

    response = _client(lead).post(_urls(job)["cancel"])

    job.refresh_from_db()
    assert response.status_code == 302 and job.status == CatalogImport.Status.CANCELLED


def test_superusers_manage_every_import_and_the_editors_group_does_not(
    people, user_factory, tmp_path, django_capture_on_commit_callbacks
):
    alice, _, _ = people
    _previewed(alice, tmp_path, django_capture_on_commit_callbacks)
    admin = user_factory(is_staff=True, is_superuser=True)

    assert "spring.csv" in _client(admin).get(LIST_URL).content.decode()
    assert not editors_group().permissions.filter(codename="manage_all_imports").exists()


def test_the_history_reason_fits_its_100_characters_and_keeps_the_uploader():
    from django.contrib.auth import get_user_model

    uploader = get_user_model()(pk=1, username="a" * 150)
    job = CatalogImport(file_name="x" * 255 + ".csv", created_by=uploader, confirmed_by_id=2)

    reason = import_reason(job)

    assert len(reason) == 100
    assert reason.startswith("Import of xxx") and "… (uploaded by aaa" in reason
    assert reason.endswith("…)")
