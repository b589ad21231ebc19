"""The ``Procfile``: the one list of the processes a deployment runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"


def procfile_commands(path: Path = PROCFILE) -> dict[str, str]:
    """``{process name: command line}`` in the Procfile's order."""
    commands = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, command = line.partition(":")
        if not colon or not command.strip():
            raise ValueError(f"{path}:{number}: expected 'name: command', got {line!r}")
        commands[name.strip()] = command.strip()
    return commands
