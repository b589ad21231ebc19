"""``make run``'s process manager (circus, config/process_manager): a Procfile process that
dies is started again, the web keeps answering meanwhile, and Ctrl-C stops everything.

The integration test runs what ``make run`` runs, on the embedded default (SQLite and the
embedded broker in a var directory of its own), and kills processes as the OOM killer or
``kill -9`` would: each worker's whole process group, then the web server.
"""

import configparser
import http.client
import json
import shlex
import signal
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

from config.process_manager import output
from config.process_manager.circus_ini import circus_ini
from config.process_manager.output import Prefixed, describe_exit, stop_notice
from config.process_manager.procfile import procfile_commands
from testkit.managed_stack import ManagedStack
from testkit.stack import ROOT

WORKERS = ("batch-worker", "bulk-worker", "import-worker")


def test_circus_runs_each_procfile_process_as_honcho_did_and_restarts_it_forever(tmp_path):
    ini = configparser.RawConfigParser()
    ini.read_string(circus_ini(procfile_commands(), run_dir=tmp_path))
    watchers = {s.removeprefix("watcher:"): ini[s] for s in ini.sections() if ":" in s}

    assert list(watchers) == list(procfile_commands())
    for name, command in procfile_commands().items():
        assert shlex.split(watchers[name]["cmd"]) == ["/bin/sh", "-c", f"exec {command}"]
        assert watchers[name]["max_retry"] == "-1"  # never given up on
        assert watchers[name]["stdout_stream.name"] == name
    assert ini["circus"]["endpoint"].startswith("ipc://")  # no TCP port of its own


def test_a_quiet_run_starts_celery_without_banners_or_the_root_warning(tmp_path):
    ini = configparser.RawConfigParser()
    ini.read_string(circus_ini(procfile_commands(), run_dir=tmp_path, quiet=True))

    for name, command in procfile_commands().items():
        cmd = shlex.split(ini[f"watcher:{name}"]["cmd"])[2]
        if command.startswith("celery "):
            assert cmd == "exec celery --quiet " + command.removeprefix("celery ")
            assert "superuser" in ini[f"env:{name}"]["PYTHONWARNINGS"]
        else:
            assert cmd == f"exec {command}"
        assert ini[f"watcher:{name}"]["stdout_stream.quiet"] == "1"


def test_a_quiet_stream_prints_only_problems_once_everything_stops(capsys, monkeypatch):
    monkeypatch.setattr(output, "_stopping", False)
    quiet, verbose = Prefixed(name="web", width="6", quiet="1"), Prefixed(name="web", width="6")
    arbiter = SimpleNamespace(watchers=[SimpleNamespace(name="web")])

    quiet({"data": b"Listening\n"})
    stop_notice(SimpleNamespace(name="web"), arbiter, "before_stop")
    stop_notice(SimpleNamespace(name="web"), arbiter, "before_stop")  # each watcher calls it
    quiet({"data": b"[INFO] Handling signal: term\nworker: Warm shutdown\n"})
    quiet({"data": b"[ERROR] Worker (pid:7) was sent SIGKILL\n"})
    verbose({"data": b"[INFO] Shutting down: Master\n"})

    lines = [line.split(" ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        "web    | Listening",
        "system | stopping every process...",
        "web    | [ERROR] Worker (pid:7) was sent SIGKILL",
        "web    | [INFO] Shutting down: Master",
    ]


def test_output_is_prefixed_line_by_line_and_exits_are_named(capsys):
    stream = Prefixed(name="web", width="6")
    stream({"data": b"one\ntw"})
    stream({"data": b"o\n"})
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["web    | one", "web    | two"]
    assert describe_exit(-9) == "killed by signal 9"
    assert describe_exit(1) == "exited with status 1"


def _answer(stack: ManagedStack, path: str) -> int | str:
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def _wait_ready(stack: ManagedStack, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if _answer(stack, "/readyz") == 200:
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"/readyz not 200 within {timeout} s:\n{stack.tail()}")


def _pings(stack: ManagedStack) -> list[str]:
    """Worker remote control over the embedded broker: who answers ``inspect ping``."""
    code = "from config.celery import app; print(json.dumps(app.control.ping(timeout=3)))"
    done = subprocess.run(
        [sys.executable, "-c", f"import django, json; django.setup(); {code}"],
        cwd=ROOT,
        env={**stack.env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return sorted(name for reply in json.loads(done.stdout) for name in reply)


class Watch(threading.Thread):
    """Asks the admin login page and /readyz every quarter second until stopped."""

    def __init__(self, stack: ManagedStack):
        super().__init__(daemon=True)
        self.stack, self.stopping = stack, threading.Event()
        self.answers: dict[str, list] = {"/admin/login/": [], "/readyz": []}

    def run(self) -> None:
        while not self.stopping.wait(0.25):
            for path, seen in self.answers.items():
                seen.append(_answer(self.stack, path))


@pytest.mark.slow  # real processes, but only the embedded default: no service needed
def test_killed_processes_come_back_the_web_answers_throughout_and_ctrl_c_stops_all(tmp_path):
    stack = ManagedStack(
        "managed",
        var_dir=tmp_path / "var",
        token="t" * 32,
        env={
            "DATABASE_URL": "",
            "CELERY_BROKER_URL": "",
            "RABBITMQ_MANAGEMENT_URL": "",
            "SEED_PRODUCTS": "200",
        },
    )
    stack.prepare_as_make_run()
    watch = Watch(stack)
    stack.start()
    try:
        _wait_ready(stack, 120)
        watch.start()
        for name in WORKERS:
            killed = stack.kill(name)
            stack.wait_pid(name, other_than=killed)
            _wait_ready(stack, 90)
        watch.stopping.set()
        watch.join()
        assert _pings(stack) == ["batch@" + _host(), "bulk@" + _host(), "imports@" + _host()]

        killed_web = stack.kill("web")
        stack.wait_pid("web", other_than=killed_web)
        _wait_ready(stack, 60)
    finally:
        log = stack.tail(20_000)
        seconds = stack.interrupt() if stack.manager and stack.manager.poll() is None else 0

    admin = watch.answers["/admin/login/"]
    assert admin and set(admin) == {200}, f"the admin stopped answering: {sorted(set(admin))}"
    assert all(isinstance(code, int) for code in watch.answers["/readyz"])
    for name in (*WORKERS, "web"):
        assert f"system        | {name} killed by signal {int(signal.SIGKILL)}" in log, log
    assert seconds < 60 and not stack.descendants()
    # Ctrl-C: one line, then nothing (no goodbyes, no errors), and a clean exit.
    stopped = stack.log.read_text(errors="replace").split("| stopping every process...\n")
    assert len(stopped) == 2 and stopped[1].strip() == "", stopped[-1][-3000:]
    assert stack.manager is not None and stack.manager.returncode == 0


def _host() -> str:
    import socket

    return socket.gethostname()


#: ``make`` in the test below: runs its recipe, says whether a SIGINT reached it.
MAKE_STAND_IN = """
import signal, subprocess, sys
got = []
signal.signal(signal.SIGINT, lambda *_: got.append(1))
status = subprocess.call([sys.executable, "-c", sys.argv[1]])
print(f"make: SIGINT {'yes' if got else 'no'}, recipe exit {status}", flush=True)
"""
#: The recipe: the process manager's first step, then waiting for Ctrl-C.
RECIPE = """
import signal, sys
from config.process_manager.__main__ import take_the_terminal
take_the_terminal()
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
print("ready", flush=True)
signal.pause()
"""


def test_ctrl_c_on_a_terminal_reaches_the_processes_and_not_make(tmp_path):
    import os
    import pty

    pid, terminal = pty.fork()  # the child leads a session on a new terminal, like a shell
    if pid == 0:
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-c", MAKE_STAND_IN, RECIPE])
    seen = b""
    deadline = time.monotonic() + 60
    while b"ready" not in seen and time.monotonic() < deadline:
        seen += os.read(terminal, 1024)
    assert b"ready" in seen, seen
    os.write(terminal, b"\x03")  # Ctrl-C, as typed
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # EIO: every process on the terminal has ended
            break
        if not chunk:
            break
        seen += chunk
    os.waitpid(pid, 0)

    assert "make: SIGINT no, recipe exit 0" in seen.decode(), seen
