"""Commands facing a database that is not there: one readable line, non-zero, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOWHERE_DB = "mysql://root@127.0.0.1:1/catalog"  # nothing listens on port 1

pytestmark = pytest.mark.slow  # a fresh Python and Django per command: ~1 s each


def _manage(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DJANGO_ENV": "test", **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["seed_catalog", "--products", "5"], ""),
        (["create_editor", "zoe", "--password-stdin"], "a-long-enough-passphrase\n"),
        (["create_demo_admin"], ""),
        (["recompute_stats", "--all"], ""),
        (["queue_status"], ""),
    ],
)
def test_an_unreachable_database_is_one_line_and_a_non_zero_exit(args, stdin):
    result = _manage(*args, stdin=stdin, DATABASE_URL=NOWHERE_DB)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CommandError: Database unavailable:"), lines[0]
