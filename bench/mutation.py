"""Mutation score of chalicelib/domain/: ``make mutation`` (``python -m bench.mutation [MODULE ...]``).

mutmut 3 (configured in pyproject.toml's ``[tool.mutmut]``) copies the code into
``mutants/``, makes every small change it knows to each function of the domain modules
(an operator, a constant, a comparison, an argument dropped...) and runs, for each such
mutant, the unit tests (tests/unit/) that reach that function. A mutant is *killed* when a
test fails (or the run times out); it *survived* when every test passed, or when no unit
test reaches it at all.

This runner asks mutmut for one module at a time (``chalicelib.domain.<module>.*``), in the
order given (by default: clock, scores, calendar, then the others), reads mutmut's own
record of each mutant's exit code (``mutants/.../<module>.py.meta``), prints the killed
share per module and merges it into bench/mutation.json:
``{module: {killed, survived, total, score, date, commit}, date, commit}`` (a module not
run this time keeps its last result, with the date and commit it was measured at).
Each module's result is also set at once as ``mutation_score`` in bench/results.json (every
other key kept); ``mutation_score()`` reads the file for bench/run.py's whole runs. Slow, so
not part of ``make test`` or CI: mutmut makes ~11,000 mutants of the domain; clock, scores and calendar (~2,800) take
about 25 minutes on two shared cores with ``--max-children 2``, the whole domain hours.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "bench" / "mutation.json"
RESULTS_JSON = ROOT / "bench" / "results.json"  # bench/run.py's results; its `mutation_score` is kept in step
DOMAIN = ROOT / "chalicelib" / "domain"
FIRST = ("clock", "scores", "calendar")  # where a blind spot costs most: deadlines and headline scores

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests"}  # a mutant no unit test reaches is not caught either


def modules() -> list[str]:
    """Every domain module with code, the priority ones first."""
    rest = sorted(p.stem for p in DOMAIN.glob("*.py") if p.stem not in FIRST and p.stem != "__init__")
    return list(FIRST) + rest


def tally(exit_codes: dict[str, int | None]) -> dict[str, float | int]:
    """Killed and survived mutants of one module from mutmut's exit codes (unchecked ones left out)."""
    from mutmut.stats import status_by_exit_code

    statuses = [status_by_exit_code[code] for code in exit_codes.values() if code is not None]
    killed = sum(status in KILLED for status in statuses)
    survived = sum(status in SURVIVED for status in statuses)
    total = killed + survived
    return {"killed": killed, "survived": survived, "total": total,
            "score": round(100 * killed / total, 1) if total else None}


def survivors(module: str) -> list[str]:
    """The names of the mutants of ``module`` that survived (``mutmut show NAME`` prints one)."""
    from mutmut.stats import status_by_exit_code

    return sorted(name for name, code in _exit_codes(module).items()
                  if code is not None and status_by_exit_code[code] in SURVIVED)


def _exit_codes(module: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / "chalicelib" / "domain" / f"{module}.py.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


def _commit() -> str:
    """HEAD's short hash, with ``-dirty`` when the code or tests measured differ from it."""
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    changed = subprocess.run(["git", "status", "--porcelain", "--", "chalicelib", "tests"], cwd=ROOT,
                             capture_output=True, text=True)
    return (found.stdout.strip() or "unknown") + ("-dirty" if changed.stdout.strip() else "")


def run(names: list[str], max_children: int) -> dict:
    """Mutate and test each module in turn; return the merged result (also written to RESULT)."""
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)  # tests change between runs: no stale verdicts
    result = json.loads(RESULT.read_text()) if RESULT.exists() else {}
    date, commit = datetime.now(timezone.utc).date().isoformat(), _commit()
    for module in names:
        subprocess.run([sys.executable, "-m", "mutmut", "run", f"chalicelib.domain.{module}.*",
                        "--max-children", str(max_children)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        result[module] = tally(_exit_codes(module)) | {"date": date, "commit": commit}
        row = result[module]
        print(f"{module:15} {row['killed']:5} killed of {row['total']:5}  {row['score']} %", flush=True)
        result |= {"date": date, "commit": commit}
        RESULT.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        merge_into_results(result)
    return result


def merge_into_results(result: dict, path: Path = RESULTS_JSON) -> None:
    """Set ``mutation_score`` in bench/results.json to ``result``, every other key left as it is
    (a whole ``make bench`` merges the same thing; this keeps it current between bench runs)."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        results = {}
    if not isinstance(results, dict):
        results = {}
    results["mutation_score"] = result
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def mutation_score(path: Path = RESULT) -> dict:
    """``{"mutation_score": {module: {...}, "date": ..., "commit": ...}}`` for bench/run.py to
    merge into results.json; ``{}`` when ``make mutation`` has not been run."""
    if not path.exists():
        return {}
    return {"mutation_score": json.loads(path.read_text())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="domain modules to mutate (default: all, clock/scores/calendar first)")
    parser.add_argument("--max-children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants of the last run")
    args = parser.parse_args(argv)
    names = args.modules or modules()
    unknown = [name for name in names if name not in modules()]
    if unknown:
        parser.error(f"not a module of chalicelib/domain/: {', '.join(unknown)}")
    if args.survivors:
        for module in names:
            print("\n".join(survivors(module)))
        return
    run(names, args.max_children)


if __name__ == "__main__":
    main()
