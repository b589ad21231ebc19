"""The Procfile's web server for benchmarks: gunicorn in production mode on a local port.

Shared by ``bench/save_latency.py`` and ``bench/ops.py``; standard library only, so it
can be imported before ``django.setup()``.
"""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUEST_TIMEOUT = 30.0  # seconds; a request slower than this counts as failed
#: What the TLS-terminating proxy in front of production adds (SECURE_PROXY_SSL_HEADER).
PROXY = {"X-Forwarded-Proto": "https"}


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str


def request(port: int, method: str, path: str, headers: dict, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers)
        raw = conn.getresponse()
        return Response(raw.status, raw.headers, raw.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(var_dir: Path) -> dict[str, str]:
    """Production mode, as deployed: DEBUG off, a random secret, hashed static files."""
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CATALOG_VAR_DIR": str(var_dir),  # STATIC_ROOT (collectstatic) lives under it
        "LOG_LEVEL": "WARNING",
    }


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )


class Gunicorn:
    """``gunicorn config.wsgi:application`` as in the Procfile, on a free local port."""

    def __init__(self, *, log_dir: Path, workers: int, threads: int, env: dict[str, str]):
        self.workers, self.threads, self.env = workers, threads, env
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{workers}x{threads}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                if request(self.port, "GET", "/healthz", PROXY).status == 200:
                    return self
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"gunicorn not ready after 60 s:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: finishes in-flight requests
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
