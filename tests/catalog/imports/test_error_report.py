"""An import's error report as a file: one line per problem, under its product, as the
import's page lists them; the uploader's own text never runs as a spreadsheet formula."""

import csv
import io

from catalog.imports.errors import RowError
from catalog.imports.problems import REPORT_COLUMNS, error_report_csv, problem_lines
from catalog.imports.report import ImportReport


def _rows(report: ImportReport) -> list[list[str]]:
    return list(csv.reader(io.StringIO(error_report_csv(report))))


def test_each_problem_is_a_line_under_its_product_as_the_page_lists_it():
    report = ImportReport(
        file_name="spring.csv",
        dry_run=True,
        errors=[
            RowError(3, "price", "'-4': A price cannot be negative.", "min", "TEE-1", "Tee"),
            RowError(7, "price", "'-4': A price cannot be negative.", "min", "TEE-1", "Tee"),
        ],
        error_count=2,
    )

    header, *lines = _rows(report)

    assert tuple(header) == REPORT_COLUMNS
    assert lines == [[line.heading, line.text, line.hint] for line in problem_lines(report)]
    assert lines == [["TEE-1 · Tee", "Price '-4': A price cannot be negative: rows 3 and 7.", ""]]


def test_a_file_refused_whole_says_why_on_its_first_line():
    report = ImportReport(file_name="x.csv", dry_run=True, file_error="The file is empty.")

    assert _rows(report)[1] == ["", "The file is empty.", ""]


def test_text_that_starts_like_a_formula_is_written_as_text():
    report = ImportReport(
        file_name="x.csv",
        dry_run=True,
        errors=[RowError(2, "name", "is required.", "required", "=HYPERLINK(1)", "")],
        error_count=1,
    )

    (line,) = _rows(report)[1:]

    assert line[0] == "'=HYPERLINK(1)"
