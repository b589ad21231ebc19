"""Editors > Jobs: one's own jobs of every kind, everyone's with the permission; Stop
through each kind's own action and back; the error report; the header's link."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from catalog.models import BulkEdit, CatalogImport
from config.jobs import jobs_in_progress
from editors.job_centre import MAX_PAGES, PER_PAGE, job_page_number
from stats.bulk.models import BulkRun
from tests.catalog.imports.test_ownership import _client
from tests.editors.test_editor_words import _refused_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_request_commits")]

JOBS = reverse("admin:editors_job_changelist")


@pytest.fixture
def people(editor_factory):
    alice, bob, lead = (editor_factory(username=name) for name in ("alice", "bob", "lead"))
    lead.user_permissions.add(Permission.objects.get(codename="view_all_jobs"))
    return alice, bob, lead


def _listed(client, kind: str):
    (row,) = [r["row"] for r in client.get(JOBS).context["rows"] if r["row"].kind == kind]
    return row


def _jobs_of(user, tmp_path) -> dict[str, object]:
    return {
        "import": _refused_import(user, tmp_path / f"{user.username}.csv"),
        "edit": BulkEdit.objects.create(
            created_by=user,
            status=BulkEdit.Status.RUNNING,
            summary="price +10%",
            selection="category shirts",
            total=10,
            done=4,
            started_at=timezone.now() - timezone.timedelta(seconds=30),
        ),
        "run": BulkRun.objects.create(
            trigger=BulkRun.Trigger.EDITOR,
            started_by=user,
            scope=BulkRun.Scope.ALL,
            chunk_size=100,
            rate_limit="30/h",
            products_total=100,
        ),
    }


def test_an_editor_sees_their_own_jobs_of_every_kind(people, tmp_path):
    alice, bob, _ = people
    mine, _ = _jobs_of(alice, tmp_path), _jobs_of(bob, tmp_path)

    response = _client(alice).get(JOBS)

    rows = response.context["rows"]
    assert {(r["row"].kind, r["row"].id) for r in rows} == {
        ("Import", mine["import"].pk),
        ("Bulk edit", mine["edit"].pk),
        ("Statistics recompute", mine["run"].pk),
    }
    text = response.text
    assert "Failed" in text and "The file has errors" in text
    assert "4 of 10 products (40%)" in text and "about 45 seconds" in text
    assert "Queued" in text
    assert 'data-live-refresh="3"' in text  # something is still going
    assert "Only mine" not in text and "Everyone's" not in text


def test_the_permission_shows_everyones_jobs_and_only_mine_on_request(people, tmp_path):
    alice, bob, lead = people
    _jobs_of(alice, tmp_path), _jobs_of(bob, tmp_path)
    client = _client(lead)

    everyone = client.get(JOBS).context["rows"]
    mine = client.get(JOBS + "?mine=1").context["rows"]

    assert {r["row"].who for r in everyone} == {"alice", "bob"}
    assert mine == []


def test_stop_posts_the_kinds_own_action_and_comes_back_here(people, tmp_path):
    alice, _, _ = people
    job = _jobs_of(alice, tmp_path)["edit"]
    client = _client(alice)
    row = _listed(client, "Bulk edit")

    response = client.post(row.stop_url, {"next": JOBS}, follow=True)

    assert response.redirect_chain[-1][0] == JOBS
    job.refresh_from_db()
    assert job.status == BulkEdit.Status.CANCELLED
    assert f"Bulk edit {job.pk} stopped after 4 products" in response.text
    row = next(r["row"] for r in response.context["rows"] if r["row"].kind == "Bulk edit")
    assert (row.status, row.stop_url) == ("stopped", "")


def test_stop_never_sends_anyone_to_another_site(people, tmp_path):
    alice, _, _ = people
    job = _jobs_of(alice, tmp_path)["edit"]

    response = _client(alice).post(
        reverse("admin:catalog_bulkedit_cancel", args=[job.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("admin:catalog_bulkedit_change", args=[job.pk])


def test_the_error_report_downloads_as_csv_and_anothers_answers_404(people, tmp_path):
    alice, bob, _ = people
    job = _jobs_of(alice, tmp_path)["import"]
    row = _listed(_client(alice), "Import")

    response = _client(alice).get(row.report_url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="import-{job.pk}-errors.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "Product,Problem,How to fix"
    assert any("cannot be negative" in line for line in lines)
    assert _client(bob).get(row.report_url).status_code == 404


def test_an_import_without_problems_has_no_error_report(people):
    alice, _, _ = people
    job = CatalogImport.objects.create(file_name="ok.csv", created_by=alice, status="done")

    url = reverse("admin:catalog_catalogimport_report", args=[job.pk])

    assert _client(alice).get(url).status_code == 404


def test_older_jobs_are_a_page_further(people, monkeypatch):
    alice, _, _ = people
    monkeypatch.setattr("editors.job_centre.PER_PAGE", 2)
    for number in range(3):
        CatalogImport.objects.create(file_name=f"{number}.csv", created_by=alice, status="done")
    client = _client(alice)

    first, second = client.get(JOBS), client.get(JOBS + "?page=2")

    assert [r["row"].what for r in first.context["rows"]] == ["Import of 2.csv", "Import of 1.csv"]
    assert first.context["next_url"] == "?page=2"
    assert [r["row"].what for r in second.context["rows"]] == ["Import of 0.csv"]
    assert (second.context["next_url"], second.context["previous_url"]) == ("", "?page=1")


@pytest.mark.parametrize(
    ("value", "number"), [(None, 1), ("2", 2), ("x", 1), ("-3", 1), ("99999", MAX_PAGES)]
)
def test_the_page_number_stays_within_the_pages_offered(value, number):
    assert job_page_number(value) == number
    assert PER_PAGE * MAX_PAGES <= 1000  # what one page may ask each kind for, at most


def test_no_jobs_says_what_will_be_listed(people):
    alice, _, _ = people
    assert "No jobs yet." in _client(alice).get(JOBS).text


def test_the_header_counts_ones_own_jobs_in_progress_in_one_query(
    people, tmp_path, django_assert_num_queries
):
    alice, bob, _ = people
    _jobs_of(alice, tmp_path)  # a refused import (ended), a running bulk edit, a queued run
    _jobs_of(bob, tmp_path)
    CatalogImport.objects.create(file_name="x.csv", created_by=alice, status="importing")

    with django_assert_num_queries(1):
        assert jobs_in_progress(alice) == 3

    page = _client(alice).get(reverse("admin:catalog_product_changelist")).text
    assert f'<a href="{JOBS}" id="jobs-link">Jobs (3 in progress)</a>' in page


def test_every_admin_page_links_the_jobs_in_its_header(people):
    alice, _, _ = people
    page = _client(alice).get(reverse("admin:catalog_product_changelist")).text
    assert f'<a href="{JOBS}" id="jobs-link">Jobs</a>' in page


def test_stop_of_an_import_and_of_a_run_are_their_own_cancels(people, tmp_path):
    alice, _, _ = people
    waiting = CatalogImport.objects.create(
        file_name="waiting.csv", created_by=alice, status=CatalogImport.Status.PREVIEWED
    )
    run = _jobs_of(alice, tmp_path)["run"]
    client = _client(alice)

    rows = {(r["row"].kind, r["row"].id): r["row"] for r in client.get(JOBS).context["rows"]}
    stop = rows["Import", waiting.pk].stop_url
    stopped_import = client.post(stop, {"next": JOBS}, follow=True)
    stopped_run = client.post(
        _listed(client, "Statistics recompute").stop_url, {"next": JOBS}, follow=True
    )

    assert "Import cancelled; nothing was saved." in stopped_import.text
    assert f"Bulk run {run.pk} cancelled" in stopped_run.text
    assert stopped_run.redirect_chain[-1][0] == JOBS
    waiting.refresh_from_db()
    run.refresh_from_db()
    assert (waiting.status, run.status) == ("cancelled", "cancelled")


def test_the_page_reads_as_many_rows_and_queries_with_ten_jobs_as_with_hundreds(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice, _, _ = people
    client = _client(alice)

    def add(count: int) -> None:
        for _ in range(count):
            CatalogImport.objects.create(file_name="a.csv", created_by=alice, status="done")
            BulkEdit.objects.create(created_by=alice, status="done", summary="s", selection="x")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(JOBS)
        assert len(response.context["rows"]) == min(PER_PAGE, CatalogImport.objects.count() * 2)
        return len(captured)

    add(5)
    queries()  # warm-up: session and permission caches
    few = queries()
    add(200)
    assert queries() == few
