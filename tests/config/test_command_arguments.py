"""Every command's bad argument: one readable line and a non-zero exit, never a traceback.

Run as an operator runs them (a fresh ``manage.py`` process): argparse's own errors come
out of Django's parser, whose usage text used to come first, and a number out of range
used to reach Python or the database (an OverflowError, a date out of range, a sleep
of ``nan``) and end in a traceback.
"""

import os
import subprocess
import sys

import pytest

from tests.config.test_commands_unavailable import ROOT, _manage

pytestmark = pytest.mark.slow  # a fresh Python and Django per command: ~1 s each


def one_line(result: subprocess.CompletedProcess) -> str:
    """The one line a refusal prints on stderr (and nothing on stdout)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["seed_catalog", "--products", str(10**12)],
            "manage.py seed_catalog: error: argument --products: 1,000,000,000,000 is out of "
            "range: 0 to 999,999 products (--help lists the arguments)",
        ),
        (["seed_catalog", "--products", "10**12"], "'10**12' is not a whole number"),
        (["seed_catalog", "-v", "9"], "argument -v/--verbosity: invalid choice: 9"),
        (
            ["prune_history", "--older-than", "1000000"],
            "argument --older-than: 1,000,000 is out of range: 1 to 36,500 days",
        ),
        (["prune_history"], "the following arguments are required: --older-than"),
        (
            ["recompute_stats", "--products", str(10**20)],
            "argument --products: 100,000,000,000,000,000,000 is out of range: 1 to",
        ),
        (["recompute_stats", "--products", "0"], "argument --products: 0 is out of range"),
        (
            ["recompute_stats", "--all", "--wait", "--poll", "-1"],
            "argument --poll: -1 is out of range: more than 0 and at most 60 seconds",
        ),
        (
            ["recompute_stats", "--all", "--chunk-size", str(10**11)],
            "--chunk-size: 100,000,000,000",
        ),
        (["queue_status", "--watch", "inf"], "argument --watch: inf is out of range"),
        (["queue_status", "--watch", "nan"], "argument --watch: nan is out of range"),
        (["queue_status", "--watch", "soon"], "'soon' is not a number of seconds"),
        (["export_catalog", "--format", "pdf"], "argument --format: invalid choice: 'pdf'"),
        (["export_catalog", "--format", "xlsx"], "CommandError: An XLSX export needs --output"),
        (
            ["export_catalog", "--output", "/nonexistent/catalog.csv"],
            "CommandError: Cannot write /nonexistent/catalog.csv: No such file or directory.",
        ),
        (["history_baseline", "now"], "unrecognized arguments: now"),
        (
            ["create_editor", "<b>bob</b>", "--password-stdin"],
            "CommandError: Username '<b>bob</b>' refused: Enter a valid username.",
        ),
        (["create_editor", "bob smith"], "CommandError: Username 'bob smith' refused:"),
        (["create_demo_admin", "--name", "x"], "unrecognized arguments: --name x"),
    ],
)
def test_a_bad_argument_is_one_line_and_a_non_zero_exit(args, expected):
    assert expected in one_line(_manage(*args))


def test_an_export_into_a_pipe_closed_early_ends_quietly(tmp_path):
    """``export_catalog | head``: the reader leaves after one line, the export says nothing."""
    embedded = {"CATALOG_VAR_DIR": str(tmp_path), "DATABASE_URL": "", "CELERY_BROKER_URL": ""}
    for args in (["migrate", "-v", "0"], ["seed_catalog", "--products", "2000"]):
        assert _manage(*args, **embedded).returncode == 0
    export = subprocess.Popen(
        [sys.executable, "manage.py", "export_catalog"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_ENV": "test", **embedded},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout is not None and export.stderr is not None
    assert export.stdout.readline().startswith(b"product_sku,name,")
    export.stdout.close()  # as head does after its lines; the catalog is ~1 MB of CSV

    assert export.wait(timeout=120) == 128 + 13  # as a shell reports SIGPIPE
    assert export.stderr.read() == b""
