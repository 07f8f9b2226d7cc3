from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli, run_main

from haste_runner.competition import read_csv
from haste_runner.grade import main


def _grade(capsys: pytest.CaptureFixture[str], competition: Path, submission: Path):
    return run_main(main, capsys, "--competition", str(competition), "--submission", str(submission))


def test_perfect_submission_and_baseline(competitions: Path, tmp_path: Path) -> None:
    # Real subprocesses here: this is the one end-to-end check of the CLI's stdout and exit code.
    d = competitions / "kr-vs-kp"
    perfect = tmp_path / "perfect.csv"
    read_csv(d / "answers.csv").sample(frac=1.0, random_state=0).to_csv(perfect, index=False)  # order is irrelevant
    result = run_cli("haste_runner.grade", "--competition", str(d), "--submission", str(perfect))
    assert result.rc == 0
    assert result.events == [{"metric": "accuracy", "direction": "maximize", "score": 1.0, "rows": 799}]

    base = run_cli("haste_runner.grade", "--competition", str(d), "--baseline")
    assert base.rc == 0 and base.events[0]["baseline"] == "majority"
    assert 0.45 < base.events[0]["score"] < 0.55


@pytest.mark.parametrize("comp_id, kind, score", [("breast-cancer", "prior", 0.5), ("diabetes", "mean", None)])
def test_baseline_kinds(
    competitions: Path, capsys: pytest.CaptureFixture[str], comp_id: str, kind: str, score: float | None
) -> None:
    result = run_main(main, capsys, "--competition", str(competitions / comp_id), "--baseline")
    assert result.rc == 0 and result.events[0]["baseline"] == kind
    if score is not None:
        assert result.events[0]["score"] == score


def _mutations(answers: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, str]]:
    dup = answers.copy()
    dup.loc[dup.index[1], "id"] = dup["id"].iloc[0]
    wrong_id = answers.copy()
    wrong_id.loc[wrong_id.index[0], "id"] = 10**9
    nan = answers.astype({"target": "float64"})
    nan.loc[nan.index[0], "target"] = float("nan")
    text = answers.astype({"target": "object"})
    text.loc[text.index[0], "target"] = "high"
    return {
        "missing_target": (answers[["id"]], "missing column 'target'"),
        "missing_id": (answers[["target"]], "missing column 'id'"),
        "short": (answers.iloc[:-1], "rows, expected"),
        "duplicate": (dup, "duplicate ids"),
        "unknown_id": (wrong_id, "not test ids"),
        "nan": (nan, "missing/NaN"),
        "non_numeric": (text, "must be numeric"),
    }


@pytest.mark.parametrize(
    "case", ["missing_target", "missing_id", "short", "duplicate", "unknown_id", "nan", "non_numeric"]
)
def test_submission_errors(competitions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    d = competitions / "diabetes"
    frame, message = _mutations(read_csv(d / "answers.csv"))[case]
    path = tmp_path / "sub.csv"
    frame.to_csv(path, index=False)
    result = _grade(capsys, d, path)
    assert result.rc == 2
    assert result.events[0]["event"] == "error" and result.events[0]["kind"] == "submission"
    assert message in result.events[0]["message"]


def test_unreadable_submission(competitions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = _grade(capsys, competitions / "wine", tmp_path / "does-not-exist.csv")
    assert result.rc == 2 and result.events[0]["kind"] == "submission"
