"""Rolling-origin validation for forecasting competitions (train.csv only; the series, time and value
columns are competition.yaml's series_column, time_column and value_column).

Fold k (1 = most recent) cuts every series `k * horizon` points before its end, trains the fold's
model on what precedes the cut and scores its forecast of the next `horizon` points. Test
forecasts average the fold models' forecasts from the full training histories (local models such
as ETS refit there, so their folds agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .competition import Competition, order_series
from .cv import fold_seed
from .errors import SolutionError
from .templates import Template

MIN_HISTORY = 4  # points a fold must leave in every series


class ForecastValidation:
    def __init__(self, comp: Competition, template: Template, params: dict[str, Any], seed: int, n_folds: int,
                 train: pd.DataFrame, test: pd.DataFrame, states: list[Any] | None = None) -> None:
        if comp.task_type not in template.task_types:
            raise SolutionError(f"template {template.name!r} does not support task type {comp.task_type!r}")
        series, value = comp.series_column, comp.value_column
        for name, frame in (("train.csv", train), ("test.csv", test)):
            for column in (series, comp.time_column):
                if column not in frame.columns:
                    raise SolutionError(f"forecasting needs a {column!r} column in {name}")
        assert comp.horizon is not None
        self.comp, self.template, self.params = comp, template, params
        self.metric = comp.metric
        self.horizon = comp.horizon
        self.season_length = comp.season_length or 1
        ordered = order_series(train, comp)
        self.series_ids = list(dict.fromkeys(ordered[series].astype(str)))
        grouped = {k: g[value].to_numpy(dtype=float) for k, g in ordered.groupby(
            ordered[series].astype(str), sort=False)}
        self.histories = [grouped[k] for k in self.series_ids]
        shortest = min(len(s) for s in self.histories)
        usable = (shortest - MIN_HISTORY) // self.horizon
        if usable < 1:
            raise SolutionError(f"series too short for even one validation window of {self.horizon} points")
        self.n_folds = min(n_folds, usable)
        self.cuts = [self.horizon * k for k in range(1, self.n_folds + 1)]

        test_sorted = order_series(test, comp)
        self.test_ids = test_sorted[comp.id_column].to_numpy()
        self.test_series = test_sorted[series].astype(str).to_numpy()
        unknown = sorted(set(self.test_series) - set(self.series_ids))
        if unknown:
            raise SolutionError(f"test.csv has series without training history, e.g. {unknown[0]!r}")
        if states is None:
            states = [self._new_model(seed, i) for i in range(self.n_folds)]
        self.states = states

    def _new_model(self, seed: int, fold: int) -> Any:
        model = self.template.build(self.params, self.comp.task_type, fold_seed(seed, fold))
        model.season_length = self.season_length
        return model

    def _fold_histories(self, cut: int) -> list[np.ndarray]:
        return [s[:-cut] for s in self.histories]

    def _fold_truth(self, cut: int) -> np.ndarray:
        return np.concatenate([s[len(s) - cut: len(s) - cut + self.horizon] for s in self.histories])

    def train_epoch(self, epoch: int) -> None:
        for model, cut in zip(self.states, self.cuts):
            try:
                self.template.train_epoch(model, self._fold_histories(cut), None, epoch, self.params, None)
            except Exception as e:
                raise SolutionError(f"template {self.template.name!r} failed in epoch {epoch}: "
                                    f"{type(e).__name__}: {e}") from e

    def _forecast(self, model: Any, histories: list[np.ndarray]) -> np.ndarray:
        try:
            values = np.concatenate(model.forecast(histories, self.horizon))
        except Exception as e:
            raise SolutionError(f"template {self.template.name!r} failed to forecast: {type(e).__name__}: {e}") from e
        if not np.all(np.isfinite(values)):
            raise SolutionError(f"template {self.template.name!r} forecast non-finite values")
        return values

    def scores(self) -> list[float]:
        self.fold_preds = [self._forecast(model, self._fold_histories(cut))
                           for model, cut in zip(self.states, self.cuts, strict=True)]
        return [self.metric(self._fold_truth(cut), pred) for cut, pred in zip(self.cuts, self.fold_preds, strict=True)]

    def oof(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last scores()' fold forecasts, one after another, their truth and each point's fold."""
        target = np.concatenate([self._fold_truth(cut) for cut in self.cuts])
        folds = np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in enumerate(self.fold_preds)])
        return np.concatenate(self.fold_preds), target, folds

    def predict_test(self) -> np.ndarray:
        mean = np.mean([self._forecast(model, self.histories) for model in self.states], axis=0)
        by_series = {sid: mean[i * self.horizon:(i + 1) * self.horizon] for i, sid in enumerate(self.series_ids)}
        out = np.empty(len(self.test_ids))
        position: dict[str, int] = {}
        for row, sid in enumerate(self.test_series):
            step = position.get(sid, 0)
            if step >= self.horizon:
                raise SolutionError(f"test.csv has more than horizon={self.horizon} rows for series {sid!r}")
            out[row] = by_series[sid][step]
            position[sid] = step + 1
        self.test_raw = out
        return out
