"""Exports from the admin: streamed, and only so many at once, per user and for everyone."""

from datetime import timedelta
from functools import partial

import pytest
from django.contrib.messages import get_messages
from django.core.signals import request_finished
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from catalog.imports.export_slots import ExportBusy, export_slot_take
from catalog.imports.exports import XLSX_REPLACEMENT
from catalog.models import ExportSlot
from testkit.on_commit import forget_all
from tests.catalog.test_tree_race import _run_both
from tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("admin:catalog_product_export")
CHANGELIST_URL = reverse("admin:catalog_product_changelist")


@pytest.fixture
def catalog(variant_factory):
    variant_factory(sku="SHIRT-1-M", product__name="Blue\x00 shirt")
    variant_factory(sku="SHIRT-2-M")
    forget_all()


def _held() -> list[str]:
    now = timezone.now()
    return sorted(ExportSlot.objects.filter(expires_at__gt=now).values_list("key", flat=True))


def _close(response) -> None:
    """As the WSGI server closes a response. Unlike a real request, a test's runs inside the
    test's transaction, which Django's end-of-request handler would close: the test client
    disconnects it the same way when a streamed response is read to its end."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def _refusal(response) -> str:
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    return message


def test_a_view_only_user_downloads_the_whole_catalog_as_xlsx_despite_a_nul(
    client, catalog, tmp_path
):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(*_view_product_permission())
    client.force_login(viewer)

    response = client.get(EXPORT_URL, {"format": "xlsx"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="catalog.xlsx"'
    path = tmp_path / "download.xlsx"
    path.write_bytes(b"".join(response.streaming_content))  # closes the response at the end
    book = load_workbook(path, read_only=True)
    names = [row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert f"Blue{XLSX_REPLACEMENT} shirt" in names and len(names) == 2
    assert _held() == []


def _view_product_permission():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="catalog", codename="view_product")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_holds_its_slots_until_its_response_is_closed(
    editor_client, editor, catalog, fmt
):
    response = editor_client.get(EXPORT_URL, {"format": fmt})

    assert _held() == ["all:1", f"user:{editor.pk}:1"]
    _close(response)  # before reading a byte: the client went away
    assert _held() == []


def test_one_export_more_than_a_user_may_run_is_refused_with_a_message(
    editor_client, editor, catalog, settings
):
    settings.CATALOG_EXPORTS_PER_USER = 1
    running = export_slot_take(user_id=editor.pk)

    response = editor_client.get(EXPORT_URL, {"format": "xlsx"})

    assert response["Location"] == CHANGELIST_URL
    assert _refusal(response) == (
        "Your previous export is still running (each person may run 1 export at once): "
        "try again when the download has finished."
    )
    assert _held() == ["all:1", f"user:{editor.pk}:1"]  # the running one's, nothing more
    running.release()
    assert editor_client.get(EXPORT_URL, {"format": "csv"}).status_code == 200


def test_one_export_more_than_everyone_may_run_is_refused_and_keeps_the_list_filter(
    editor_client, catalog, category_factory, settings
):
    settings.CATALOG_EXPORTS_AT_ONCE = 2
    others = [export_slot_take(user_id=EditorFactory().pk) for _ in range(2)]
    shirts = category_factory(slug="shirts")

    response = editor_client.get(EXPORT_URL, {"format": "csv", "category": shirts.pk})

    assert response["Location"] == f"{CHANGELIST_URL}?category__id__exact={shirts.pk}"
    assert _refusal(response) == (
        "2 exports of the catalog are running already, the most at once: try again in a minute."
    )
    assert len(_held()) == 4  # the two others' slots; the refused export holds none
    others[0].release()
    assert editor_client.get(EXPORT_URL, {"format": "csv"}).status_code == 200


def test_a_slot_its_holder_stopped_renewing_is_free_again(editor, settings):
    settings.CATALOG_EXPORTS_AT_ONCE = 1
    export_slot_take(user_id=None)  # then its web process was killed
    with pytest.raises(ExportBusy):
        export_slot_take(user_id=editor.pk)

    ExportSlot.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert export_slot_take(user_id=editor.pk).keys == [f"user:{editor.pk}:1", "all:1"]


def test_a_running_export_renews_its_slots(editor, settings):
    settings.CATALOG_EXPORT_SLOT_SECONDS = 60
    permit = export_slot_take(user_id=editor.pk)
    ExportSlot.objects.update(expires_at=timezone.now() + timedelta(seconds=5))

    permit.renew()  # just taken: not written yet
    assert not ExportSlot.objects.filter(expires_at__gt=timezone.now() + timedelta(seconds=30))
    permit.renewed_at -= 11
    permit.renew()

    renewed = ExportSlot.objects.filter(expires_at__gt=timezone.now() + timedelta(seconds=50))
    assert renewed.count() == 2


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_exports_started_at_the_same_moment_on_their_own_connections_take_each_slot_once(
    settings,
):
    """As from several web processes or hosts: only the database is shared. (MariaDB: the
    SQLite test database lives in shared-cache memory, whose table locks fail at once
    instead of waiting as the file database of the embedded default does.)"""
    settings.CATALOG_EXPORTS_AT_ONCE = 3
    users = [UserFactory().pk for _ in range(12)]

    def export(user_id: int) -> list[str] | None:
        try:
            return export_slot_take(user_id=user_id).keys
        except ExportBusy:
            return None

    results, errors = _run_both(*(partial(export, user_id) for user_id in users))

    assert errors == []
    taken = [keys for keys in results if keys is not None]
    assert sorted(keys[1] for keys in taken) == ["all:1", "all:2", "all:3"]
    assert len(_held()) == 6  # three exports, each with its user's slot and one of all
