"""What one import file may hold: the ``CATALOG_IMPORT_*`` settings, read once per import.

Every limit exists so that no file, however hostile, can take the import worker's memory
or time: a file is refused (or its reading stopped) as soon as it passes one, with a
sentence that names the limit and the setting that raises it. Read at each import, not at
import time, so that a test's ``settings`` fixture can lower them.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ImportLimits:
    #: The file itself, in bytes (upload and command).
    max_bytes: int
    #: Data rows read, blank ones included.
    max_rows: int
    #: Cells in a row, trailing empty cells aside.
    max_columns: int
    #: Characters in a cell.
    max_cell_chars: int
    #: Row errors after which reading stops.
    stop_after_errors: int
    #: Row errors of each kind kept in the report.
    report_errors_per_kind: int
    #: XLSX: every part together, inflated.
    xlsx_max_bytes: int
    #: XLSX: a part read whole (not streamed), inflated.
    xlsx_max_part_bytes: int
    #: XLSX: inflated size over compressed size, for a part of more than 1 MiB.
    xlsx_max_ratio: int
    #: XLSX: strings in the shared-string table.
    xlsx_max_shared_strings: int

    @classmethod
    def from_settings(cls) -> "ImportLimits":
        return cls(
            max_bytes=int(settings.CATALOG_IMPORT_MAX_BYTES),
            max_rows=int(settings.CATALOG_IMPORT_MAX_ROWS),
            max_columns=int(settings.CATALOG_IMPORT_MAX_COLUMNS),
            max_cell_chars=int(settings.CATALOG_IMPORT_MAX_CELL_CHARS),
            stop_after_errors=int(settings.CATALOG_IMPORT_STOP_AFTER_ERRORS),
            report_errors_per_kind=int(settings.CATALOG_IMPORT_REPORT_ERRORS_PER_KIND),
            xlsx_max_bytes=int(settings.CATALOG_IMPORT_XLSX_MAX_BYTES),
            xlsx_max_part_bytes=int(settings.CATALOG_IMPORT_XLSX_MAX_PART_BYTES),
            xlsx_max_ratio=int(settings.CATALOG_IMPORT_XLSX_MAX_RATIO),
            xlsx_max_shared_strings=int(settings.CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS),
        )

    @property
    def max_record_chars(self) -> int:
        """The longest CSV record (or XLSX row, in bytes of XML) a file of the layout can
        need: every cell full, quoted and escaped. Anything longer is not a catalog row."""
        return self.max_columns * (2 * self.max_cell_chars + 3)
