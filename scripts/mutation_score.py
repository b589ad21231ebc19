#!/usr/bin/env python3
"""The mutation lane's score: killed / (all mutants - those named equivalent).

mutmut's own summary counts an equivalent mutant (one that changes no behaviour, so no
test can kill it) as a survivor. The equivalents are named, each with its reason, in
docs/architecture.md, section "Mutation testing", as list items starting with the
mutant's name in backquotes; this script reads that list, so the note and the printed
score cannot disagree. A name there that no longer survives (killed since, or gone with a
change to the code) fails the lane: the note must be brought up to date.

Reads mutmut's results (``mutants/**/*.py.meta``) from the working directory; run after
``mutmut run`` (``make test-mutation``). Exits 1 under the goal (``--goal``, 90 %).
"""

import argparse
import json
import re
import sys
from pathlib import Path

NOTE = Path("docs/architecture.md")
SECTION = "## Mutation testing"
#: mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code): a
#: failing test or pytest's internal error kills it; a timeout (the mutant made a test
#: loop) is a detection too, as mutmut's own badge counts it.
KILLED = {1, 3, 36, -24, 24, 152, 255}
SURVIVED = {0}


def named_equivalents(note: Path = NOTE) -> dict[str, str]:
    """Mutant name -> reason, from the note's list items ``- `name`: reason`` (the reason
    may go on over indented lines)."""
    text = note.read_text(encoding="utf-8")
    start = text.find(f"\n{SECTION}\n")
    if start < 0:
        raise SystemExit(f"{note} has no section {SECTION!r}")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else None]
    items = re.finditer(r"^- `([^`\s]+__mutmut_\d+)`:?[ \t]*(.*(?:\n  .*)*)", section, re.M)
    return {m.group(1): " ".join(m.group(2).split()) for m in items}


def mutant_results(root: Path = Path("mutants")) -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        results.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goal", type=float, default=90.0, help="lowest passing score, in %%")
    args = parser.parse_args()

    results = mutant_results()
    if not results:
        print("No mutmut results under mutants/: run `mutmut run` first.")
        return 1
    equivalents = named_equivalents()
    survived = {name for name, code in results.items() if code in SURVIVED}
    killed = sum(1 for code in results.values() if code in KILLED)
    stale = sorted(set(equivalents) - survived)
    unexplained = sorted(survived - set(equivalents))
    other = sorted(n for n, c in results.items() if c not in KILLED | SURVIVED)
    counted = len(results) - len(set(equivalents) & survived)
    score = 100.0 * killed / counted if counted else 0.0

    for name in unexplained:
        print(f"  survived: {name}   (mutmut show {name})")
    for name in other:
        print(f"  not run or not judged (exit code {results[name]}): {name}")
    for name in stale:
        print(f"  named equivalent in {NOTE} but not a survivor (update the note): {name}")
    print(
        f"Mutation score: {score:.1f}% ({killed} killed of {counted} non-equivalent mutants; "
        f"{len(results)} in all, {len(equivalents)} named equivalent in {NOTE}, "
        f"{len(unexplained)} surviving unexplained; goal {args.goal:g}%)"
    )
    return 0 if score >= args.goal and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
