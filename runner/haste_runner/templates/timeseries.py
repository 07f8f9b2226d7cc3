"""Forecasting templates for long-format series (series_id, timestamp, value).

A forecasting model works on whole series, not feature rows:
`train_epoch(model, histories, None, epoch, params, None)` trains (global models; local ones fit at
forecast time) and `model.forecast(histories, horizon)` returns one array of `horizon` values per
history. The cross-validation (`forecast_cv.py`) sets `model.season_length` (from competition.yaml,
1 when the data has no seasonality) before training.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge

from .base import FORECASTING, Template, choice, float_range, int_range, param


class SeasonalNaive:
    """Repeats the last season (`seasonal`), the last value (`last`), or extends the last-to-first line (`drift`)."""

    def __init__(self, p: dict) -> None:
        self.method = p["method"]
        self.season_length = 1

    def forecast(self, histories: list[np.ndarray], horizon: int) -> list[np.ndarray]:
        out = []
        for s in histories:
            if self.method == "seasonal" and self.season_length > 1 and len(s) >= self.season_length:
                last = s[-self.season_length:]
                out.append(np.array([last[i % self.season_length] for i in range(horizon)]))
            elif self.method == "drift" and len(s) > 1:
                slope = (s[-1] - s[0]) / (len(s) - 1)
                out.append(s[-1] + slope * np.arange(1, horizon + 1))
            else:
                out.append(np.full(horizon, s[-1]))
        return out


class ETS:
    """statsmodels Holt-Winters exponential smoothing, fitted per series at forecast time."""

    def __init__(self, p: dict) -> None:
        self.p = p
        self.season_length = 1

    def forecast(self, histories: list[np.ndarray], horizon: int) -> list[np.ndarray]:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        out = []
        for s in histories:
            seasonal = self.p["seasonal"] if self.season_length > 1 and len(s) >= 2 * self.season_length else "none"
            if seasonal == "mul" and np.min(s) <= 0:
                seasonal = "add"
            trend = None if self.p["trend"] == "none" else "add"
            model = ExponentialSmoothing(
                s, trend=trend, damped_trend=bool(self.p["damped"]) and trend is not None,
                seasonal=None if seasonal == "none" else seasonal,
                seasonal_periods=self.season_length if seasonal != "none" else None,
                initialization_method="estimated",
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter; the score tells
                fit = model.fit()
            out.append(np.asarray(fit.forecast(horizon), dtype=float))
        return out


class LagRegression:
    """A global model on scale-free lag windows: predicts value[t] / scale from value[t-L:t] / scale,
    where scale = mean |window|; forecasts recursively. `kind` gbm grows boosting iterations per epoch."""

    def __init__(self, p: dict, seed: int, kind: str) -> None:
        self.p = p
        self.kind = kind
        self.season_length = 1
        if kind == "gbm":
            self.model: Any = HistGradientBoostingRegressor(
                max_iter=0, warm_start=True, early_stopping=False, learning_rate=p["learning_rate"],
                max_leaf_nodes=p["max_leaf_nodes"], min_samples_leaf=p["min_samples_leaf"], random_state=seed)
        else:
            self.model = Ridge(alpha=p["alpha"])

    def n_lags(self) -> int:
        return max(self.p["lags"], self.season_length + 1)

    @staticmethod
    def _scale(window: np.ndarray) -> float:
        return float(np.mean(np.abs(window))) or 1.0

    def _windows(self, histories: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        L = self.n_lags()
        xs, ys = [], []
        for s in histories:
            for t in range(L, len(s)):
                window = s[t - L:t]
                scale = self._scale(window)
                xs.append(window / scale)
                ys.append(s[t] / scale)
        if not xs:
            raise ValueError(f"series too short for {L} lags")
        return np.asarray(xs), np.asarray(ys)

    def train_epoch(self, histories: list[np.ndarray], epoch: int) -> None:
        X, y = self._windows(histories)
        if self.kind == "gbm":
            self.model.max_iter = epoch * self.p["iters_per_epoch"]
        self.model.fit(X, y)

    def forecast(self, histories: list[np.ndarray], horizon: int) -> list[np.ndarray]:
        L = self.n_lags()
        out = []
        for s in histories:
            extended = list(s[-L:]) if len(s) >= L else [s[0]] * (L - len(s)) + list(s)
            preds = []
            for _ in range(horizon):
                window = np.asarray(extended[-L:])
                scale = self._scale(window)
                value = float(self.model.predict((window / scale)[None, :])[0]) * scale
                preds.append(value)
                extended.append(value)
            out.append(np.asarray(preds))
        return out


def _no_training(model: Any, histories: Any, y: Any, epoch: int, p: dict, classes: Any) -> None:
    """Local models fit each series when they forecast it."""


def _train_lag(model: Any, histories: Any, y: Any, epoch: int, p: dict, classes: Any) -> None:
    model.train_epoch(histories, epoch)


TEMPLATES: list[Template] = [
    Template("seasonal_naive", FORECASTING, "none",
             {"method": param(choice("seasonal", "last", "drift"), "seasonal")},
             lambda p, task, seed: SeasonalNaive(p), _no_training),
    Template("ets", FORECASTING, "none",
             {"trend": param(choice("add", "none"), "add"), "damped": param(choice(True, False), True),
              "seasonal": param(choice("add", "mul", "none"), "add")},
             lambda p, task, seed: ETS(p), _no_training),
    Template("lag_gbm", FORECASTING, "none",
             {"epochs": param(int_range(1, 1000), 6), "iters_per_epoch": param(int_range(1, 1000), 25),
              "lags": param(int_range(1, 400), 24), "learning_rate": param(float_range(0.0, 1.0, lo_open=True), 0.1),
              "max_leaf_nodes": param(int_range(2, 4096), 15), "min_samples_leaf": param(int_range(1), 10)},
             lambda p, task, seed: LagRegression(p, seed, "gbm"), _train_lag),
    Template("lag_ridge", FORECASTING, "none",
             {"lags": param(int_range(1, 400), 24), "alpha": param(float_range(0.0), 1.0)},
             lambda p, task, seed: LagRegression(p, seed, "ridge"), _train_lag),
]
