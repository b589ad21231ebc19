"""The one table of queues and worker roles (config/queues.py) against what restates it.

The Procfile cannot import the table, and the deployment files are generated from the
Procfile: each worker line must run its role's queues (``-Q``), processes (``-c``) and
node name, or a deployment would consume the wrong queues, or none, without any error.
Elsewhere a queue is named by its constant: a literal would be a second table.
"""

import ast
import configparser
import re
import shlex
import subprocess

import pytest
import yaml

from config.process_manager.deployment import OPS
from config.process_manager.procfile import ROOT, procfile_commands
from config.queues import (
    QUEUE_DEFAULT,
    QUEUE_STATS_BATCH_SHARD_PREFIX,
    QUEUES,
    ROLES,
    consumed_queue_names,
    role_queue_names,
)

#: Options that take a value on a ``celery worker`` command line (the others are flags).
VALUED = {"-A", "-Q", "-c", "-n", "-l", "--max-tasks-per-child", "--prefetch-multiplier"}


def _worker_options(command: str) -> dict[str, str] | None:
    """The options of a ``celery ... worker`` command line; None for another process."""
    words = shlex.split(command)
    if words[:1] != ["celery"] or "worker" not in words:
        return None
    options, rest = {}, iter(words[1:])
    for word in rest:
        if word in VALUED:
            options[word] = next(rest)
        elif word.startswith("-"):
            options[word] = ""
    return options


def _systemd_commands() -> dict[str, str]:
    commands = {}
    for name in procfile_commands():
        unit = configparser.RawConfigParser(strict=False)
        unit.read(OPS / "systemd" / f"catalog-{name}.service")
        exec_start = unit["Service"]["ExecStart"].replace("%%", "%").replace("$$", "$")
        commands[name] = shlex.split(exec_start)[2].removeprefix("exec ")
    return commands


def _compose_commands() -> dict[str, str]:
    services = yaml.safe_load((OPS / "compose.yaml").read_text())["services"]
    return {
        name: service["command"][2].replace("$$", "$").removeprefix("exec ")
        for name, service in services.items()
    }


SOURCES = {
    "Procfile": procfile_commands,
    "ops/systemd": _systemd_commands,
    "ops/compose.yaml": _compose_commands,
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_each_worker_role_runs_as_one_process_consuming_exactly_its_queues(source):
    workers = {
        name: options
        for name, command in SOURCES[source]().items()
        if (options := _worker_options(command)) is not None
    }
    assert sorted(workers) == sorted(role.process for role in ROLES), source
    for role in ROLES:
        options = workers[role.process]
        assert options["-Q"].split(",") == role_queue_names(role.name), (source, role.name)
        assert options["-c"] == str(role.concurrency), (source, role.name)
        assert options["-n"] == f"{role.name}@%h", (source, role.name)
        assert options.get("--max-tasks-per-child") == (
            None if role.max_tasks_per_child is None else str(role.max_tasks_per_child)
        ), (source, role.name)
        # Prefetch is the role's rule (config/workers.py): Celery 5 would ignore 0 here.
        assert "--prefetch-multiplier" not in options, (source, role.name)


def test_every_queue_readiness_requires_is_consumed_by_a_procfile_worker():
    consumed = {
        queue
        for command in procfile_commands().values()
        if (options := _worker_options(command)) is not None
        for queue in options["-Q"].split(",")
    }
    assert consumed == set(consumed_queue_names())
    assert QUEUE_DEFAULT not in consumed  # nothing is routed there: no worker waits on it


def test_every_task_is_routed_to_one_queue_only():
    routes = [task for queue in QUEUES for task in queue.routes]
    assert len(routes) == len(set(routes))


def _string_literals(path):
    """Every string constant of a module but its docstrings (prose, like the docs)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docstrings:
            yield node.lineno, node.value


def _queue_literals(path) -> list[str]:
    """Where a string constant of ``path`` names a queue (a word of it is a queue's name)."""
    # "default" is also Django's word for a database, a storage, a JSON fallback...: its
    # constant is QUEUE_DEFAULT, but a literal "default" cannot be told from the others.
    names = {queue.name for queue in QUEUES} - {QUEUE_DEFAULT}
    return [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}: {value!r}"
        for line, value in _string_literals(path)
        if any(
            word in names or word.startswith(QUEUE_STATS_BATCH_SHARD_PREFIX)
            for word in re.split(r"[^\w.]+", value)
        )
    ]


def test_no_queue_name_is_written_as_a_literal_outside_the_table():
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = [
        literal
        for name in files
        if not name.startswith("tests/") and name != "config/queues.py"
        if (ROOT / name).exists()  # not deleted in the working tree
        for literal in _queue_literals(ROOT / name)
    ]
    assert not found, "name the queue by its config.queues constant:\n" + "\n".join(found)


def test_the_literal_scan_sees_a_queue_name_in_code_not_in_prose_or_module_paths(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        '"""Consumes stats.batch."""\n'
        'STEP = "stats.batch.watchdog:BatchFlushWatchdog"\n'
        'ARGS = "-Q stats.bulk -c 1"\n'
        'SHARD = f"stats.batch.shard.{3}"\n'
    )
    assert [literal.split(": ", 1)[1] for literal in _queue_literals(module)] == [
        "'-Q stats.bulk -c 1'",
        "'stats.batch.shard.'",
    ]
