"""Restart policies for a deployment, generated from the Procfile: systemd units and a
compose file (``ops/systemd/``, ``ops/compose.yaml``).

    python -m config.process_manager.deployment   # rewrite them after editing the Procfile

``tests/ops/test_deployment_files.py`` fails when the shipped files differ from what this
generates, so the Procfile stays the one list of processes. Every process is restarted
whenever it exits, as under ``make run``; a crash loop still surfaces (systemd gives up
after ``START_LIMIT_BURST`` starts in ``START_LIMIT_SECONDS`` and marks the unit failed;
docker counts restarts in ``docker ps``). Where the files assume paths (``/srv/catalog``,
``/etc/catalog/env``, a ``catalog`` user, an image name) they say so in a comment.
"""

import shlex
import sys
from pathlib import Path

from config.process_manager.circus_ini import GRACEFUL_TIMEOUT
from config.process_manager.procfile import ROOT, procfile_commands

OPS = ROOT / "ops"
HEADER = "Generated from the Procfile by `python -m config.process_manager.deployment`: edit the\n"
HEADER += "Procfile, then run it again (tests/ops/test_deployment_files.py checks they agree)."
RESTART_SECONDS = 2
START_LIMIT_BURST = 10
START_LIMIT_SECONDS = 60


def _comment(text: str) -> str:
    return "\n".join(f"# {line}" for line in text.splitlines())


def systemd_unit(name: str, command: str) -> str:
    return f"""{_comment(HEADER)}
# Assumes the checkout in /srv/catalog (with its .venv), run as user catalog, settings
# (DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY...) in /etc/catalog/env.
[Unit]
Description=Catalog Editor {name} (Procfile)
PartOf=catalog.target
After=network-online.target mariadb.service rabbitmq-server.service
Wants=network-online.target
StartLimitIntervalSec={START_LIMIT_SECONDS}
StartLimitBurst={START_LIMIT_BURST}

[Service]
Type=exec
User=catalog
WorkingDirectory=/srv/catalog
EnvironmentFile=/etc/catalog/env
Environment=PATH=/srv/catalog/.venv/bin:/usr/local/bin:/usr/bin:/bin
ExecStart=/bin/sh -c {systemd_escape(shlex.quote("exec " + command))}
Restart=always
RestartSec={RESTART_SECONDS}
KillMode=control-group
TimeoutStopSec={GRACEFUL_TIMEOUT}

[Install]
WantedBy=catalog.target
"""


def systemd_escape(text: str) -> str:
    """systemd reads ``%h`` (Celery's host name) as the user's home and ``${X}`` as its own
    variable: doubled, both reach the shell as written in the Procfile."""
    return text.replace("%", "%%").replace("$", "$$")


def compose_escape(text: str) -> str:
    """Compose reads ``${X}`` from the host when it loads the file: ``$$`` leaves it to the
    container's shell and its env_file."""
    return text.replace("$", "$$")


def systemd_target(names: list[str]) -> str:
    wants = " ".join(f"catalog-{name}.service" for name in names)
    return f"""{_comment(HEADER)}
# `systemctl enable --now catalog.target` starts every process; `systemctl stop
# catalog.target` stops them all (each unit is PartOf it).
[Unit]
Description=Catalog Editor (every Procfile process)
Wants={wants}

[Install]
WantedBy=multi-user.target
"""


def compose_file(commands: dict[str, str]) -> str:
    services = "".join(
        f"  {name}:\n    <<: *process\n"
        f'    command: ["/bin/sh", "-c", {_yaml_string(compose_escape("exec " + command))}]\n'
        for name, command in commands.items()
    )
    return f"""{_comment(HEADER)}
# One container per Procfile process from an image of this checkout (catalog-editor:latest,
# built with `make install` done); settings in /etc/catalog/env. Host networking: the
# Procfile's web binds 127.0.0.1 and every process reaches MariaDB and RabbitMQ as on the
# host. `restart: unless-stopped` starts a container again whenever its process exits.
x-process: &process
  image: catalog-editor:latest
  working_dir: /srv/catalog
  env_file: /etc/catalog/env
  network_mode: host
  restart: unless-stopped
  stop_grace_period: {GRACEFUL_TIMEOUT}s

services:
{services}"""


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def deployment_files(commands: dict[str, str] | None = None) -> dict[Path, str]:
    """Every generated file, by path, for the Procfile's ``commands``."""
    commands = procfile_commands() if commands is None else commands
    files = {
        OPS / "systemd" / f"catalog-{name}.service": systemd_unit(name, command)
        for name, command in commands.items()
    }
    files[OPS / "systemd" / "catalog.target"] = systemd_target(list(commands))
    files[OPS / "compose.yaml"] = compose_file(commands)
    return files


def main() -> None:
    for path, text in deployment_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(path.relative_to(ROOT), file=sys.stderr)


if __name__ == "__main__":
    main()
