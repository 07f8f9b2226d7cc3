"""Epoch-based, resumable training: `python -m haste_runner.train --job JOB.json`.

See runner/README.md for the job format, the stdout protocol and the exit codes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import checkpoint
from .competition import TEST_FILE, TRAIN_FILE, Competition, read_csv, sha256_file
from .cv import CrossValidation, Deadline
from .errors import USER_FAULT_EXIT, SolutionError, competition_data, solution_code
from .events import EventLog
from .forecast_cv import ForecastValidation
from .pipeline import artifacts
from .process import cpu_seconds, die_with_parent, peak_rss_mb
from .templates import TEMPLATES, get_template

INFRA_EXIT = 1
SUBMISSION_FILE = "submission.csv"
PROGRESS_FILE = "progress.jsonl"
CHECKPOINT_DIR = "checkpoints"

JOB_KEYS = {
    "competitionDir",
    "template",
    "params",
    "seed",
    "folds",
    "workdir",
    "resumeFrom",
    "checkpointEvery",
    "attempt",
    "artifacts",
    "deadline",
}


@dataclass(frozen=True)
class Job:
    competition_dir: Path
    template: str
    params: dict[str, Any]
    seed: int
    folds: int
    workdir: Path
    resume_from: Path | None
    checkpoint_every: int  # 0 disables checkpoints
    attempt: int
    artifacts: dict[str, Path]  # earlier steps' workdirs (read-only) by label, for ensembles
    # Unix time when the step's compute budget runs out: training stops before it and submits what it has.
    deadline: float | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> Job:
        if not isinstance(raw, dict):
            raise SolutionError("job must be a JSON object")
        unknown = sorted(raw.keys() - JOB_KEYS)
        if unknown:
            raise SolutionError(f"job has unknown key {unknown[0]!r}; known: {sorted(JOB_KEYS)}")
        for key in ("competitionDir", "template", "workdir"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise SolutionError(f"job key {key!r} must be a non-empty string")

        def integer(key: str, default: int, lo: int) -> int:
            v = raw.get(key, default)
            if v is None:
                v = default
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise SolutionError(f"job key {key!r} must be an integer >= {lo}, got {v!r}")
            return v

        resume = raw.get("resumeFrom")
        if resume is not None and not isinstance(resume, str):
            raise SolutionError("job key 'resumeFrom' must be a path string or null")
        params = raw.get("params") or {}
        if not isinstance(params, dict):
            raise SolutionError("job key 'params' must be an object")
        artifacts = raw.get("artifacts") or {}
        if not isinstance(artifacts, dict) or not all(isinstance(v, str) and v for v in artifacts.values()):
            raise SolutionError("job key 'artifacts' must be an object of label -> directory path")
        deadline = raw.get("deadline")
        if deadline is not None and (
            isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not math.isfinite(deadline)
        ):
            raise SolutionError(f"job key 'deadline' must be a Unix time in seconds or null, got {deadline!r}")
        return cls(
            competition_dir=Path(raw["competitionDir"]).resolve(),
            template=raw["template"],
            params=params,
            seed=integer("seed", 0, 0),
            folds=integer("folds", 5, 2),
            workdir=Path(raw["workdir"]).resolve(),
            resume_from=Path(resume).resolve() if resume else None,
            checkpoint_every=integer("checkpointEvery", 1, 0),
            attempt=integer("attempt", 1, 1),
            artifacts={str(k): Path(v).resolve() for k, v in artifacts.items()},
            deadline=None if deadline is None else float(deadline),
        )


def _usage() -> dict[str, float]:
    return {"cpuSeconds": cpu_seconds(), "peakRssMb": peak_rss_mb()}


def _write_submission(path: Path, comp: Competition, ids: np.ndarray, values: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame = pd.DataFrame({comp.id_column: ids, comp.target_column: values})
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        frame.to_csv(f, index=False, lineterminator="\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def run(job: Job, log: EventLog) -> None:
    # One thread (OpenMP/BLAS included): the platform schedules runners as single-CPU
    # processes, and results then do not depend on the machine's core count.
    with threadpool_limits(limits=1):
        _train(job, log)


def _train(job: Job, log: EventLog) -> None:
    deadline = Deadline(job.deadline)
    job.workdir.mkdir(parents=True, exist_ok=True)
    template = get_template(job.template)
    params = template.resolve(job.params)
    if template.setup is not None:
        with solution_code(f"template {template.name!r} setup"):
            template.setup(params)
    with competition_data(f"loading the competition in {job.competition_dir}"):
        comp = Competition.load(job.competition_dir)
        train = read_csv(job.competition_dir / TRAIN_FILE)
        test = read_csv(job.competition_dir / TEST_FILE)
        train_sha = sha256_file(job.competition_dir / TRAIN_FILE)
    fp = checkpoint.fingerprint(template.name, params, job.seed, job.folds, train_sha)

    states, start = None, 0
    checkpoint_dir = job.workdir / CHECKPOINT_DIR
    # A retry resumes from the newest valid checkpoint: the heartbeat's, or a newer one on disk.
    if job.resume_from is not None or job.attempt > 1:
        restored = checkpoint.newest_valid(checkpoint_dir, job.resume_from, job.workdir, fp)
        if restored is not None:
            states, start = restored.folds, restored.epoch
    validation = template.validation(comp, params, job.artifacts) or (
        ForecastValidation if comp.task_type == "forecasting" else CrossValidation
    )
    cv = validation(comp, template, params, job.seed, job.folds, train, test, states, start, deadline)

    epochs = template.epochs(params)
    log.emit("start", epochs=epochs, resumedFromEpoch=start)
    newest_checkpoint = start
    completed = start  # the last epoch every fold finished
    fold_scores: list[float] = []
    for epoch in range(start + 1, epochs + 1):
        # Between epochs: start one only if it and the test predictions still fit before the deadline.
        if epoch > 1 and not cv.affords_epoch():
            cv.stopped = f"deadline: stopped after epoch {completed} of {epochs} ({deadline.left():.1f} s left)"
            break
        whole = cv.train_epoch(epoch)
        fold_scores = cv.scores()
        if not whole or cv.stopped:
            # Fold models are at their last completed epoch; nothing half-done is checkpointed.
            log.emit(
                "progress",
                epoch=epoch,
                epochs=epochs,
                valScore=float(np.mean(fold_scores)),
                checkpoint=None,
                checkpointEpoch=newest_checkpoint,
                **_usage(),
            )
            break
        completed = epoch
        written = None
        if job.checkpoint_every and epoch % job.checkpoint_every == 0:
            started = time.perf_counter()
            written = checkpoint.save(checkpoint_dir, checkpoint.Checkpoint(fp, epoch, cv.states))
            # Checkpoints grow with the model: the next epoch's estimate includes writing one.
            cv.overhead_seconds = time.perf_counter() - started
            newest_checkpoint = epoch
        log.emit(
            "progress",
            epoch=epoch,
            epochs=epochs,
            valScore=float(np.mean(fold_scores)),
            checkpoint=None if written is None else str(written),
            checkpointEpoch=newest_checkpoint,
            **_usage(),
        )
    if not fold_scores:  # resumed at the last epoch, or the deadline came first: score what there is
        fold_scores = cv.scores()

    submission = job.workdir / SUBMISSION_FILE
    _write_submission(submission, comp, cv.test_ids, cv.predict_test())
    artifacts.write(
        job.workdir,
        cv,
        {
            "template": template.name,
            "seed": job.seed,
            "folds": job.folds,
            "trainSha256": train_sha,
            "metric": comp.metric_name,
            "cvScore": float(np.mean(fold_scores)),
            **getattr(cv, "report", {}),
        },
    )
    log.emit(
        "result",
        cvScore=float(np.mean(fold_scores)),
        cvStd=float(np.std(fold_scores)),
        epochs=min(cv.epochs_done[j] for j in cv.used_folds),
        folds=len(fold_scores),
        stopped=cv.stopped,
        submission=str(submission),
        **_usage(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haste_runner.train", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--job", type=Path, help="path to the job JSON")
    mode.add_argument("--list-templates", action="store_true", help="print the template catalogue as JSON")
    args = parser.parse_args(argv)

    if args.list_templates:
        print(json.dumps({"templates": {name: t.describe() for name, t in TEMPLATES.items()}}))
        return 0

    die_with_parent()
    log = EventLog(None, attempt=1)
    try:
        try:
            raw = json.loads(args.job.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise SolutionError(f"job file is not valid JSON: {e}") from None
        job = Job.from_dict(raw)
        job.workdir.mkdir(parents=True, exist_ok=True)  # progress.jsonl lives there
        log = EventLog(job.workdir / PROGRESS_FILE, job.attempt)
        run(job, log)
        return 0
    except SolutionError as e:  # CompetitionError included: kind says which
        log.emit("error", kind=e.kind, message=str(e), **_usage())
        return USER_FAULT_EXIT
    except Exception as e:  # noqa: BLE001 - anything else is the platform's problem: report, keep the traceback
        traceback.print_exc()
        log.emit("error", kind="infrastructure", message=f"{type(e).__name__}: {e}", **_usage())
        return INFRA_EXIT


if __name__ == "__main__":
    sys.exit(main())
