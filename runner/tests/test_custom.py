"""The `custom` template: a user's solution.py, run by the runner.

(The sandbox is the activity's; see docs/sandbox.md.)"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

SOLUTION = """
from sklearn.linear_model import LogisticRegression

class Model(LogisticRegression):
    pass

def make_model(task_type, seed):
    return Model(max_iter=500)
"""


def _job(tmp_path: Path, competition: Path, code: str | None, **extra) -> Path:
    job = {
        "competitionDir": str(competition),
        "template": "custom",
        "params": {} if code is None else {"code": code},
        "seed": 0,
        "folds": 2,
        "workdir": str(tmp_path / "work"),
        "checkpointEvery": 1,
        **extra,
    }
    path = tmp_path / f"job-{len(list(tmp_path.glob('job-*')))}.json"
    path.write_text(json.dumps(job))
    return path


def test_custom_solution_trains_and_resumes_from_its_checkpoint(competitions: Path, tmp_path: Path) -> None:
    first = run_cli("haste_runner.train", "--job", str(_job(tmp_path, competitions / "breast-cancer", SOLUTION)))
    assert first.rc == 0, first.stderr
    result = first.events[-1]
    assert result["event"] == "result" and result["cvScore"] > 0.9
    checkpoint = first.events[-2]["checkpoint"]
    # The model class lives in solution.py: the checkpoint must unpickle in a fresh process.
    again = run_cli(
        "haste_runner.train",
        "--job",
        str(_job(tmp_path, competitions / "breast-cancer", SOLUTION, resumeFrom=checkpoint, attempt=2)),
    )
    assert again.rc == 0, again.stderr
    assert again.events[0]["resumedFromEpoch"] == 1 and again.events[-1]["cvScore"] == result["cvScore"]


def test_custom_solution_faults_are_solution_errors(competitions: Path, tmp_path: Path) -> None:
    cases = {
        None: "needs param 'code'",
        "x = ": "failed to import: SyntaxError",
        "import sys\nsys.exit(0)": "failed to import: SystemExit",
        "def other(): pass": "must define make_model",
        "def make_model(t, s):\n    raise MemoryError('big')": "make_model failed: MemoryError",
    }
    for code, message in cases.items():
        res = run_cli("haste_runner.train", "--job", str(_job(tmp_path, competitions / "breast-cancer", code)))
        assert res.rc == 2, (code, res.stderr)
        assert res.events[-1]["kind"] == "solution" and message in res.events[-1]["message"], res.events[-1]
