"""README's Layout is a newcomer's map: every module must be findable from it.

A module is named either in README's Layout block or in the docstring of the package
that holds it (README points at those docstrings), so a new module without a word about
it fails here rather than going unnoticed.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "catalog", "stats", "editors", "testkit")
README_MAX_LINES = 150


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _layout_block() -> str:
    match = re.search(r"## Layout\n(.*?)\n## ", _readme(), re.S)
    assert match, "README.md has no ## Layout section"
    return match.group(1)


def _docstring(package: Path) -> str:
    init = package / "__init__.py"
    if not init.exists():
        return ""
    return ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""


def _named(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text) is not None


def _modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or "__pycache__" in relative.parts:
                continue
            is_package = path.is_dir() and (path / "__init__.py").exists()
            is_module = path.suffix == ".py" and path.name != "__init__.py"
            if (is_package and path != ROOT / app) or is_module:
                found.append(path)
    return found


def test_every_module_is_named_by_the_readme_layout_or_its_package_docstring() -> None:
    layout = _layout_block()
    unnamed = []
    for path in _modules():
        name = path.stem if path.is_file() else path.name
        if path.parent.name == "commands":
            continue  # commands are named by `manage.py help` and docs/operations.md
        if _named(name, layout) or _named(name, _docstring(path.parent)):
            continue
        unnamed.append(str(path.relative_to(ROOT)))
    assert not unnamed, (
        "modules named neither in README's Layout nor in their package's docstring: "
        + ", ".join(unnamed)
    )


def test_the_readme_is_short() -> None:
    lines = len(_readme().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES})"


def test_the_readme_says_how_long_make_test_takes_on_two_cores() -> None:
    assert re.search(r"`make test` takes about \d+ minutes on 2 cores", _readme()), (
        "README.md does not say how long `make test` takes on 2 cores"
    )
