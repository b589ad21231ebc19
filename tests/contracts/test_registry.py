"""config/upstream.py holds: every entry's symbols resolve, its contract tests exist, its pins
are the installed ones, and every override in the code is in it.

"In the code" is checked two ways: a class of ours that subclasses a watched library's class
must be named by an entry, and a private attribute (``._name``) our code reads must be ours
(defined in our code) or named in an entry's internals (or a documented Django one).
"""

import ast
import importlib
import inspect
import pkgutil
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from config.upstream import OVERRIDES

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "stats", "catalog", "editors")
#: Libraries whose classes we may only subclass through the registry.
WATCHED = ("celery_batches", "celery.worker", "kombu", "amqp", "simple_history", "openpyxl")
#: Underscored names Django documents as public API.
DJANGO_PUBLIC = {"_meta", "_default_manager", "_base_manager", "_state"}
#: Attributes of ours set on a library's objects: on the request, catalog.admin.concurrency's
#: version check, catalog.admin.history's restore page, the product list's search result
#: and the count a filter offers (catalog.admin.product_list) and the editor's list
#: settings read once a request (catalog.admin.list_columns).
OURS_ON_THEIRS = {
    "_occ",
    "_restore_page",
    "_restoring",
    "_search_found",
    "_counted_by_filter",
    "_product_list_settings",
}
COMMENT = re.compile(r'Registry: config\.upstream "([^"]+)"')


def _resolve(symbol: str) -> object:
    module_name, _, qualname = symbol.partition(":")
    target: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _app_sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name != "upstream.py"
    ]


def test_entries_are_named_once_and_filled_in():
    names = [entry.name for entry in OVERRIDES]
    assert len(names) == len(set(names))
    for entry in OVERRIDES:
        assert entry.ours and entry.internals and entry.checked and entry.contracts, entry.name
        assert entry.relied_on.endswith("."), entry.name


@pytest.mark.parametrize("entry", OVERRIDES, ids=lambda e: e.name)
def test_our_symbols_resolve_by_import(entry):
    for symbol in entry.ours:
        assert _resolve(symbol) is not None, symbol


@pytest.mark.parametrize("entry", OVERRIDES, ids=lambda e: e.name)
def test_each_contract_test_exists(entry):
    for contract in entry.contracts:
        path, _, name = contract.partition("::")
        assert (ROOT / path).is_file(), contract
        tree = ast.parse((ROOT / path).read_text())
        tests = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert name in tests, contract


@pytest.mark.parametrize("entry", OVERRIDES, ids=lambda e: e.name)
def test_checked_pins_are_the_installed_and_constrained_ones(entry):
    """A pin bumped in constraints.txt fails here until its entries are checked again."""
    constraints = {
        line.split("==")[0].lower(): line.strip()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    for pin in entry.checked:
        package, _, pinned = pin.partition("==")
        assert constraints.get(package.lower()) == pin, (entry.name, pin)
        assert version(package) == pinned, (entry.name, pin)


def test_each_entry_is_named_beside_its_overrides_and_each_comment_names_an_entry():
    names = {entry.name for entry in OVERRIDES}
    commented: dict[str, set[str]] = {}
    for path in _app_sources():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for name in COMMENT.findall(path.read_text()):
            assert name in names, f"{path}: no registry entry {name!r}"
            commented.setdefault(name, set()).add(module.removesuffix(".__init__"))
    for entry in OVERRIDES:
        modules = {symbol.partition(":")[0] for symbol in entry.ours}
        assert modules <= commented.get(entry.name, set()), (entry.name, modules)


def _app_modules() -> list[str]:
    found = []
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or info.name.startswith("config.settings"):
                continue
            found.append(info.name)
    return found


def test_every_subclass_of_a_watched_library_is_in_the_registry():
    named = {symbol for entry in OVERRIDES for symbol in entry.ours}
    # "module:Class" of "module:Class" and "module:Class.method"
    named_classes = {f"{m}:{q.split('.')[0]}" for m, _, q in (s.partition(":") for s in named)}
    missing = []
    for module_name in _app_modules():
        module = importlib.import_module(module_name)
        source = Path(module.__file__ or "").read_text() if module.__file__ else ""
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module_name:
                continue
            if f"class {cls.__name__}" not in source:
                continue  # built by the library (simple-history's Historical<Model>)
            if any(f"{b.__module__}:{b.__name__}" in named_classes for b in cls.__mro__[1:]):
                continue  # through a class of ours the registry names
            upstream = [
                base
                for base in cls.__mro__[1:]
                if base.__module__.startswith(WATCHED)
                and base.__module__ != "celery.bootsteps"  # StartStopStep: documented
            ]
            if upstream and f"{module_name}:{cls.__name__}" not in named_classes:
                missing.append(f"{module_name}:{cls.__name__} (from {upstream[0].__module__})")
    assert missing == [], missing


def test_every_private_attribute_we_read_is_ours_or_in_the_registry():
    listed = {
        match
        for entry in OVERRIDES
        for internal in entry.internals
        for match in re.findall(r"(_[a-z]\w*)", internal)
    }
    used: dict[str, set[str]] = {}
    defined = DJANGO_PUBLIC | OURS_ON_THEIRS
    for path in _app_sources():
        text = path.read_text()
        for name in re.findall(r"\.(_[a-z]\w*)", text):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
        defined |= set(re.findall(r"(?:self|cls)\.(_[a-z]\w*)\s*(?::[^=\n]*)?=(?!=)", text))
        defined |= set(re.findall(r"def (_[a-z]\w*)", text))
        defined |= set(re.findall(r"^\s+(_[a-z]\w*)\s*[:=]", text, re.M))
    unlisted = {name: sorted(paths) for name, paths in used.items() if name not in defined | listed}
    assert unlisted == {}
