from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli, run_train, runner_env
from test_domain_templates import DOMAIN_FAST

from haste_runner import grade
from haste_runner.competition import Competition, read_csv
from haste_runner.errors import SolutionError
from haste_runner.events import EventLog
from haste_runner.train import Job, run

FAST = {
    "random_forest": {"epochs": 2, "trees_per_epoch": 10},
    "extra_trees": {"epochs": 2, "trees_per_epoch": 10},
    "hist_gradient_boosting": {"epochs": 2, "iters_per_epoch": 20},
    "mlp": {"epochs": 10},
    "logistic_regression": {},
    "ridge": {},
    "knn": {},
}
CASES = (
    [("titanic", t) for t in FAST if t != "ridge"]
    + [("diabetes", t) for t in FAST if t != "logistic_regression"]
    + [
        ("wine", "hist_gradient_boosting"),
        ("wine", "mlp"),
        ("kr-vs-kp", "logistic_regression"),
        ("breast-cancer", "extra_trees"),
    ]
)


def _job(competition: Path, workdir: Path, template: str, params: dict, **extra) -> dict:
    return {
        "competitionDir": str(competition),
        "template": template,
        "params": params,
        "seed": 1,
        "folds": 3,
        "workdir": str(workdir),
        "resumeFrom": None,
        "checkpointEvery": 1,
        "attempt": 1,
        **extra,
    }


def _events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _run_in_process(job: dict) -> list[dict]:
    out = io.StringIO()
    run(Job.from_dict(job), EventLog(None, 1, out))
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("comp_id, template", CASES)
def test_template_beats_baseline(competitions: Path, tmp_path: Path, comp_id: str, template: str) -> None:
    d = competitions / comp_id
    events = _run_in_process(_job(d, tmp_path, template, FAST[template], checkpointEvery=0))
    assert [e["event"] for e in events] == ["start"] + ["progress"] * events[0]["epochs"] + ["result"]

    comp, answers = Competition.load(d), read_csv(d / "answers.csv")
    submission = tmp_path / "submission.csv"
    test_score = grade.score(comp, answers, grade.read_submission(submission, comp, answers))
    predicted, _ = grade.baseline(comp, read_csv(d / "train.csv"), len(answers))
    base = grade.score(comp, answers, predicted)
    cv = events[-1]["cvScore"]
    if comp.direction == "maximize":
        assert test_score > base and cv > base
    else:
        assert test_score < base and cv < base
    if comp.metric.kind == "label":
        sub_labels = set(read_csv(submission)["target"].astype(str))
        assert sub_labels <= set(read_csv(d / "train.csv")["target"].astype(str))


def test_probabilities_for_roc_auc(competitions: Path, tmp_path: Path) -> None:
    _run_in_process(_job(competitions / "breast-cancer", tmp_path, "logistic_regression", {}))
    target = read_csv(tmp_path / "submission.csv")["target"]
    assert target.between(0, 1).all() and target.nunique() > 10


def test_resume_after_sigkill_equals_uninterrupted_run(competitions: Path, tmp_path: Path) -> None:
    d = competitions / "breast-cancer"
    params = {"epochs": 6, "trees_per_epoch": 10}
    reference = _run_in_process(_job(d, tmp_path / "reference", "random_forest", params))
    assert sorted(p.name for p in (tmp_path / "reference" / "checkpoints").iterdir()) == ["epoch-5.pkl", "epoch-6.pkl"]

    # Attempt 1: SIGKILL right after epoch 2 is reported, as a crashed worker would be.
    workdir = tmp_path / "crashed"
    job_path = tmp_path / "attempt1.json"
    job_path.write_text(json.dumps(_job(d, workdir, "random_forest", params)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "haste_runner.train", "--job", str(job_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=runner_env(),
    )
    for line in proc.stdout:
        if json.loads(line).get("epoch") == 2:
            proc.kill()
            break
    proc.wait()
    proc.stdout.close()
    completed = _events(workdir / "progress.jsonl")
    assert "result" not in [e["event"] for e in completed], "the run finished before it could be killed"
    last = [e for e in completed if e["event"] == "progress"][-1]

    # Attempt 2: resume from the newest checkpoint on disk. It is epoch 2 even when the kill landed
    # before attempt 1 logged it: the reported one (the heartbeat's) is only a hint.
    assert sorted(p.name for p in (workdir / "checkpoints").iterdir())[-1] == "epoch-2.pkl"
    resumed = run_train(
        tmp_path, _job(d, workdir, "random_forest", params, resumeFrom=last["checkpoint"], attempt=2), "attempt2.json"
    )
    assert resumed.rc == 0, resumed.stderr
    assert resumed.events[0] == {"event": "start", "epochs": 6, "resumedFromEpoch": 2}
    assert [e["epoch"] for e in resumed.events if e["event"] == "progress"] == list(range(3, 7))
    assert resumed.events[-1]["cvScore"] == reference[-1]["cvScore"]
    assert resumed.events[-1]["cvStd"] == reference[-1]["cvStd"]
    assert (workdir / "submission.csv").read_bytes() == (tmp_path / "reference" / "submission.csv").read_bytes()
    ref_progress = [e["valScore"] for e in reference if e["event"] == "progress"]
    all_progress = {e["epoch"]: e["valScore"] for e in _events(workdir / "progress.jsonl") if e["event"] == "progress"}
    # Epoch 2 is logged only if the kill came after attempt 1 logged it; every logged epoch matches.
    assert {1, 3, 4, 5, 6} <= all_progress.keys()
    assert all(score == ref_progress[epoch - 1] for epoch, score in all_progress.items())
    assert {e["attempt"] for e in _events(workdir / "progress.jsonl")} == {1, 2}


def test_unknown_template_exits_2(competitions: Path, tmp_path: Path) -> None:
    result = run_train(tmp_path, _job(competitions / "diabetes", tmp_path / "w", "xgboost_magic", {}))
    assert result.rc == 2
    assert len(result.events) == 1
    assert result.events[0]["event"] == "error" and result.events[0]["kind"] == "solution"
    assert result.events[0]["cpuSeconds"] > 0  # a failed step is charged like any other
    assert "unknown template 'xgboost_magic'" in result.events[0]["message"]
    assert _events(tmp_path / "w" / "progress.jsonl")[-1]["event"] == "error"


@pytest.mark.parametrize(
    "template, params, message",
    [
        ("random_forest", {"n_trees": 5}, "'n_trees'"),
        ("hist_gradient_boosting", {"learning_rate": -1}, "'learning_rate'"),
        ("mlp", {"hidden": [0]}, "'hidden'"),
        ("logistic_regression", {}, "does not support task type 'regression'"),
    ],
)
def test_bad_jobs_are_solution_errors(
    competitions: Path, tmp_path: Path, template: str, params: dict, message: str
) -> None:
    with pytest.raises(SolutionError, match=message):
        _run_in_process(_job(competitions / "diabetes", tmp_path, template, params))


def test_list_templates() -> None:
    result = run_cli("haste_runner.train", "--list-templates")
    templates = result.events[0]["templates"]
    # custom: test_custom.py; the domain templates: test_domain_templates.py; pipeline: test_pipeline_*.py
    assert set(templates) == set(FAST) | {"custom", "pipeline"} | set(DOMAIN_FAST)
    assert templates["random_forest"]["defaults"]["trees_per_epoch"] == 25
    assert templates["ridge"]["taskTypes"] == ["regression"]


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_runner_dies_with_its_parent(competitions: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "w"
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps(_job(competitions / "kr-vs-kp", workdir, "random_forest", {"epochs": 200})))
    parent_code = (
        "import subprocess, sys; p = subprocess.Popen([sys.executable, '-m', 'haste_runner.train', "
        f"'--job', {str(job_path)!r}], stdout=subprocess.DEVNULL); print(p.pid, flush=True); p.wait()"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True, env=runner_env())
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while not (workdir / "progress.jsonl").exists():  # the runner has set its death signal by now
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while _state(child) not in (None, "Z"):
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            pytest.fail("runner outlived its parent")
        time.sleep(0.05)
