"""A job's deadline holds: training stops in time and still submits a valid submission from what it has."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from conftest import run_train

from haste_runner import grade
from haste_runner.competition import Competition, read_csv
from haste_runner.events import EventLog
from haste_runner.train import Job, run

# Past the deadline by at most this much: one fold's work plus writing the submission, on a loaded machine.
OVERSHOOT_SECONDS = 2.5


def _run(job: dict) -> list[dict]:
    """In this process: the deadline then measures the run itself, not a fresh interpreter's imports
    (which the activity charges too, but which a loaded test machine makes unpredictable)."""
    out = io.StringIO()
    run(Job.from_dict(job), EventLog(None, 1, out))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _job(competition: Path, workdir: Path, template: str, params: dict, deadline: float, **extra) -> dict:
    return {
        "competitionDir": str(competition),
        "template": template,
        "params": params,
        "seed": 0,
        "folds": 5,
        "workdir": str(workdir),
        "resumeFrom": None,
        "checkpointEvery": 1,
        "attempt": 1,
        "deadline": deadline,
        **extra,
    }


def _graded(competition: Path, submission: Path) -> float:
    comp, answers = Competition.load(competition), read_csv(competition / "answers.csv")
    return grade.score(comp, answers, grade.read_submission(submission, comp, answers))


def test_a_long_training_stops_at_its_deadline_with_a_valid_submission(competitions: Path, tmp_path: Path) -> None:
    d = competitions / "kr-vs-kp"
    params = {"epochs": 1000, "trees_per_epoch": 10}
    # What two epochs cost on this machine now; the deadline leaves room for several.
    started = time.time()
    _run(_job(d, tmp_path / "probe", "random_forest", {**params, "epochs": 2}, started + 1000, checkpointEvery=0))
    deadline = time.time() + 4 * (time.time() - started)
    events = _run(_job(d, tmp_path / "w", "random_forest", params, deadline))
    finished = time.time()
    assert finished - deadline <= OVERSHOOT_SECONDS
    done = events[-1]
    assert done["event"] == "result" and done["stopped"].startswith("deadline")
    assert 2 <= done["epochs"] < 1000 and done["folds"] == 5
    # Every fold finished the reported epoch, which was checkpointed; the submission is that model's.
    assert [e for e in events if e["event"] == "progress"][-1]["checkpointEpoch"] == done["epochs"]
    assert _graded(d, tmp_path / "w" / "submission.csv") > 0.9  # roc_auc of a real forest


def test_a_single_epoch_model_scales_down_to_the_folds_that_fit(competitions: Path, tmp_path: Path) -> None:
    # One epoch of many trees: the first fold shows what a fold costs, and the folds that would
    # overshoot are left out. The deadline leaves room for about three folds of the ten asked for.
    d = competitions / "kr-vs-kp"
    params = {"epochs": 1, "trees_per_epoch": 150}
    started = time.time()
    _run(_job(d, tmp_path / "probe", "random_forest", params, started + 1000, folds=2, checkpointEvery=0))
    fold = (time.time() - started) / 2
    deadline = time.time() + 3 * fold
    events = _run(_job(d, tmp_path / "w", "random_forest", params, deadline, folds=10))
    finished = time.time()
    assert finished - deadline <= OVERSHOOT_SECONDS
    done = events[-1]
    assert done["stopped"].startswith("deadline: stopped in epoch 1 before fold")
    assert 1 <= done["folds"] < 10 and done["epochs"] == 1
    assert _graded(d, tmp_path / "w" / "submission.csv") > 0.9


def test_forecasting_scores_the_series_that_fit_and_forecasts_every_test_series(
    competitions: Path, tmp_path: Path
) -> None:
    # combo fits ETS and Theta per series: us-macro's 8 series x 5 folds + the test forecast take far longer.
    d = competitions / "us-macro"
    # Two folds and their test forecasts (32 series forecasts) on this machine now; 5 folds are 80 of them.
    started = time.time()
    _run(_job(d, tmp_path / "probe", "combo", {}, started + 1000, folds=2, checkpointEvery=0))
    # Room for about a third of the 80 (the probe's time includes the imports, which vary with the machine's load).
    deadline = time.time() + 0.9 * (time.time() - started)
    events = _run(_job(d, tmp_path / "w", "combo", {}, deadline))
    finished = time.time()
    assert finished - deadline <= OVERSHOOT_SECONDS
    done = events[-1]
    assert done["stopped"].startswith("deadline: scored")
    submission = read_csv(tmp_path / "w" / "submission.csv")
    assert len(submission) == len(read_csv(d / "test.csv"))
    assert _graded(d, tmp_path / "w" / "submission.csv") > 0


def test_a_test_forecast_that_cannot_fit_is_refused(competitions: Path, tmp_path: Path) -> None:
    result = run_train(tmp_path, _job(competitions / "us-macro", tmp_path / "w", "combo", {}, time.time()))
    assert result.rc == 2
    assert result.events[-1]["kind"] == "solution"
    assert "budget: forecasting the 8 test series once takes about" in result.events[-1]["message"]


@pytest.mark.parametrize("bad", ["soon", True, float("nan")])
def test_a_bad_deadline_is_refused(competitions: Path, tmp_path: Path, bad: object) -> None:
    result = run_train(tmp_path, _job(competitions / "diabetes", tmp_path / "w", "ridge", {}, bad))  # type: ignore[arg-type]
    assert result.rc == 2 and "'deadline'" in result.events[-1]["message"]
