"""Uploads are bounded per request and per editor: a body over the limit is stopped while it
arrives (never spooled whole), and an editor keeps a limited number of uploads waiting."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.imports.jobs import catalog_import_upload
from catalog.models import CatalogImport
from tests.catalog.imports.conftest import row, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

IMPORT_URL = reverse("admin:catalog_product_import")
BOUNDARY = "BoUnDaRy"
MB = 1_000_000


class _Body:
    """A multipart body of ``size`` bytes made up as it is read: one huge CSV file part.

    Counts what the server read, so the test sees where it stopped; nothing of it is
    ever held whole, here or (if the cap works) on the server.
    """

    def __init__(self, size: int) -> None:
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        self.size = size
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        left = self.size - self.read_bytes
        size = left if size is None or size < 0 else min(size, left)
        start, self.read_bytes = self.read_bytes, self.read_bytes + size
        head = self.head[start : start + size]
        return head + b"x" * (size - len(head))

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def _post_body(client, body: _Body):
    return client.generic(
        "POST",
        IMPORT_URL,
        **{
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(body.size),
            "wsgi.input": body,
        },
    )


def _stored_files() -> list[Path]:
    return list((Path(settings.VAR_DIR) / "imports").glob("*"))


def test_an_oversized_upload_is_stopped_while_it_arrives_with_a_form_error(editor_client, settings):
    settings.CATALOG_IMPORT_MAX_BYTES = 1 * MB
    body = _Body(50 * MB)

    response = _post_body(editor_client, body)

    assert response.status_code == 200
    page = response.content.decode()
    assert "huge.csv is 50.0 MB; the largest file accepted is 1.0 MB." in page
    assert "This field is required" not in page
    # Stopped at the file's first bytes: not even the limit's worth was read.
    assert body.read_bytes < settings.CATALOG_IMPORT_MAX_BYTES // 4
    assert not CatalogImport.objects.exists() and not _stored_files()


def test_a_file_part_past_the_limit_is_stopped_once_its_bytes_pass_it(editor_client, settings):
    # A body that says it fits, whose file does not: counted as it comes.
    settings.CATALOG_IMPORT_MAX_BYTES = 1 * MB
    body = _Body(1 * MB + 20_000)

    response = _post_body(editor_client, body)

    assert "huge.csv is over 1.0 MB; the largest file accepted is 1.0 MB." in (
        response.content.decode()
    )
    assert not CatalogImport.objects.exists() and not _stored_files()


def test_an_upload_within_the_limit_goes_through(editor_client, tmp_path, settings):
    path = write_csv(tmp_path / "small.csv", [row()])
    settings.CATALOG_IMPORT_MAX_BYTES = path.stat().st_size

    response = editor_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile(path.name, path.read_bytes())}
    )

    assert response.status_code == 302 and CatalogImport.objects.count() == 1


def _waiting(user, status, name: str) -> CatalogImport:
    return CatalogImport.objects.create(file_name=name, created_by=user, status=status)


def test_an_editor_with_the_most_uploads_waiting_is_refused_with_their_names(
    editor_client, editor, editor_factory, tmp_path, settings
):
    settings.CATALOG_IMPORT_MAX_KEPT_PREVIEWS = 2
    first = _waiting(editor, CatalogImport.Status.PREVIEWED, "monday.csv")
    second = _waiting(editor, CatalogImport.Status.CHECKING, "tuesday.csv")
    _waiting(editor, CatalogImport.Status.DONE, "imported.csv")  # ended: not kept
    _waiting(editor_factory(), CatalogImport.Status.PREVIEWED, "theirs.csv")  # another's
    path = write_csv(tmp_path / "wednesday.csv", [row()])

    response = editor_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile(path.name, path.read_bytes())}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        f"You already have 2 uploads waiting, the most kept at once: monday.csv (import "
        f"{first.pk}), tuesday.csv (import {second.pk}). Confirm or cancel one of them"
    ) in page
    assert not CatalogImport.objects.filter(file_name="wednesday.csv").exists()
    assert not _stored_files()

    editor_client.post(reverse("admin:catalog_catalogimport_cancel", args=[first.pk]))
    response = editor_client.post(
        IMPORT_URL, {"file": SimpleUploadedFile(path.name, path.read_bytes())}
    )
    assert response.status_code == 302
    assert CatalogImport.objects.filter(file_name="wednesday.csv").exists()


def test_the_systems_own_uploads_have_no_quota(tmp_path, settings):
    settings.CATALOG_IMPORT_MAX_KEPT_PREVIEWS = 1
    path = write_csv(tmp_path / "bench.csv", [row()])

    for _ in range(2):
        catalog_import_upload(upload=SimpleUploadedFile(path.name, path.read_bytes()), user=None)

    assert CatalogImport.objects.count() == 2
