"""How much of an oversized upload the web process reads and keeps, with the upload cap
(``catalog.imports.uploads.CappedUploadHandler`` first in ``FILE_UPLOAD_HANDLERS``) and,
as the baseline in the same run, with Django's own handlers alone.

Each body is a multipart request with one CSV file part, made up as it is read (nothing
of it is held here); the request is parsed as Django parses every upload
(``request.FILES``). Needs no database or broker:

    .venv/bin/python bench/upload_cap.py [--sizes-mb 200,5000] [--baseline-mb 200]

The baseline spools its whole body to a temporary file: keep ``--baseline-mb`` within
the free space of the temporary directory.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest

BOUNDARY = "BenchBoundary"


class MadeUpBody:
    """A multipart body of ``size`` bytes, written as it is read; counts what was read."""

    def __init__(self, size: int) -> None:
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.read_bytes = 0

    def _byte_range(self, start: int, end: int) -> bytes:
        filler_end = self.size - len(self.tail)
        head = self.head[start:end]
        filler = max(0, min(end, filler_end) - max(start, len(self.head)))
        tail = self.tail[max(0, start - filler_end) : max(0, end - filler_end)]
        return head + b"x" * filler + tail

    def read(self, size: int = -1) -> bytes:
        left = self.size - self.read_bytes
        size = left if size is None or size < 0 else min(size, left)
        start, self.read_bytes = self.read_bytes, self.read_bytes + size
        return self._byte_range(start, start + size)

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def parse(size: int, handlers: list[str]) -> tuple[int, int, float]:
    """(bytes read, bytes kept in the uploaded file, seconds) for one body of ``size``."""
    settings.FILE_UPLOAD_HANDLERS = handlers
    body = MadeUpBody(size)
    request = WSGIRequest(
        {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(size),
            "wsgi.input": body,
            "PATH_INFO": "/",
            "SERVER_NAME": "bench",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
        }
    )
    started = time.perf_counter()
    files = request.FILES
    elapsed = time.perf_counter() - started
    kept = sum(f.size or 0 for f in files.values())
    for upload in files.values():
        upload.close()
    return body.read_bytes, kept, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", default="200,5000")
    parser.add_argument("--baseline-mb", type=int, default=200)
    args = parser.parse_args()
    capped = list(settings.FILE_UPLOAD_HANDLERS)
    django_only = [h for h in capped if not h.endswith("CappedUploadHandler")]
    limit = settings.CATALOG_IMPORT_MAX_BYTES
    print(f"CATALOG_IMPORT_MAX_BYTES = {limit:,}")
    base_size = args.baseline_mb * 1_000_000
    base_read, base_kept, base_s = parse(base_size, django_only)
    print(
        f"baseline, Django's handlers alone, body {args.baseline_mb:,} MB: read "
        f"{base_read:,} B, kept {base_kept:,} B, {base_s:.3f} s"
    )
    for mb in (int(x) for x in args.sizes_mb.split(",")):
        read, kept, seconds = parse(mb * 1_000_000, capped)
        print(
            f"capped, body {mb:,} MB: read {read:,} B, kept {kept:,} B, {seconds * 1000:.2f} ms; "
            f"read / baseline's read: {read / base_read:.5f}"
        )


if __name__ == "__main__":
    main()
