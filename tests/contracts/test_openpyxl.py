"""Contracts with openpyxl (config.upstream: "openpyxl read-only reader", "openpyxl write-only
sheet file"): a workbook written by openpyxl is read and written through its own classes."""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet


def _workbook(path: Path) -> Path:
    book = Workbook()
    book.active.title = "First"
    book.active.append(["sku", "name"])
    book.create_sheet("Second").append(["x"])
    book.save(path)
    return path


def test_the_reader_reads_through_its_archive_in_steps_we_replace(tmp_path):
    steps: list[str] = []

    class Reader(ExcelReader):
        def read_strings(self):
            steps.append("strings")
            super().read_strings()

        def read_worksheets(self):
            steps.append("worksheets")
            for sheet, rel in self.parser.find_sheets():
                if rel.target in self.valid_files:
                    self.wb._sheets.append(
                        ReadOnlyWorksheet(self.wb, sheet.name, rel.target, self.shared_strings)
                    )
                    return

    reader = Reader(_workbook(tmp_path / "book.xlsx"), read_only=True)
    opened = reader.archive
    reader.read()

    assert steps == ["strings", "worksheets"]
    assert reader.archive is opened and opened.fp is not None  # read-only: left open
    assert "xl/worksheets/sheet1.xml" in reader.valid_files
    assert [ws.title for ws in reader.wb.worksheets] == ["First"]  # only the one we added
    assert [list(row) for row in reader.wb.worksheets[0].values] == [["sku", "name"]]
    opened.close()


def test_a_read_only_sheet_sizes_itself_through_get_size_only(tmp_path):
    calls: list[str] = []

    class Unsized(ReadOnlyWorksheet):
        def _get_size(self):
            calls.append("_get_size")

    class Reader(ExcelReader):
        def read_worksheets(self):
            sheet, rel = next(iter(self.parser.find_sheets()))
            self.wb._sheets.append(Unsized(self.wb, sheet.name, rel.target, self.shared_strings))

    reader = Reader(_workbook(tmp_path / "book.xlsx"), read_only=True)
    reader.read()
    sheet = reader.wb.worksheets[0]

    assert calls == ["_get_size"]
    assert [list(row) for row in sheet.values] == [["sku", "name"]]  # rows read all the same
    reader.archive.close()


def test_a_write_only_sheets_temporary_file_is_its_writers():
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    assert sheet._writer is None  # nothing to remove before the first row
    sheet.append(["sku"])
    out = Path(sheet._writer.out)
    assert out.exists()

    sheet.close()
    sheet._writer.cleanup()

    assert not out.exists()
