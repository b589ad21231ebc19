"""An upload larger than ``CATALOG_IMPORT_MAX_BYTES`` is refused while it arrives.

Django's own handlers keep a whole upload (in memory up to 2.5 MB, then in a temporary
file) before any view sees its size: a 5 GB body would be written to disk first, then
refused. This handler, first in ``FILE_UPLOAD_HANDLERS``, stops reading the request as
soon as its size is known to be too large: from ``Content-Length`` when the file part
begins, else by counting the file's bytes as they come. Fields before the file (the
CSRF token) are kept, so the view answers with a form error (``upload_refusal``); the
rest of the body is never read (the client may see the connection reset instead of the
page when it is still sending).
"""

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from catalog.imports.files import max_bytes

#: A multipart body carries a little more than its file: boundaries, part headers, the
#: form's other fields (the CSRF token). A body larger than the limit plus this is refused.
BODY_OVERHEAD = 64 * 1024


class CappedUploadHandler(FileUploadHandler):
    """Stops an upload over the limit; every byte it lets through goes to the next handler."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_bytes()
        self.body_length = 0
        #: Why the upload was stopped, for the form; empty while it is not.
        self.refusal = ""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        self.body_length = content_length

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.body_length > self.limit + BODY_OVERHEAD:
            self._stop(self.body_length)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self._stop(start + len(raw_data), at_least=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _stop(self, size: int, *, at_least: bool = False) -> None:
        name = self.file_name or "The upload"
        self.refusal = (
            f"{name} is {'over ' if at_least else ''}{size / 1e6:.1f} MB; the largest file "
            f"accepted is {self.limit / 1e6:.1f} MB. Nothing of it was kept."
        )
        raise StopUpload(connection_reset=True)


def upload_refusal(request: HttpRequest) -> str:
    """Why this request's upload was stopped (read after ``request.FILES``); empty if not."""
    for handler in request.upload_handlers:
        if isinstance(handler, CappedUploadHandler) and handler.refusal:
            return handler.refusal
    return ""
