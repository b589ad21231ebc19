"""scripts/mutation_score.py, the mutation lane's score (make test-mutation): the
equivalent mutants named in docs/architecture.md leave the count, and a named one that
no longer survives fails the lane so the note follows the code."""

import configparser
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location(
        "mutation_score", ROOT / "scripts" / "mutation_score.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mutated_modules() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    paths = config.get("mutmut", "only_mutate").split()
    return {p.removesuffix(".py").replace("/", ".") for p in paths}


def test_every_named_equivalent_is_a_mutant_of_a_mutated_module_with_a_reason():
    equivalents = _script().named_equivalents(ROOT / "docs" / "architecture.md")

    assert equivalents
    for name, reason in equivalents.items():
        assert name.rpartition(".x")[0] in _mutated_modules(), name
        assert len(reason) > 20, name


def _lane(tmp_path: Path, monkeypatch, results: dict, note: str, capsys) -> tuple[int, str]:
    (tmp_path / "mutants" / "catalog").mkdir(parents=True)
    (tmp_path / "mutants" / "catalog" / "rules.py.meta").write_text(
        json.dumps({"exit_code_by_key": results})
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "architecture.md").write_text(
        f"# Architecture\n\n## Mutation testing\n\n{note}\n## Next\n\n- `m__mutmut_9`: not here\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["mutation_score.py"])
    code = _script().main()
    return code, capsys.readouterr().out


def test_the_score_leaves_out_the_named_equivalents(tmp_path, monkeypatch, capsys):
    results = {f"catalog.rules.x_f__mutmut_{i}": 1 for i in range(1, 10)}
    results |= {"catalog.rules.x_f__mutmut_10": 0, "catalog.rules.x_f__mutmut_11": 0}
    note = "- `catalog.rules.x_f__mutmut_11`: changes nothing, because of this.\n"

    code, out = _lane(tmp_path, monkeypatch, results, note, capsys)

    assert "Mutation score: 90.0% (9 killed of 10 non-equivalent mutants" in out
    assert "survived: catalog.rules.x_f__mutmut_10" in out
    assert code == 0


@pytest.mark.parametrize(
    ("results", "note"),
    [
        ({"a.x_f__mutmut_1": 1, "a.x_f__mutmut_2": 0}, ""),  # 50 %: under the goal
        ({"a.x_f__mutmut_1": 1}, "- `a.x_f__mutmut_1`: said equivalent, but killed.\n"),
        ({"a.x_f__mutmut_1": 1}, "- `a.x_f__mutmut_7`: no such mutant any more.\n"),
    ],
    ids=["under the goal", "named but killed", "named but gone"],
)
def test_the_lane_fails_under_the_goal_or_on_a_stale_note(
    tmp_path, monkeypatch, capsys, results, note
):
    code, _out = _lane(tmp_path, monkeypatch, results, note, capsys)

    assert code == 1
