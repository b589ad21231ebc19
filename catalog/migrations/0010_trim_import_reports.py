"""Trim the import reports that earlier versions stored whole (#22).

Before #22 a report listed every row error: a file of a million junk rows stored one of
338 MB, and every view of Catalog > Imports loaded it (5-10 s, 2.4 GB in the web
process). Reports are now bounded when they are made; this rewrites the old large ones
in the same bounded form, so that no page has to tolerate them forever.

The large report is never loaded whole, here either: its size is measured by the
database, and only its counts and first entries are read (JSON paths, evaluated by the
database), one report at a time.
"""

from typing import Any

from django.db import migrations
from django.db.models import TextField
from django.db.models.functions import Cast, Length

#: Reports larger than this (characters of JSON) are rewritten; a bounded one is smaller.
LARGE = 256 * 1024
#: Entries kept of each list.
KEPT = 20
#: Characters kept of a message or of a changed value.
CHARS = 300

_SCALARS = ("file_name", "dry_run", "rows", "products", "new", "changed", "unchanged", "applied")


def _cut(text: object) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= CHARS else text[: CHARS - 3] + "..."


def _length(connection: Any, pk: int, key: str) -> int:
    function = "JSON_LENGTH" if connection.vendor == "mysql" else "json_array_length"
    table = connection.ops.quote_name("catalog_catalogimport")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(report, '$.{key}') FROM {table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def _firsts(imports: Any, pk: int, key: str) -> list[Any]:
    paths = [f"report__{key}__{index}" for index in range(KEPT)]
    row = imports.filter(pk=pk).values(*paths).get()
    return [row[path] for path in paths if row[path] is not None]


def _trimmed(imports: Any, connection: Any, pk: int) -> dict[str, Any]:
    report = imports.filter(pk=pk).values(*(f"report__{key}" for key in _SCALARS)).get()
    trimmed: dict[str, Any] = {key: report[f"report__{key}"] for key in _SCALARS}
    trimmed["file_error"] = _cut(
        imports.filter(pk=pk).values("report__file_error").get()["report__file_error"]
    )
    trimmed["errors"] = [
        {"line": e["line"], "column": e["column"], "message": _cut(e["message"]), "rule": ""}
        for e in _firsts(imports, pk, "errors")
    ]
    trimmed["error_count"] = _length(connection, pk, "errors")
    trimmed["error_kinds"] = []
    trimmed["stopped_at"] = 0
    trimmed["conflicts"] = _firsts(imports, pk, "conflicts")
    trimmed["conflict_count"] = _length(connection, pk, "conflicts")
    trimmed["changes"] = [
        {
            "sku": c["sku"],
            "line": c["line"],
            "changes": [
                {"field": _cut(f["field"]), "old": _cut(f["old"]), "new": _cut(f["new"])}
                for f in c["changes"][:KEPT]
            ],
        }
        for c in _firsts(imports, pk, "changes")
    ]
    trimmed["new_skus"] = _firsts(imports, pk, "new_skus")
    return trimmed


def trim_reports(apps: Any, schema_editor: Any) -> None:
    imports = apps.get_model("catalog", "CatalogImport").objects
    large = (
        imports.annotate(size=Length(Cast("report", TextField())))
        .filter(size__gt=LARGE)
        .values_list("pk", flat=True)
    )
    for pk in list(large):
        imports.filter(pk=pk).update(report=_trimmed(imports, schema_editor.connection, pk))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_catalog_import_owner_and_heartbeat")]

    operations = [migrations.RunPython(trim_reports, migrations.RunPython.noop, elidable=True)]
