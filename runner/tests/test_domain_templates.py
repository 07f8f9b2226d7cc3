"""The per-domain templates: each trains, beats the naive baseline in CV, and resumes identically."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from haste_runner.competition import Competition, read_csv
from haste_runner.errors import SolutionError
from haste_runner.events import EventLog
from haste_runner.grade import baseline, score
from haste_runner.templates import torch_available
from haste_runner.train import Job, run

# Small settings that still learn something; the key is the template.
DOMAIN_FAST = {
    "lightgbm": ("fair-affairs", {"epochs": 2, "iters_per_epoch": 20}),
    # Row and column sampling on, so resuming also checks that the sampling does not drift.
    "xgboost": ("fair-affairs", {"epochs": 2, "iters_per_epoch": 20, "subsample": 0.8, "colsample_bytree": 0.8}),
    "tfidf_logistic": ("fortune-topics", {}),
    "tfidf_nb": ("fortune-topics", {"analyzer": "char_wb", "ngram_max": 3}),
    "tfidf_sgd": ("fortune-computing", {"epochs": 2}),
    "cnn": ("lfw-faces", {"epochs": 2, "channels": 4}),
    "seasonal_naive": ("co2-monthly", {}),
    "ets": ("co2-monthly", {}),
    "combo": ("co2-monthly", {}),
    "lag_gbm": ("elnino-sst", {"epochs": 2}),
    "lag_ridge": ("elnino-sst", {"lags": 12}),
}


def _job(competition: Path, workdir: Path, template: str, params: dict, **extra) -> dict:
    return {
        "competitionDir": str(competition),
        "template": template,
        "params": params,
        "seed": 3,
        "folds": 3,
        "workdir": str(workdir),
        "resumeFrom": None,
        "checkpointEvery": 1,
        "attempt": 1,
        **extra,
    }


def _run(job: dict) -> list[dict]:
    out = io.StringIO()
    run(Job.from_dict(job), EventLog(None, 1, out))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _beats_naive(d: Path, submission: Path) -> tuple[bool, float, float]:
    """Grades a submission and the naive baseline on the hidden answers: (better?, graded, naive)."""
    comp = Competition.load(d)
    train, test, answers = read_csv(d / "train.csv"), read_csv(d / "test.csv"), read_csv(d / "answers.csv")
    graded = score(comp, answers, read_csv(submission)[comp.target_column])
    naive = score(comp, answers, baseline(comp, train, len(answers), test)[0])
    return (graded > naive if comp.direction == "maximize" else graded < naive), graded, naive


@pytest.mark.parametrize("template", [t for t in DOMAIN_FAST if t != "cnn" or torch_available()])
def test_domain_template_trains_and_beats_the_naive_baseline(competitions: Path, tmp_path: Path, template: str) -> None:
    comp_id, params = DOMAIN_FAST[template]
    d = competitions / comp_id
    result = _run(_job(d, tmp_path, template, params))[-1]
    assert result["event"] == "result"
    better, graded, naive = _beats_naive(d, Path(result["submission"]))
    assert better or template == "seasonal_naive", (template, graded, naive)


def _resumes_identically(d: Path, tmp_path: Path, template: str, params: dict) -> list[dict]:
    """Runs the job, then again resumed after epoch 1; returns the uninterrupted run's events."""
    full = _run(_job(d, tmp_path / "full", template, params))
    # A retry resumes only from checkpoints inside its own workdir: put epoch 1's there.
    first_checkpoint = tmp_path / "resumed" / "checkpoints" / "epoch-1.pkl"
    first_checkpoint.parent.mkdir(parents=True)
    shutil.copy(full[1]["checkpoint"], first_checkpoint)
    resumed = _run(_job(d, tmp_path / "resumed", template, params, resumeFrom=str(first_checkpoint), attempt=2))
    assert resumed[0]["resumedFromEpoch"] == 1
    assert [e["valScore"] for e in full if e["event"] == "progress"][1:] == [
        e["valScore"] for e in resumed if e["event"] == "progress"
    ]
    assert (tmp_path / "full" / "submission.csv").read_bytes() == (tmp_path / "resumed" / "submission.csv").read_bytes()
    return full


@pytest.mark.parametrize(
    "template", ["lightgbm", "xgboost", "tfidf_sgd", "lag_gbm", "combo"] + (["cnn"] if torch_available() else [])
)
def test_multi_epoch_domain_templates_resume_identically(competitions: Path, tmp_path: Path, template: str) -> None:
    comp_id, params = DOMAIN_FAST[template]
    _resumes_identically(competitions / comp_id, tmp_path, template, params)


@pytest.mark.parametrize("comp_id", ["wine", "diabetes"])  # multiclass (softprob), regression
def test_xgboost_other_task_types_beat_the_baseline_and_resume(
    competitions: Path, tmp_path: Path, comp_id: str
) -> None:
    d = competitions / comp_id
    result = _resumes_identically(d, tmp_path, "xgboost", {"epochs": 2, "iters_per_epoch": 15, "subsample": 0.8})[-1]
    better, graded, naive = _beats_naive(d, Path(result["submission"]))
    assert better, (comp_id, graded, naive)


def test_xgboost_uses_the_gpu_only_when_the_slot_has_one_and_the_build_can(monkeypatch: pytest.MonkeyPatch) -> None:
    import xgboost

    from haste_runner.templates.tabular import xgboost_device

    build = {"USE_CUDA": True}
    monkeypatch.setattr(xgboost, "build_info", lambda: build)
    for visible, device in [("0", "cuda"), ("1,2", "cuda"), ("", "cpu"), ("-1", "cpu"), (None, "cpu")]:
        if visible is None:
            monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        else:
            monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
        assert xgboost_device() == device, visible
    build["USE_CUDA"] = False  # the CPU-only wheel (xgboost-cpu) on a GPU slot
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert xgboost_device() == "cpu"


@pytest.mark.skipif(torch_available(), reason="torch is installed here: the CNN runs instead")
def test_cnn_without_torch_is_a_clear_solution_error(competitions: Path, tmp_path: Path) -> None:
    with pytest.raises(SolutionError, match="needs PyTorch"):
        _run(_job(competitions / "lfw-faces", tmp_path, "cnn", {}))


def test_forecast_submission_covers_every_test_row(competitions: Path, tmp_path: Path) -> None:
    d = competitions / "us-macro"
    result = _run(_job(d, tmp_path, "seasonal_naive", {"method": "last"}))[-1]
    submission = read_csv(Path(result["submission"]))
    test = read_csv(d / "test.csv")
    assert sorted(submission["id"]) == sorted(test["id"])
    # `last` = the grader's naive baseline, value for value.
    comp = Competition.load(d)
    expected = baseline(comp, read_csv(d / "train.csv"), len(test), test)[0].to_numpy()
    got = submission.set_index("id").loc[test["id"], "value"].to_numpy()
    np.testing.assert_allclose(got, expected)
    assert isinstance(pd.Series(got).sum(), float)
