"""Forecasting templates for long-format series (series_id, timestamp, value).

A forecasting model works on whole series, not feature rows:
`train_epoch(model, histories, None, epoch, params, None)` trains (global models; local ones fit at
forecast time) and `model.forecast(histories, horizon)` returns one array of `horizon` values per
history. The cross-validation (`forecast_cv.py`) sets `model.season_length` (from competition.yaml,
1 when the data has no seasonality) before training.

`combo` averages a few simple local forecasters (seasonal naive, seasonal random walk with drift,
damped-trend ETS, Theta): combinations of simple methods beat the single methods on average in the
M3 and M4 competitions (Makridakis et al. 2000, 2020), which makes it a robust first candidate.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge

from .base import FORECASTING, Template, choice, float_range, int_range, param, subset


class SeasonalNaive:
    """Repeats the last season (`seasonal`), the last value (`last`), extends the first-to-last line
    (`drift`), or repeats the last season shifted by the mean seasonal difference per season passed
    (`seasonal_drift`: the seasonal random walk with drift; `drift` when there is no season)."""

    def __init__(self, p: dict) -> None:
        self.method = p["method"]
        self.season_length = 1

    def forecast(self, histories: list[np.ndarray], horizon: int) -> list[np.ndarray]:
        m = self.season_length
        out = []
        for s in histories:
            steps = np.arange(horizon)
            if self.method == "seasonal" and m > 1 and len(s) >= m:
                out.append(s[-m:][steps % m])
            elif self.method == "seasonal_drift" and m > 1 and len(s) > m:
                # The mean of s[t] - s[t-m] telescopes to (last season's sum - first season's) / (n - m).
                per_season = (np.sum(s[-m:]) - np.sum(s[:m])) / (len(s) - m)
                out.append(s[-m:][steps % m] + per_season * (1 + steps // m))
            elif self.method in ("drift", "seasonal_drift") and len(s) > 1:
                slope = (s[-1] - s[0]) / (len(s) - 1)
                out.append(s[-1] + slope * (steps + 1))
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
                s,
                trend=trend,
                damped_trend=bool(self.p["damped"]) and trend is not None,
                seasonal=None if seasonal == "none" else seasonal,
                seasonal_periods=self.season_length if seasonal != "none" else None,
                initialization_method="estimated",
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter; the score tells
                fit = model.fit()
            out.append(np.asarray(fit.forecast(horizon), dtype=float))
        return out


class Theta:
    """The Theta method (Assimakopoulos & Nikolopoulos 2000, the M3 winner): simple exponential
    smoothing plus half the linear trend, on seasonally adjusted data when a seasonality test says so
    (statsmodels ThetaModel), fitted per series at forecast time."""

    def __init__(self) -> None:
        self.season_length = 1

    def forecast(self, histories: list[np.ndarray], horizon: int) -> list[np.ndarray]:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        m = self.season_length
        out = []
        for s in histories:
            seasonal = m > 1 and len(s) >= 2 * m
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = ThetaModel(s, period=m if seasonal else 1, deseasonalize=seasonal).fit()
                out.append(np.asarray(fit.forecast(horizon), dtype=float))
        return out


COMBO_MEMBERS: dict[str, Callable[[], Any]] = {
    "naive": lambda: SeasonalNaive({"method": "seasonal"}),
    "drift": lambda: SeasonalNaive({"method": "seasonal_drift"}),
    "ets": lambda: ETS({"trend": "add", "damped": True, "seasonal": "add"}),
    "theta": Theta,
}


class Combo:
    """Equal-weight combination (mean or median, step by step) of simple local forecasters: `naive`
    seasonal naive, `drift` seasonal random walk with drift, `ets` damped additive trend with
    additive season, `theta` the Theta method."""

    def __init__(self, p: dict) -> None:
        self.combine = p["combine"]
        self.members: dict[str, Any] = {name: COMBO_MEMBERS[name]() for name in p["members"]}
        self.season_length = 1

    def forecast(self, histories: list[np.ndarray], horizon: int) -> list[np.ndarray]:
        per_member = []
        for member in self.members.values():
            member.season_length = self.season_length
            per_member.append(member.forecast(histories, horizon))
        reduce = np.mean if self.combine == "mean" else np.median
        return [reduce(np.stack([forecasts[i] for forecasts in per_member]), axis=0) for i in range(len(histories))]


class LagRegression:
    """A global model on scale-free lag windows: predicts value[t] / scale from value[t-L:t] / scale,
    where scale = mean |window|; forecasts recursively. `kind` gbm grows boosting iterations per epoch."""

    def __init__(self, p: dict, seed: int, kind: str) -> None:
        self.p = p
        self.kind = kind
        self.season_length = 1
        if kind == "gbm":
            self.model: Any = HistGradientBoostingRegressor(
                max_iter=0,
                warm_start=True,
                early_stopping=False,
                learning_rate=p["learning_rate"],
                max_leaf_nodes=p["max_leaf_nodes"],
                min_samples_leaf=p["min_samples_leaf"],
                random_state=seed,
            )
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
                window = s[t - L : t]
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
    Template(
        "seasonal_naive",
        FORECASTING,
        "none",
        {"method": param(choice("seasonal", "last", "drift", "seasonal_drift"), "seasonal")},
        lambda p, task, seed: SeasonalNaive(p),
        _no_training,
    ),
    Template(
        "ets",
        FORECASTING,
        "none",
        {
            "trend": param(choice("add", "none"), "add"),
            "damped": param(choice(True, False), True),
            "seasonal": param(choice("add", "mul", "none"), "add"),
        },
        lambda p, task, seed: ETS(p),
        _no_training,
    ),
    Template(
        "combo",
        FORECASTING,
        "none",
        {
            "members": param(subset(*COMBO_MEMBERS), list(COMBO_MEMBERS)),
            "combine": param(choice("mean", "median"), "mean"),
        },
        lambda p, task, seed: Combo(p),
        _no_training,
    ),
    Template(
        "lag_gbm",
        FORECASTING,
        "none",
        {
            "epochs": param(int_range(1, 1000), 6),
            "iters_per_epoch": param(int_range(1, 1000), 25),
            "lags": param(int_range(1, 400), 24),
            "learning_rate": param(float_range(0.0, 1.0, lo_open=True), 0.1),
            "max_leaf_nodes": param(int_range(2, 4096), 15),
            "min_samples_leaf": param(int_range(1), 10),
        },
        lambda p, task, seed: LagRegression(p, seed, "gbm"),
        _train_lag,
    ),
    Template(
        "lag_ridge",
        FORECASTING,
        "none",
        {"lags": param(int_range(1, 400), 24), "alpha": param(float_range(0.0), 1.0)},
        lambda p, task, seed: LagRegression(p, seed, "ridge"),
        _train_lag,
    ),
]
