"""``manage.py bulk_edit`` as an operator runs it: a fresh process on the embedded default
(SQLite and the embedded broker, no worker), its output and exit status."""

import pytest

from tests.config.test_command_arguments import one_line
from tests.config.test_commands_unavailable import _manage

pytestmark = pytest.mark.slow  # a fresh Python and Django per command: ~1 s each


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, str]:
    """The environment of a migrated embedded setup with 30 demo products, shared by the
    file's tests (bad input writes nothing; the one edit is undone)."""
    var = tmp_path_factory.mktemp("bulk-edit-process")
    env = {"CATALOG_VAR_DIR": str(var), "DATABASE_URL": "", "CELERY_BROKER_URL": ""}
    for args in (["migrate", "-v", "0"], ["seed_catalog", "--products", "30"]):
        assert _manage(*args, **env).returncode == 0
    return env


def test_with_no_worker_the_command_applies_the_edit_itself_and_undoes_it(demo):
    edit = _manage(
        "bulk_edit", "--category", "clothing", "--sku", "DEMO-000001", "--price-percent", "-5",
        "--worker-wait", "1", **demo,
    )  # fmt: skip

    assert edit.returncode == 0, edit.stderr
    lines = edit.stdout.splitlines()
    assert lines[0].startswith("Bulk edit 1 queued: ")
    assert "No worker started bulk edit 1: applying it here." in lines
    assert "100% |" in lines[-2]
    assert lines[-1].startswith("Bulk edit 1 done: ")

    undo = _manage("bulk_edit", "--undo", "1", **demo)

    assert undo.returncode == 0, undo.stderr
    assert undo.stdout.splitlines()[-1].startswith("Bulk edit 1 undone: ")
    assert "conflict:" not in undo.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--category", "nowhere", "--price-percent", "5"], "CommandError: No category 'nowhere'"),
        (["--sku", "DEMO-000001"], "CommandError: Say what to change"),
        (["--price-percent", "5"], "CommandError: Select products"),
        (["--undo", "one"], "argument --undo: 'one' is not a whole number"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(demo, args, expected):
    assert expected in one_line(_manage("bulk_edit", *args, **demo))
