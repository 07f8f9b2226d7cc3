"""Reference columns of the suite benchmark: `python bench/reference.py --competition DIR [--folds 5]`.

For one prepared competition, prints one JSON line per reference, each graded on the hidden answers by the
runner's own grader (`haste_runner.grade`):

- `naive`: the grader's naive baseline (majority / prior / mean / last value);
- `default`: a strong default, one fit, no search: HistGradientBoosting (tabular, vision), TF-IDF + logistic
  regression (text), seasonal naive with the season of the competition or detected from the data (time series);
- `tuned`: what a practitioner would write first for this kind of data, as a pipeline spec: LightGBM with early
  stopping on an inner validation split behind the feature steps the data calls for (log1p target for RMSLE;
  one-hot / out-of-fold target encoding; TF-IDF of text columns; position-wise + k-mer encoding of symbol
  sequences; pixels), or for series one global LightGBM on lags, rolling statistics and calendar parts.

Both are trained by the runner's `train` CLI on the same train.csv, with the same folds as an episode, outside
the sandbox (this is trusted reference code). Reference lines carry `computeSeconds` (CPU seconds of training).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).resolve().parents[1] / "runner"
sys.path.insert(0, str(RUNNER))

from haste_runner.competition import TRAIN_FILE, Competition, read_csv  # noqa: E402
from haste_runner.pipeline.columns import data_columns  # noqa: E402
from haste_runner.pipeline.sequence import is_sequence  # noqa: E402

EARLY_STOPPED_LIGHTGBM = {
    "template": "lightgbm",
    "params": {"epochs": 40, "iters_per_epoch": 25, "learning_rate": 0.05, "num_leaves": 31, "colsample": 0.8},
    "early_stopping": {"validation_fraction": 0.15, "patience": 3},
}


def default_candidate(comp: Competition) -> dict[str, Any]:
    if comp.task_type == "forecasting":
        return {"template": "pipeline", "params": {"version": 1, "model": {"template": "seasonal_naive"}}}
    if comp.domain == "text":
        return {"template": "tfidf_logistic", "params": {}}
    if comp.metric_name == "rmsle":
        # The reading of "default" for RMSLE: HistGradientBoosting on log1p(target), which also keeps
        # predictions non-negative (today's template with the ordinal codes it uses for strings).
        return {
            "template": "pipeline",
            "params": {
                "version": 1,
                "target": "log1p",
                "features": [{"kind": "ordinal"}],
                "model": {"template": "hist_gradient_boosting"},
            },
        }
    return {"template": "hist_gradient_boosting", "params": {}}


def _lags(min_length: int, horizon: int) -> list[int]:
    usable = max(3, (min_length - horizon) // 4)
    return [lag for lag in (1, 2, 3, 4, 5, 6, 7, 12, 14, 21, 24, 28) if lag <= usable]


def tuned_candidate(comp: Competition, train) -> dict[str, Any]:
    features = train.drop(columns=[comp.id_column, comp.target_column])
    columns = data_columns(comp, features)
    if comp.task_type == "forecasting":
        assert comp.horizon is not None
        min_length = int(train.groupby(columns.series).size().min())
        lags = _lags(min_length, comp.horizon)
        windows = [w for w in (7, 28) if w <= max(lags)] or [max(lags)]
        steps: list[dict[str, Any]] = [
            {"kind": "lags", "lags": lags},
            {"kind": "rolling", "windows": windows, "stats": ["mean", "std"]},
            {"kind": "calendar"},
            {"kind": "series_id"},
        ]
        model = {**EARLY_STOPPED_LIGHTGBM, "forecast": {"strategy": "direct", "max_rows_per_series": 1500}}
        return {"template": "pipeline", "params": {"version": 1, "features": steps, "model": model}}
    strings = [c for c in features.columns if features[c].dtype == object or str(features[c].dtype) == "str"]
    sequences = [c for c in strings if is_sequence(features[c])]
    steps = []
    if sequences:
        steps += [{"kind": "positional"}, {"kind": "kmer", "k": [1, 2, 3]}]
    elif columns.image is not None:
        steps += [{"kind": "pixels"}]
    elif comp.domain == "text":
        return {
            "template": "pipeline",
            "params": {
                "version": 1,
                "features": [
                    {"kind": "tfidf", "analyzer": "word", "ngram_range": [1, 2], "min_df": 2},
                    {"kind": "tfidf", "analyzer": "char_wb", "ngram_range": [2, 5], "min_df": 2},
                ],
                "model": {"template": "logistic_regression", "params": {"C": 10.0}},
            },
        }
    else:
        steps += [{"kind": "impute"}, {"kind": "one_hot", "max_categories": 10}, {"kind": "ordinal"}]
        categorical = [c for c in strings if c not in columns.text]
        if any(features[c].nunique() > 10 for c in categorical):
            steps += [{"kind": "target_encoding", "min_categories": 10}, {"kind": "frequency"}]
        if columns.text:
            steps += [{"kind": "tfidf", "analyzer": "word", "ngram_range": [1, 2], "min_df": 2}]
    spec: dict[str, Any] = {"version": 1, "features": steps, "model": EARLY_STOPPED_LIGHTGBM}
    if comp.metric_name == "rmsle" or (
        comp.task_type == "regression" and train[comp.target_column].min() >= 0 and train[comp.target_column].skew() > 1
    ):
        spec["target"] = "log1p"
    return {"template": "pipeline", "params": spec}


def _python() -> str:
    return sys.executable


def _runner(module: str, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [_python(), "-m", f"haste_runner.{module}", *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(RUNNER), "PATH": "/usr/bin:/bin", "HASTE_SANDBOX": "off"},
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0:
        error = next((e for e in lines if e.get("event") == "error"), None)
        raise RuntimeError(error["message"] if error else done.stderr.strip().splitlines()[-1:])
    return lines


def run_reference(name: str, candidate: dict[str, Any], comp_dir: Path, folds: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"haste-ref-{name}-") as tmp:
        job = {
            "competitionDir": str(comp_dir),
            "template": candidate["template"],
            "params": candidate["params"],
            "seed": seed,
            "folds": folds,
            "workdir": str(Path(tmp) / "work"),
            "checkpointEvery": 0,
        }
        (Path(tmp) / "job.json").write_text(json.dumps(job))
        started = time.monotonic()
        try:
            events = _runner("train", "--job", str(Path(tmp) / "job.json"))
            result = next(e for e in events if e.get("event") == "result")
            graded = _runner("grade", "--competition", str(comp_dir), "--submission", result["submission"])[-1]
        except RuntimeError as e:
            return {"reference": name, "candidate": candidate, "score": None, "error": str(e)}
        return {
            "reference": name,
            "candidate": candidate,
            "score": graded["score"],
            "cvScore": result["cvScore"],
            "computeSeconds": result.get("cpuSeconds"),
            "wallSeconds": time.monotonic() - started,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--competition", required=True, type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    names = ["naive", "default", "tuned"]
    parser.add_argument("--only", nargs="+", choices=names, default=names)
    args = parser.parse_args(argv)
    comp_dir = args.competition.resolve()
    comp = Competition.load(comp_dir)
    if "naive" in args.only:
        naive = _runner("grade", "--competition", str(comp_dir), "--baseline")[-1]
        print(json.dumps({"reference": "naive", "score": naive["score"], "computeSeconds": 0}), flush=True)
    train = read_csv(comp_dir / TRAIN_FILE)
    candidates = {"default": default_candidate(comp), "tuned": tuned_candidate(comp, train)}
    for name in args.only:
        if name in candidates:
            print(json.dumps(run_reference(name, candidates[name], comp_dir, args.folds, args.seed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
