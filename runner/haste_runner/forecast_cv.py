"""Rolling-origin validation for forecasting competitions (train.csv only; the series, time and value
columns are competition.yaml's series_column, time_column and value_column).

Fold k (1 = most recent) cuts every series `k * horizon` points before its end, trains the fold's
model on what precedes the cut and scores its forecast of the next `horizon` points. Test
forecasts average the fold models' forecasts from the full training histories (local models such
as ETS refit there, so their folds agree).

Under a deadline, forecasts are made one series at a time and timed: local models (ETS, Theta,
combo) cost a fit per series and per forecast, so a fold is what the first series cost times the
series count. Scoring stops (on the series and folds done) when the next series plus one forecast of
every test series would not fit; the test forecast always comes from one fold model, and from more
only while the deadline allows. A test forecast that alone cannot fit is refused up front.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from .competition import Competition, order_series
from .cv import WRITE_RESERVE_SECONDS, Deadline, checked_score, fold_seed
from .errors import CompetitionError, SolutionError, competition_data, solution_code
from .templates import Template

MIN_HISTORY = 4  # points a fold must leave in every series


class ForecastValidation:
    def __init__(
        self,
        comp: Competition,
        template: Template,
        params: dict[str, Any],
        seed: int,
        n_folds: int,
        train: pd.DataFrame,
        test: pd.DataFrame,
        states: list[Any] | None = None,
        start_epoch: int = 0,
        deadline: Deadline | None = None,
    ) -> None:
        if comp.task_type not in template.task_types:
            raise SolutionError(f"template {template.name!r} does not support task type {comp.task_type!r}")
        series, value = comp.series_column, comp.value_column
        for name, frame in (("train.csv", train), ("test.csv", test)):
            for column in (series, comp.time_column):
                if column not in frame.columns:
                    raise CompetitionError(f"forecasting needs a {column!r} column in {name}")
        assert comp.horizon is not None
        self.comp, self.template, self.params = comp, template, params
        self.metric = comp.metric
        self.horizon = comp.horizon
        self.season_length = comp.season_length or 1
        self.deadline = deadline or Deadline(None)
        with competition_data("train.csv does not fit competition.yaml"):
            ordered = order_series(train, comp)
            self.series_ids = list(dict.fromkeys(ordered[series].astype(str)))
            grouped = {
                k: g[value].to_numpy(dtype=float) for k, g in ordered.groupby(ordered[series].astype(str), sort=False)
            }
            self.histories = [grouped[k] for k in self.series_ids]
        shortest = min(len(s) for s in self.histories)
        usable = (shortest - MIN_HISTORY) // self.horizon
        if usable < 1:
            raise CompetitionError(f"series too short for even one validation window of {self.horizon} points")
        self.n_folds = min(n_folds, usable)
        self.cuts = [self.horizon * k for k in range(1, self.n_folds + 1)]

        test_sorted = order_series(test, comp)
        self.test_ids = test_sorted[comp.id_column].to_numpy()
        self.test_series = test_sorted[series].astype(str).to_numpy()
        unknown = sorted(set(self.test_series) - set(self.series_ids))
        if unknown:
            raise CompetitionError(f"test.csv has series without training history, e.g. {unknown[0]!r}")
        if states is None:
            states = [self._new_model(seed, i) for i in range(self.n_folds)]
        self.states = states
        self.epochs_done = [start_epoch] * len(self.states)
        self.train_seconds: list[float | None] = [None] * len(self.states)
        self.forecast_times: list[float] = []  # seconds per series forecast, measured
        self.scored_folds: list[int] | None = None  # set by scores(): the folds the test forecast may use
        self.overhead_seconds = 0.0  # per epoch, outside training and scoring (the checkpoint write)
        self.stopped: str | None = None

    def _new_model(self, seed: int, fold: int) -> Any:
        with solution_code(f"template {self.template.name!r} building its model"):
            model = self.template.build(self.params, self.comp.task_type, fold_seed(seed, fold))
            model.season_length = self.season_length
        return model

    # ---- the deadline -------------------------------------------------------------------

    @property
    def used_folds(self) -> list[int]:
        trained = [j for j, e in enumerate(self.epochs_done) if e >= 1]
        return trained if self.scored_folds is None else [j for j in trained if j in self.scored_folds]

    @property
    def series_seconds(self) -> float | None:
        """Seconds one series forecast takes. The first call also pays for lazy imports (statsmodels), so
        it counts only until there is another measurement."""
        times = self.forecast_times[1:] or self.forecast_times
        return float(np.mean(times)) if times else None

    def _test_forecast_seconds(self) -> float:
        return (self.series_seconds or 0.0) * len(self.histories) + WRITE_RESERVE_SECONDS

    def _train_estimate(self, j: int) -> float:
        known = [t for t in self.train_seconds if t is not None]
        return self.train_seconds[j] or (float(np.mean(known)) if known else 0.0)

    def affords_epoch(self) -> bool:
        if not self.used_folds:
            return True
        scoring = (self.series_seconds or 0.0) * len(self.histories) * len(self.states)
        epoch = sum(self._train_estimate(j) for j in range(len(self.states))) + scoring
        return self.deadline.affords(epoch + self.overhead_seconds + self._test_forecast_seconds())

    def _fold_histories(self, cut: int) -> list[np.ndarray]:
        return [s[:-cut] for s in self.histories]

    def train_epoch(self, epoch: int) -> bool:
        """Train every fold model one more epoch (global models; local ones fit when they forecast);
        False when the deadline stopped it part-way."""
        for j, (model, cut) in enumerate(zip(self.states, self.cuts)):
            if self.used_folds and not self.deadline.affords(
                self._train_estimate(j)
                + (self.series_seconds or 0.0) * len(self.histories)
                + self._test_forecast_seconds()
            ):
                self.stopped = (
                    f"deadline: stopped in epoch {epoch} before fold {j + 1} of {len(self.states)} "
                    f"({self.deadline.left():.1f} s left)"
                )
                return False
            started = time.perf_counter()
            with solution_code(f"template {self.template.name!r} failed in epoch {epoch} (fold {j + 1})"):
                self.template.train_epoch(model, self._fold_histories(cut), None, epoch, self.params, None)
            self.train_seconds[j] = time.perf_counter() - started
            self.epochs_done[j] = epoch
        return True

    def _forecast_one(self, model: Any, index: int, history: np.ndarray, where: str) -> np.ndarray:
        started = time.perf_counter()
        with solution_code(f"template {self.template.name!r} failed to forecast ({where})"):
            # A global model across series needs to know which series it forecasts (its id, its timestamps).
            series = {"series": [index]} if getattr(model, "takes_series_index", False) else {}
            values = np.asarray(model.forecast([history], self.horizon, **series)[0], dtype=float)
            if values.shape != (self.horizon,):
                raise ValueError(f"expected {self.horizon} values, got shape {values.shape}")
        self.forecast_times.append(time.perf_counter() - started)
        if not np.all(np.isfinite(values)):
            raise SolutionError(f"template {self.template.name!r} forecast non-finite values ({where})")
        return values

    def _check_test_forecast_fits(self) -> None:
        needed = self._test_forecast_seconds()
        if not self.deadline.affords(needed):
            raise SolutionError(
                f"budget: forecasting the {len(self.histories)} test series once takes about {needed:.1f} s "
                f"({self.series_seconds:.2f} s a series, measured), "
                f"more than the {max(0.0, self.deadline.left()):.1f} s "
                f"left before the step's deadline; choose a cheaper model or give the episode more compute"
            )

    def scores(self) -> list[float]:
        """Scores of the fold models, one series at a time; under a deadline, of the folds and series done."""
        scores: list[float] = []
        scored: list[int] = []
        self.fold_preds: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # fold -> (forecasts, truth), for oof
        for j in [j for j, e in enumerate(self.epochs_done) if e >= 1]:
            model, cut = self.states[j], self.cuts[j]
            truth, preds = [], []
            for i, history in enumerate(self._fold_histories(cut)):
                # Two measurements before any decision: the first one also paid for the imports.
                if len(self.forecast_times) >= 2 and not self.deadline.affords(
                    (self.series_seconds or 0.0) + self._test_forecast_seconds()
                ):
                    if not scored:
                        self._check_test_forecast_fits()
                    self.stopped = (
                        f"deadline: scored {len(scored)} fold(s) and {len(preds)} of "
                        f"{len(self.histories)} series of fold {j + 1} ({self.deadline.left():.1f} s left)"
                    )
                    break
                preds.append(self._forecast_one(model, i, history, f"fold {j + 1}, series {self.series_ids[i]!r}"))
                truth.append(
                    self.histories[i][len(self.histories[i]) - cut : len(self.histories[i]) - cut + self.horizon]
                )
                if not scored and len(preds) == min(2, len(self.histories)):
                    self._check_test_forecast_fits()
            if preds:
                self.fold_preds[j] = (np.concatenate(preds), np.concatenate(truth))
                scores.append(
                    checked_score(
                        self.metric,
                        self.fold_preds[j][1],
                        self.fold_preds[j][0],
                        f"template {self.template.name!r}, fold {j + 1}",
                    )
                )
                scored.append(j)
            if self.stopped:
                break
        self.scored_folds = scored
        return scores

    def oof(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last scores()' fold forecasts, one after another, their truth and each point's fold."""
        folds = sorted(self.fold_preds)
        preds = np.concatenate([self.fold_preds[j][0] for j in folds])
        target = np.concatenate([self.fold_preds[j][1] for j in folds])
        fold_of = np.concatenate([np.full(len(self.fold_preds[j][0]), j, dtype=np.int64) for j in folds])
        return preds, target, fold_of

    def predict_test(self) -> np.ndarray:
        """The mean of the used fold models' forecasts; under a deadline, of as many as fit (at least one)."""
        forecasts: list[np.ndarray] = []
        for j in self.used_folds:
            if forecasts and not self.deadline.affords(self._test_forecast_seconds()):
                break
            model = self.states[j]
            forecasts.append(
                np.concatenate(
                    [
                        self._forecast_one(model, i, h, f"test, series {sid!r}")
                        for i, (h, sid) in enumerate(zip(self.histories, self.series_ids))
                    ]
                )
            )
        mean = np.mean(forecasts, axis=0)
        why = self.metric.invalid_predictions(mean)
        if why is not None:
            raise SolutionError(
                f"template {self.template.name!r}, test forecast: {why}; {self.metric.name} is defined only "
                f"for {self.metric.domain_text()}"
            )
        by_series = {sid: mean[i * self.horizon : (i + 1) * self.horizon] for i, sid in enumerate(self.series_ids)}
        out = np.empty(len(self.test_ids))
        position: dict[str, int] = {}
        for row, sid in enumerate(self.test_series):
            step = position.get(sid, 0)
            if step >= self.horizon:
                raise CompetitionError(f"test.csv has more than horizon={self.horizon} rows for series {sid!r}")
            out[row] = by_series[sid][step]
            position[sid] = step + 1
        self.test_raw = out
        return out
