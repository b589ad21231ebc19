"""The Procfile's processes, started as a deployment starts them, for tests that look from outside.

Each process runs its ``Procfile`` command line (read from the file, so the tests follow
it) through ``/bin/sh -c`` as ``make run``'s process manager does (``Stack``: one by one,
so a test stops and starts each; ``ManagedStack`` in ``testkit.managed_stack``: under the
manager itself, which restarts them), so ``${WEB_PORT:-8000}`` expands, with the
virtualenv's tools first on ``PATH`` and this checkout first on ``PYTHONPATH``. Each runs in
a session of its own, so a SIGKILL reaches a worker's pool child too, as ``kill -9`` of a
whole service would. A stack gets its own environment: database, broker, var directory
(SQLite file, embedded broker folders, beat schedule) and web port. ``fresh_vhost`` gives a
RabbitMQ virtual host on which nothing was declared yet, and deletes it afterwards.
"""

import atexit
import base64
import contextlib
import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from config.process_manager.procfile import ROOT, procfile_commands

MAKEFILE = ROOT / "Makefile"
#: Every process group started here, killed at exit if a test could not stop it.
_STARTED: set[int] = set()


def make_run_commands(env: dict[str, str], path: Path = MAKEFILE) -> list[list[str]]:
    """The ``manage.py`` commands of the Makefile's ``run`` target, in order, with their
    ``$${VAR:-default}`` arguments expanded from ``env``: what ``make run`` does before
    it starts the Procfile."""
    commands, in_run = [], False
    for line in path.read_text().splitlines():
        if not line.startswith("\t"):
            in_run = line.startswith("run:")
            continue
        text = line.strip().removeprefix("@").split(" && ")[0]
        if in_run and text.startswith("$(PY) manage.py "):
            text = re.sub(r"\$\$\{(\w+):-([^}]*)\}", lambda m: env.get(m[1]) or m[2], text)
            commands.append(shlex.split(text)[2:])
    return commands


def failover_rotated(broker_url: str, turn: int) -> str:
    """A ``;``-separated failover list started at its ``turn``-th broker: as on separate
    hosts, processes then connect first to different nodes of a cluster."""
    urls = broker_url.split(";")
    turn %= len(urls)
    return ";".join(urls[turn:] + urls[:turn])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StackProcess:
    """One process of a stack; its output is appended to ``log`` across restarts."""

    def __init__(self, name: str, command: str, *, env: dict[str, str], log: Path):
        self.name, self.command, self.env, self.log = name, command, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> "StackProcess":
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        with self.log.open("ab") as log:
            log.write(f"--- starting: {self.command}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", f"exec {self.command}"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _STARTED.add(self.process.pid)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL, *, timeout: float = 30) -> None:
        """``sig`` to the whole process group; SIGKILL it if it outlives ``timeout``."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        # The main process is gone; a pool child that outlived it goes with its group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        _STARTED.discard(self.process.pid)

    def tail(self, chars: int = 3000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}), last {chars} characters:\n{text[-chars:]}"


class Stack:
    """Every Procfile process on a database, broker, var directory and port of its own."""

    def __init__(self, label: str, *, var_dir: Path, env: dict[str, str], token: str):
        self.label, self.var_dir, self.token = label, var_dir, token
        self.port = free_port()
        var_dir.mkdir(parents=True, exist_ok=True)
        bin_dir = str(Path(sys.executable).parent)  # the virtualenv's, symlinks kept
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "DJANGO_ENV": "test",
            "DEBUG": "0",
            "LOG_LEVEL": "INFO",
            "CATALOG_VAR_DIR": str(var_dir),
            "WEB_PORT": str(self.port),
            "METRICS_TOKEN": token,
            **env,
        }
        self.processes = {
            name: StackProcess(name, command, env=self.env, log=var_dir / f"{name}.log")
            for name, command in procfile_commands().items()
        }

    def manage(self, *args: str) -> str:
        """Run a management command in the stack's environment; its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            timeout=300,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-3000:]}")
        return done.stdout

    def prepare_as_make_run(self) -> str:
        """What ``make run`` does before starting the processes; the commands' output
        (the demo admin's password among it)."""
        return "".join(self.manage(*args) for args in make_run_commands(self.env))

    def add_process(self, name: str, command: str) -> StackProcess:
        """A process beside the Procfile's (a save load, say), stopped with the stack."""
        self.processes[name] = StackProcess(
            name, command, env=self.env, log=self.var_dir / f"{name}.log"
        )
        return self.processes[name]

    def start(self) -> None:
        for process in self.processes.values():
            if not process.running:
                process.start()

    def stop(self) -> None:
        """SIGTERM every process group (a warm shutdown), SIGKILL what outlives 20 s."""
        for process in self.processes.values():
            if process.running:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.process.pid, signal.SIGTERM)
        for process in self.processes.values():
            process.kill(signal.SIGTERM, timeout=20)

    def exited(self) -> list[str]:
        """Processes that were started and are no longer running."""
        return [
            f"{name} exited with {p.process.returncode}"
            for name, p in self.processes.items()
            if p.process is not None and not p.running
        ]

    def logs(self, chars: int = 2000) -> str:
        return "\n".join(p.tail(chars) for p in self.processes.values())

    def get(self, path: str, *, token: bool = True) -> tuple[int, Any]:
        """GET ``path`` from the web process: (status, decoded JSON or the text)."""
        headers = {"Authorization": f"Bearer {self.token}"} if token else {}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        try:
            return response.status, json.loads(body)
        except ValueError:
            return response.status, body


def _management_request(url: str, method: str, path: str, body: Any = None) -> None:
    parsed = urllib.parse.urlsplit(url)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}{parsed.path.rstrip('/')}"
    auth = base64.b64encode(
        f"{urllib.parse.unquote(parsed.username or 'guest')}:"
        f"{urllib.parse.unquote(parsed.password or 'guest')}".encode()
    ).decode()
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


@contextlib.contextmanager
def fresh_vhost(
    management_url: str, broker_url: str, prefix: str = "ops-stack"
) -> Iterator[tuple[str, str]]:
    """A new RabbitMQ vhost (nothing declared on it) for ``broker_url``'s user: yields
    (broker URL on that vhost, vhost name); deletes the vhost, queues and all, afterwards."""
    from kombu import Connection

    broker = Connection(broker_url)
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    quoted = urllib.parse.quote(vhost, safe="")
    _management_request(management_url, "PUT", f"/api/vhosts/{quoted}", {})
    try:
        _management_request(
            management_url,
            "PUT",
            f"/api/permissions/{quoted}/{urllib.parse.quote(broker.userid, safe='')}",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
        auth = urllib.parse.quote(broker.userid, safe="")
        if broker.password:
            auth += ":" + urllib.parse.quote(broker.password, safe="")
        yield f"amqp://{auth}@{broker.hostname}:{broker.port or 5672}/{quoted}", vhost
    finally:
        with contextlib.suppress(urllib.error.URLError, OSError):
            _management_request(management_url, "DELETE", f"/api/vhosts/{quoted}")


@atexit.register
def _kill_leftovers() -> None:
    for pgid in list(_STARTED):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
