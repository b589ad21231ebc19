"""ops/systemd/ and ops/compose.yaml: the Procfile's processes with a restart policy each,
exactly as config/process_manager/deployment.py generates them from the Procfile."""

import configparser
import shlex

import yaml

from config.process_manager.deployment import OPS, deployment_files
from config.process_manager.procfile import procfile_commands


def test_the_shipped_files_are_the_ones_generated_from_the_procfile():
    generated = deployment_files()
    shipped = {*OPS.joinpath("systemd").iterdir(), OPS / "compose.yaml"}
    assert shipped == set(generated), "run: python -m config.process_manager.deployment"
    for path, text in generated.items():
        assert path.read_text() == text, (
            f"{path} differs: python -m config.process_manager.deployment"
        )


def test_every_procfile_process_has_a_unit_restarted_always():
    for name, command in procfile_commands().items():
        unit = configparser.RawConfigParser(strict=False)
        unit.read(OPS / "systemd" / f"catalog-{name}.service")
        exec_start = unit["Service"]["ExecStart"].replace("%%", "%").replace("$$", "$")
        assert shlex.split(exec_start) == ["/bin/sh", "-c", f"exec {command}"]
        assert unit["Service"]["Restart"] == "always"
        assert f"catalog-{name}.service" in (OPS / "systemd" / "catalog.target").read_text()


def test_every_procfile_process_has_a_container_restarted_unless_stopped():
    compose = yaml.safe_load((OPS / "compose.yaml").read_text())
    services = compose["services"]
    assert list(services) == list(procfile_commands())
    for name, command in procfile_commands().items():
        shell = [part.replace("$$", "$") for part in services[name]["command"]]
        assert shell == ["/bin/sh", "-c", f"exec {command}"]
        assert services[name]["restart"] == "unless-stopped"
