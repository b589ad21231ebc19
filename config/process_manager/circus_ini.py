"""Circus's configuration for the Procfile's processes (``python -m config.process_manager``)."""

import json
import os
import shlex
from pathlib import Path

from config.process_manager.procfile import ROOT, procfile_commands

#: Under a quiet ``make run`` (not ``CATALOG_VERBOSE``): Celery without its banners, and
#: without the warning a developer machine running as root prints once per worker.
QUIET_CELERY = "celery --quiet "
QUIET_WARNINGS = "ignore:You're running the worker with superuser privileges"

#: Seconds a process gets to stop after SIGTERM (a Celery worker finishes its task, a
#: batch worker flushes nothing and leaves its buffer to the broker) before SIGKILL.
GRACEFUL_TIMEOUT = 30


def quiet_command(command: str) -> str:
    """The Procfile's command as a quiet ``make run`` starts it (the banners are what a
    deployment's logs want, not a developer's terminal)."""
    if command.startswith("celery "):
        return QUIET_CELERY + command.removeprefix("celery ")
    return command


def circus_ini(commands: dict[str, str], *, run_dir: Path, quiet: bool = False) -> str:
    """One circus watcher per Procfile process, restarted whenever it exits.

    Each command runs through ``/bin/sh -c 'exec ...'`` as honcho ran it, so
    ``${WEB_PORT:-8000}`` expands (circus's own ``shell = true`` would quote it away), in
    this checkout with the caller's environment. Circus
    talks to itself over Unix sockets in ``run_dir``, never on a TCP port. ``quiet``:
    no Celery banners, and a stop prints one line instead of every process's goodbye.
    """
    width = max(len(name) for name in [*commands, "system"])
    lines = [
        "[circus]",
        f"endpoint = ipc://{run_dir / 'circus.sock'}",
        f"pubsub_endpoint = ipc://{run_dir / 'circus-pubsub.sock'}",
        "statsd = false",
        "check_delay = 1",
        f"loggerconfig = {run_dir / 'circus-logging.json'}",
    ]
    for name, command in commands.items():
        stream = f"config.process_manager.output.Prefixed\n{{}}_stream.name = {name}"
        if quiet:
            command = quiet_command(command)
        lines += [
            "",
            f"[watcher:{name}]",
            f"cmd = /bin/sh -c {shlex.quote('exec ' + command)}",
            f"working_dir = {ROOT}",
            "copy_env = true",
            "max_retry = -1",
            f"graceful_timeout = {GRACEFUL_TIMEOUT}",
            "hooks.after_reap = config.process_manager.output.exit_notice",
            "hooks.before_stop = config.process_manager.output.stop_notice",
        ]
        for kind in ("stdout", "stderr"):
            lines += [
                f"{kind}_stream.class = {stream.format(kind)}",
                f"{kind}_stream.width = {width}",
                f"{kind}_stream.quiet = {int(quiet)}",
            ]
        if quiet:
            lines += ["", f"[env:{name}]", f"PYTHONWARNINGS = {QUIET_WARNINGS}"]
    return "\n".join(lines) + "\n"


#: circusd's own log: warnings and errors only. circus 0.19's periodic check raises a
#: ConflictError every second while a stop is running (a harmless race between its
#: check and the stop); tornado logs each with a traceback, so that logger is silenced.
CIRCUS_LOGGING = {
    "version": 1,
    "formatters": {"plain": {"format": "%(asctime)s circus: %(message)s", "datefmt": "%H:%M:%S"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {"tornado.application": {"level": "CRITICAL"}},
}


def write_circus_ini(run_dir: Path, *, quiet: bool = False) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "circus-logging.json").write_text(json.dumps(CIRCUS_LOGGING, indent=2))
    path = run_dir / "circus.ini"
    path.write_text(circus_ini(procfile_commands(), run_dir=run_dir, quiet=quiet))
    os.chmod(path, 0o600)
    return path
