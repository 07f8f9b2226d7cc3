"""Pipeline specs trained end to end by the runner (the `pipeline` template), on real data from
scikit-learn / statsmodels and on constructed cases."""

from __future__ import annotations

import io
import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import run_train
from scipy.optimize import nnls
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from statsmodels.datasets import randhie

from haste_runner.errors import SolutionError
from haste_runner.events import EventLog
from haste_runner.metrics import get_metric
from haste_runner.train import Job, run


def make_competition(
    root: Path, name: str, frame: pd.DataFrame, target: str, task: str, metric: str, n_test: int, **extra: Any
) -> Path:
    """A competition folder from `frame`: the last n_test rows are the test set."""
    d = root / name
    d.mkdir(parents=True)
    frame = frame.reset_index(drop=True)
    frame.insert(0, "id", np.arange(len(frame)))
    train, test = frame.iloc[:-n_test], frame.iloc[-n_test:]
    train.to_csv(d / "train.csv", index=False)
    test.drop(columns=[target]).to_csv(d / "test.csv", index=False)
    direction = get_metric(metric).direction
    (d / "competition.yaml").write_text(
        yaml.safe_dump(
            {
                "id": name,
                "title": name,
                "domain": extra.pop("domain", "tabular"),
                "task_type": task,
                "target_column": target,
                "id_column": "id",
                "metric": {"name": metric, "direction": direction},
                "budget": {"compute_seconds": 60, "max_steps": 5},
                "source": "test",
                **extra,
            }
        )
    )
    return d


def train(
    comp: Path, workdir: Path, params: dict, template: str = "pipeline", log: io.StringIO | None = None, **job: Any
) -> list[dict]:
    out = log or io.StringIO()
    run(
        Job.from_dict(
            {
                "competitionDir": str(comp),
                "template": template,
                "params": params,
                "seed": 1,
                "folds": 3,
                "workdir": str(workdir),
                **job,
            }
        ),
        EventLog(None, 1, out),
    )  # job: overrides (folds, artifacts...)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def spec(model: dict, features: list | None = None, target: str = "none") -> dict:
    return {"version": 1, "target": target, "features": features or [], "model": {"params": {}, **model}}


@pytest.fixture(scope="module")
def doctor_visits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """statsmodels' RAND health insurance data: doctor visits, a skewed count (RMSLE)."""
    frame = randhie.load_pandas().data.sample(3000, random_state=0)
    return make_competition(tmp_path_factory.mktemp("c"), "doctor-visits", frame, "mdvis", "regression", "rmsle", 600)


def test_log1p_target_improves_rmsle_on_a_skewed_positive_target(doctor_visits: Path, tmp_path: Path) -> None:
    model = {"template": "hist_gradient_boosting", "params": {"epochs": 4}}
    plain = train(doctor_visits, tmp_path / "none", spec(model))[-1]["cvScore"]
    logged = train(doctor_visits, tmp_path / "log1p", spec(model, target="log1p"))[-1]["cvScore"]
    assert logged < plain * 0.97, (logged, plain)


def test_predictions_are_clipped_to_the_metrics_range(doctor_visits: Path, tmp_path: Path) -> None:
    # A standardised-target ridge predicts negative visit counts for some rows; RMSLE needs >= 0.
    result = train(doctor_visits, tmp_path / "w", spec({"template": "ridge"}, [{"kind": "scale"}], "standardize"))[-1]
    assert np.isfinite(result["cvScore"])
    assert pd.read_csv(result["submission"])["mdvis"].min() >= 0
    assert np.load(tmp_path / "w" / "oof.npy").min() >= 0


class CopyCheckpoint(io.StringIO):
    """Event stream that keeps a copy of the checkpoint written at `epoch` (later ones prune it)."""

    def __init__(self, epoch: int, dest: Path) -> None:
        super().__init__()
        self.epoch, self.dest = epoch, dest

    def write(self, s: str) -> int:
        for line in s.splitlines():
            event = json.loads(line)
            if event.get("event") == "progress" and event["epoch"] == self.epoch:
                shutil.copy(event["checkpoint"], self.dest)
        return super().write(s)


def test_early_stopping_pipeline_resumes_bit_identically(doctor_visits: Path, tmp_path: Path) -> None:
    params = spec(
        {
            "template": "lightgbm",
            "params": {"epochs": 10, "iters_per_epoch": 20, "learning_rate": 0.3},
            "early_stopping": {"patience": 2},
        },
        [{"kind": "impute"}, {"kind": "target_encoding", "columns": ["idp"], "min_categories": 1}],
        "log1p",
    )
    # A retry trusts only checkpoints inside its own workdir: the epoch-2 one is placed where it looks.
    saved = tmp_path / "b" / "checkpoints" / "epoch-2.pkl"
    saved.parent.mkdir(parents=True)
    reference = train(doctor_visits, tmp_path / "a", params, log=CopyCheckpoint(2, saved), checkpointEvery=1)
    scores = [e["valScore"] for e in reference if e["event"] == "progress"]
    assert scores[-1] == scores[-2] == scores[-3], "early stopping should have frozen every fold before epoch 10"
    with open(saved, "rb") as f:
        assert pickle.load(f).epoch == 2
    # A fresh process resumes from epoch 2: same scores per epoch, same submission and out-of-fold bytes.
    job = {
        "competitionDir": str(doctor_visits),
        "template": "pipeline",
        "params": params,
        "seed": 1,
        "folds": 3,
        "workdir": str(tmp_path / "b"),
        "resumeFrom": str(saved),
        "checkpointEvery": 1,
        "attempt": 2,
    }
    resumed = run_train(tmp_path, job)
    assert resumed.rc == 0, resumed.stderr
    assert resumed.events[0]["resumedFromEpoch"] == 2
    assert [e["valScore"] for e in resumed.events if e["event"] == "progress"] == scores[2:]
    assert resumed.events[-1]["cvScore"] == reference[-1]["cvScore"]
    for name in ("submission.csv", "oof.npy", "test_pred.npy"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_every_step_leaves_out_of_fold_artifacts(tmp_path: Path) -> None:
    data = load_diabetes(as_frame=True).frame
    comp = make_competition(tmp_path, "diabetes", data, "target", "regression", "rmse", 100)
    result = train(comp, tmp_path / "ridge", {"alpha": 1.0}, template="ridge")[-1]  # a plain template too
    oof, target, folds = (np.load(tmp_path / "ridge" / f) for f in ("oof.npy", "oof_target.npy", "oof_folds.npy"))
    info = json.loads((tmp_path / "ridge" / "artifact.json").read_text())
    rmse = get_metric("rmse")
    assert np.mean([rmse(target[folds == f], oof[folds == f]) for f in range(3)]) == pytest.approx(result["cvScore"])
    assert info["cvScore"] == result["cvScore"] and info["folds"] == 3 and info["seed"] == 1
    assert np.load(tmp_path / "ridge" / "test_pred.npy").shape == (100,)


def _write_member(
    directory: Path,
    oof: np.ndarray,
    target: np.ndarray,
    folds: np.ndarray,
    test: np.ndarray,
    ids: np.ndarray,
    meta: dict,
) -> None:
    """An earlier step's artifacts, as artifacts.write leaves them."""
    from haste_runner.pipeline import artifacts

    class Done:
        test_raw = test
        classes = None
        positive = None

        def oof(self) -> tuple:
            return oof, target, folds

    directory.mkdir(parents=True)
    artifacts.write(directory, Done(), meta)
    pd.DataFrame({"id": ids, "y": test}).to_csv(directory / "submission.csv", index=False)


def test_oof_ensemble_beats_the_best_single_model_on_a_constructed_case(tmp_path: Path) -> None:
    # Two members with independent errors of similar size: their weighted mean has ~1/sqrt(2) the error.
    rng = np.random.default_rng(0)
    n, n_test = 900, 100
    y = rng.normal(10, 3, n + n_test)
    frame = pd.DataFrame({"x": rng.normal(size=n + n_test), "y": y})
    comp = make_competition(tmp_path, "blend", frame, "y", "regression", "rmse", n_test)
    folds = np.arange(n) % 3
    meta = {"template": "x", "seed": 1, "folds": 3, "trainSha256": "same", "metric": "rmse", "cvScore": 0.0}
    ids = np.arange(n, n + n_test)
    members = {"1": 1.0, "2": 1.1, "noise": 6.0}
    for label, sd in members.items():
        _write_member(
            tmp_path / label, y[:n] + rng.normal(0, sd, n), y[:n], folds, y[n:] + rng.normal(0, sd, n_test), ids, meta
        )
    artifacts = {label: str(tmp_path / label) for label in members}
    result = train(
        comp, tmp_path / "ens", {"version": 1, "ensemble": {"members": [1, 2, "noise"]}}, artifacts=artifacts
    )[-1]
    report = json.loads((tmp_path / "ens" / "artifact.json").read_text())["ensemble"]
    best_single = min(report["memberScores"][k] for k in members)
    assert report["kept"] is True
    assert result["cvScore"] == pytest.approx(report["memberScores"]["ensemble"])
    assert result["cvScore"] < 0.8 * best_single
    assert report["weights"][2] < 0.05  # the noisy member gets (almost) no weight
    test_rmse = get_metric("rmse")(y[n:], pd.read_csv(result["submission"])["y"].to_numpy())
    assert test_rmse < 0.85 * get_metric("rmse")(y[n:], np.load(tmp_path / "1" / "test_pred.npy"))

    # Hill climbing on a member and its noisy twin: no blend beats the good one, so it is not kept.
    hill_spec = {"version": 1, "ensemble": {"members": [1, "noise"], "method": "hill_climbing"}}
    hill = train(comp, tmp_path / "hill", hill_spec, artifacts=artifacts)[-1]
    report = json.loads((tmp_path / "hill" / "artifact.json").read_text())["ensemble"]
    assert report["kept"] is False and report["bestMember"] == "1"
    assert hill["cvScore"] == pytest.approx(report["memberScores"]["1"])


def test_rmsle_ensemble_blends_on_the_log_scale_and_keeps_artifacts_on_the_original(tmp_path: Path) -> None:
    # Skewed positive target; member "small" is accurate on the small values, "large" on the large ones.
    # A least-squares blend of raw values follows the large rows (it picks "large"); on log1p(values),
    # where RMSLE measures, an even blend halves both members' errors.
    rng = np.random.default_rng(1)
    n, n_test = 900, 100
    y = np.expm1(rng.normal(3.0, 1.2, n + n_test).clip(0.1))
    frame = pd.DataFrame({"x": rng.normal(size=n + n_test), "y": y})
    comp = make_competition(tmp_path, "skewed", frame, "y", "regression", "rmsle", n_test)
    folds = np.arange(n) % 3
    meta = {"template": "x", "seed": 1, "folds": 3, "trainSha256": "same", "metric": "rmsle", "cvScore": 0.0}
    ids = np.arange(n, n + n_test)
    big = y > np.median(y)

    def noisy(rows: slice, small_sd: float, large_sd: float) -> np.ndarray:
        sd = np.where(big[rows], large_sd, small_sd)
        return np.expm1(np.log1p(y[rows]) + rng.normal(0, 1, len(sd)) * sd)

    members = {"small": (0.15, 0.6), "large": (0.6, 0.15)}
    for label, (small_sd, large_sd) in members.items():
        train_rows, test_rows = slice(0, n), slice(n, n + n_test)
        _write_member(
            tmp_path / label,
            noisy(train_rows, small_sd, large_sd),
            y[:n],
            folds,
            noisy(test_rows, small_sd, large_sd),
            ids,
            meta,
        )
    artifacts = {label: str(tmp_path / label) for label in members}
    spec = {"version": 1, "ensemble": {"members": ["small", "large"]}}
    result = train(comp, tmp_path / "ens", spec, artifacts=artifacts)[-1]
    report = json.loads((tmp_path / "ens" / "artifact.json").read_text())["ensemble"]
    assert report["kept"] is True
    # What least squares on the raw values would give, fit in-sample (so if anything flattered).
    P = np.stack([np.load(tmp_path / label / "oof.npy") for label in members], axis=-1)
    raw_w, _ = nnls(P, y[:n])
    raw_blend = get_metric("rmsle")(y[:n], np.maximum(P @ raw_w, 0))
    assert result["cvScore"] < 0.85 * raw_blend
    assert result["cvScore"] < 0.8 * min(report["memberScores"][k] for k in members)
    # The ensemble's own artifacts are values on the target's scale, so a later blend can use them.
    assert np.median(np.load(tmp_path / "ens" / "test_pred.npy")) == pytest.approx(np.median(y[n:]), rel=0.3)


def _real(name: str) -> tuple[pd.DataFrame, str, str, str]:
    loaders = {
        "diabetes": (load_diabetes, "regression", "rmse"),
        "breast-cancer": (load_breast_cancer, "binary", "roc_auc"),
        "wine": (load_wine, "multiclass", "accuracy"),
    }
    load, task, metric = loaders[name]
    return load(as_frame=True).frame, "target", task, metric


@pytest.mark.parametrize("name", ["diabetes", "breast-cancer", "wine"])
def test_ensemble_of_real_steps_needs_no_retraining(tmp_path: Path, name: str) -> None:
    frame, target, task, metric = _real(name)
    comp = make_competition(tmp_path, name, frame.sample(frac=1.0, random_state=0), target, task, metric, 60)
    linear = {"template": "ridge" if task == "regression" else "logistic_regression"}
    scores = {
        "1": train(comp, tmp_path / "step-1", spec(linear, [{"kind": "scale"}]))[-1]["cvScore"],
        "2": train(
            comp,
            tmp_path / "step-2",
            spec({"template": "lightgbm", "early_stopping": {}, "params": {"epochs": 6, "learning_rate": 0.05}}),
        )[-1]["cvScore"],
    }
    events = train(
        comp,
        tmp_path / "step-3",
        {"version": 1, "ensemble": {"members": [1, 2]}},
        artifacts={"1": str(tmp_path / "step-1"), "2": str(tmp_path / "step-2")},
    )
    assert events[0] == {"event": "start", "epochs": 1, "resumedFromEpoch": 0}
    best = max(scores.values()) if get_metric(metric).direction == "maximize" else min(scores.values())
    report = json.loads((tmp_path / "step-3" / "artifact.json").read_text())["ensemble"]
    assert report["memberScores"]["1"] == pytest.approx(scores["1"])  # the members' own CV scores, from their artifacts
    maximize = get_metric(metric).direction == "maximize"
    if report["kept"]:
        assert events[-1]["cvScore"] > best if maximize else events[-1]["cvScore"] < best
    else:
        assert events[-1]["cvScore"] == pytest.approx(best)
    submission = pd.read_csv(events[-1]["submission"])[target]
    assert len(submission) == 60
    if task == "multiclass":
        assert set(submission) <= set(frame[target])  # labels
    if task == "binary":
        assert submission.between(0, 1).all()  # P(positive) for roc_auc
    with pytest.raises(SolutionError, match="not among the job's artifacts"):
        train(
            comp,
            tmp_path / "step-4",
            {"version": 1, "ensemble": {"members": [1, 9]}},
            artifacts={"1": str(tmp_path / "step-1")},
        )


def _sequences(n: int, seed: int = 0) -> pd.DataFrame:
    """60-symbol DNA-like strings; the class is set by the symbols at positions 10 and 40 only."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGT"))
    seqs = letters[rng.integers(0, 4, (n, 60))]
    label = (seqs[:, 10] == "A").astype(int) + np.isin(seqs[:, 40], ["C", "G"]).astype(int)
    return pd.DataFrame({"seq": ["".join(s) for s in seqs], "label": np.array(["low", "mid", "high"])[label]})


def test_positional_encoding_with_boosting_beats_tfidf_on_symbol_sequences(tmp_path: Path) -> None:
    # The TF-IDF template reads declared text columns; the positional step finds the fixed-length strings itself.
    comp = make_competition(
        tmp_path, "motifs", _sequences(1500), "label", "multiclass", "accuracy", 300, text_columns=["seq"]
    )
    tfidf = train(comp, tmp_path / "tfidf", {"analyzer": "char_wb", "ngram_max": 3}, template="tfidf_logistic")[-1]
    positional = train(
        comp,
        tmp_path / "pos",
        spec(
            {"template": "lightgbm", "params": {"epochs": 6, "learning_rate": 0.1}, "early_stopping": {}},
            [{"kind": "positional"}],
        ),
    )[-1]
    assert positional["cvScore"] > 0.95
    assert positional["cvScore"] > tfidf["cvScore"] + 0.3, (positional["cvScore"], tfidf["cvScore"])


def test_pixels_and_mlp_with_early_stopping_on_digits(tmp_path: Path) -> None:
    digits = load_digits()
    frame = pd.DataFrame(digits.data[:700], columns=[f"px_{r}_{c}" for r in range(8) for c in range(8)])
    frame["label"] = digits.target[:700]
    comp = make_competition(tmp_path, "digits", frame, "label", "multiclass", "accuracy", 100, domain="vision")
    result = train(
        comp,
        tmp_path / "w",
        spec({"template": "mlp", "params": {"epochs": 15}, "early_stopping": {}}, [{"kind": "pixels"}]),
    )[-1]
    assert result["cvScore"] > 0.9


def _daily_series(n_series: int, days: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-05", periods=days, freq="D")
    weekly = np.array([3, 2, 2, 1, 4, -6, -6], dtype=float)  # weekends low
    rows = []
    for k in range(n_series):
        level = 50 + 10 * k
        values = (
            level
            + (1 + k / 5) * weekly[np.arange(days) % 7]
            + np.cumsum(rng.normal(0, 0.3, days))
            + rng.normal(0, 1.0, days)
        )
        rows.append(pd.DataFrame({"series_id": f"s{k:02d}", "timestamp": dates.strftime("%Y-%m-%d"), "value": values}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Many daily series with a weekly season; competition.yaml does not give the season."""
    frame = _daily_series(10, 400)
    d = tmp_path_factory.mktemp("c") / "daily"
    d.mkdir()
    horizon = 14
    frame["id"] = np.arange(len(frame))
    last = frame.groupby("series_id").cumcount(ascending=False) < horizon
    frame[~last][["id", "series_id", "timestamp", "value"]].to_csv(d / "train.csv", index=False)
    frame[last][["id", "series_id", "timestamp"]].to_csv(d / "test.csv", index=False)
    frame[last][["id", "value"]].to_csv(d / "answers.csv", index=False)
    (d / "competition.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "daily",
                "title": "daily",
                "domain": "time-series",
                "task_type": "forecasting",
                "target_column": "value",
                "id_column": "id",
                "metric": {"name": "mae", "direction": "minimize"},
                "horizon": horizon,
                "budget": {"compute_seconds": 60, "max_steps": 5},
                "source": "test",
            }
        )
    )
    return d


def test_forecasting_pipelines_beat_naive_and_detect_the_season(daily: Path, tmp_path: Path) -> None:
    naive = train(daily, tmp_path / "last", {"method": "last"}, template="seasonal_naive")[-1]["cvScore"]
    seasonal = train(daily, tmp_path / "sn", {"version": 1, "model": {"template": "seasonal_naive"}})[-1]
    plan = json.loads((tmp_path / "sn" / "artifact.json").read_text())["forecast"]
    assert plan["season_length"] == 7  # detected: competition.yaml gives none
    assert seasonal["cvScore"] < 0.8 * naive
    features = [
        {"kind": "lags", "lags": [1, 2, 7, 14]},
        {"kind": "rolling", "windows": [7, 28]},
        {"kind": "calendar", "parts": ["dayofweek"]},
        {"kind": "series_id"},
    ]
    for strategy in ("recursive", "direct"):
        result = train(
            daily,
            tmp_path / strategy,
            spec(
                {
                    "template": "lightgbm",
                    "params": {"epochs": 6, "learning_rate": 0.1},
                    "early_stopping": {},
                    "forecast": {"strategy": strategy},
                },
                features,
            ),
        )[-1]
        assert result["cvScore"] < 0.8 * naive, (strategy, result["cvScore"], naive)
        assert len(pd.read_csv(result["submission"])) == 10 * 14
    # The fold forecasts are out-of-fold predictions too: forecasters blend like any other steps.
    blend = train(
        daily,
        tmp_path / "blend",
        {"version": 1, "ensemble": {"members": ["sn", "direct"]}},
        artifacts={"sn": str(tmp_path / "sn"), "direct": str(tmp_path / "direct")},
    )[-1]
    report = json.loads((tmp_path / "blend" / "artifact.json").read_text())["ensemble"]
    assert blend["cvScore"] <= min(report["memberScores"]["sn"], report["memberScores"]["direct"])


def _fold_forecasts(comp: Path, params: dict, train: pd.DataFrame) -> dict[int, np.ndarray]:
    from haste_runner.competition import Competition, read_csv
    from haste_runner.pipeline.validation import PipelineForecastCV
    from haste_runner.templates import get_template

    template = get_template("pipeline")
    resolved = template.resolve(params)
    cv = PipelineForecastCV(Competition.load(comp), template, resolved, 1, 3, train, read_csv(comp / "test.csv"))
    for epoch in range(1, template.epochs(resolved) + 1):
        cv.train_epoch(epoch)
    cv.scores()
    return {fold: preds for fold, (preds, _) in cv.fold_preds.items()}


@pytest.mark.parametrize("model", ["theta", "direct", "recursive"])
def test_a_backtest_forecast_never_sees_its_window_or_later_points(daily: Path, model: str) -> None:
    # eop-daily's CV (2.63) was far below its graded MAE (4.00), with no leak to blame: no fold model is
    # trained on, or forecasts from, the points it is scored on or later ones. The last window of
    # train.csv is fold 1's: garbling it must leave every fold's forecast as it was.
    from haste_runner.competition import read_csv

    if model == "theta":
        params = {"version": 1, "model": {"template": "theta", "season_length": 7}}
    else:
        features = [
            {"kind": "lags", "lags": [1, 2, 7]},
            {"kind": "rolling", "windows": [7], "stats": ["mean", "std"]},
            {"kind": "calendar", "parts": ["dayofweek"]},
            {"kind": "series_id"},
        ]
        params = spec(
            {
                "template": "lightgbm",
                "params": {"epochs": 3, "learning_rate": 0.1},
                "early_stopping": {},
                "forecast": {"strategy": model},
            },
            features,
        )
    train = read_csv(daily / "train.csv")
    clean = _fold_forecasts(daily, params, train)
    garbled = train.copy()
    last_window = garbled.groupby("series_id").cumcount(ascending=False) < 14  # the horizon
    garbled.loc[last_window, "value"] = 1e6
    assert sorted(clean) == [0, 1, 2]
    for fold, preds in _fold_forecasts(daily, params, garbled).items():
        np.testing.assert_array_equal(preds, clean[fold], err_msg=f"fold {fold + 1}")


def test_the_cost_estimate_shortens_histories_or_falls_back(daily: Path, tmp_path: Path) -> None:
    # 10 series of 386 points: ETS is estimated at 0.3 + 1.5e-4 * 386 = 0.36 s per series and forecast call.
    tight = {"version": 1, "model": {"template": "ets", "max_fit_seconds": 3.3}}
    train(daily, tmp_path / "tight", tight, folds=2)
    plan = json.loads((tmp_path / "tight" / "artifact.json").read_text())["forecast"]
    assert plan["model"] == "ets" and plan["estimatedSeconds"] == pytest.approx(10 * (0.3 + 1.5e-4 * 386))
    assert plan["historyKept"] == 199  # (3.3 / 10 - 0.3) / 1.5e-4: the last 199 points of each series
    hopeless = {"version": 1, "model": {"template": "ets", "max_fit_seconds": 0.01}}
    result = train(daily, tmp_path / "hopeless", hopeless, folds=2)[-1]
    plan = json.loads((tmp_path / "hopeless" / "artifact.json").read_text())["forecast"]
    assert plan["model"] == "seasonal_naive" and np.isfinite(result["cvScore"])


def test_spec_and_data_mismatches_are_solution_errors(daily: Path, doctor_visits: Path, tmp_path: Path) -> None:
    with pytest.raises(SolutionError, match="forecasts series"):
        train(doctor_visits, tmp_path / "a", {"version": 1, "model": {"template": "theta"}})
    with pytest.raises(SolutionError, match="for forecasting competitions only"):
        train(doctor_visits, tmp_path / "b", spec({"template": "ridge"}, [{"kind": "lags", "lags": [1]}]))
    with pytest.raises(SolutionError, match="does not apply to forecasting"):
        train(daily, tmp_path / "c", spec({"template": "ridge"}, [{"kind": "lags", "lags": [1]}, {"kind": "one_hot"}]))


@pytest.mark.parametrize("artifacts", [["/a"], {"1": 3}, {"1": ""}])
def test_job_artifacts_must_map_labels_to_paths(artifacts: Any) -> None:
    with pytest.raises(SolutionError, match="job key 'artifacts'"):
        Job.from_dict({"competitionDir": "/c", "template": "pipeline", "workdir": "/w", "artifacts": artifacts})
