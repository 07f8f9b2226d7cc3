"""Forecasting pipelines.

- One global model across all series (a runner template such as lightgbm) on lag, rolling-window,
  calendar and series-id features of scale-free values (each series divided by its mean absolute
  level), forecasting `recursive`ly (one step at a time, feeding predictions back) or `direct`ly
  (the step number is a feature, every step predicted from the forecast origin).
- The statistical family fitted per series: seasonal naive, drift, ETS, Theta. The season comes
  from the spec, else the competition, else is detected from the data (autocorrelation). A cost
  estimate per series shortens the histories (and at worst falls back to seasonal naive) instead
  of fitting a slow model on thousands of long series blindly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import SolutionError
from ..templates.timeseries import ETS, SeasonalNaive, Theta
from .model import GrowingModel
from .spec import property_defaults
from .target import clip_to_metric

# ---- season detection ----------------------------------------------------------------------

MAX_SEASON = 400  # a yearly cycle of daily data fits
MIN_ACF = 0.2  # weaker autocorrelation peaks are not a season
SERIES_SAMPLED = 50  # series the detection averages over


def acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation at lags 0..max_lag (FFT, the usual biased estimator)."""
    x = np.asarray(x, dtype=float) - np.mean(x)
    n = len(x)
    spectrum = np.fft.rfft(x, 2 ** int(np.ceil(np.log2(2 * n))))
    r = np.fft.irfft(spectrum * np.conj(spectrum))[: max_lag + 1]
    return r / r[0] if r[0] > 0 else np.zeros(max_lag + 1)


def detect_season(histories: list[np.ndarray]) -> int:
    """The seasonal period of (first-differenced, so trends do not dominate) series: the first local
    peak of the mean autocorrelation that reaches 80 % of the highest peak; 1 when no peak reaches MIN_ACF."""
    usable = [np.diff(s) for s in histories[:SERIES_SAMPLED] if len(s) >= 8]
    if not usable:
        return 1
    max_lag = min(MAX_SEASON, min(len(d) for d in usable) // 2)
    if max_lag < 2:
        return 1
    r = np.mean([acf(d, max_lag) for d in usable], axis=0)
    peaks = [k for k in range(2, max_lag) if r[k] > r[k - 1] and r[k] >= r[k + 1] and r[k] >= MIN_ACF]
    if not peaks:
        return 1
    top = max(r[k] for k in peaks)
    return next(k for k in peaks if r[k] >= 0.8 * top)


# ---- statistical family ---------------------------------------------------------------------


# CPU seconds to fit and forecast one series of n points: A + B * n. Measured with statsmodels 0.15 on
# one core, season 7, n = 100..5600 (ETS: 0.34 s at 500 points, 1.06 s at 5600; Theta: 0.04 s, 0.12 s).
# A fixed table, not a timing taken at run time, so a resumed run plans exactly what the first one did.
FIT_COST = {"ets": (0.3, 1.5e-4), "theta": (0.04, 1.5e-5), "seasonal_naive": (0.0, 1e-7), "drift": (0.0, 1e-7)}
MIN_SEASONS_KEPT = 3


def fit_cost(model: str, lengths: list[int]) -> float:
    a, b = FIT_COST[model]
    return float(sum(a + b * n for n in lengths))


class StatisticalForecaster:
    def __init__(self, spec: dict[str, Any], given_season: int | None) -> None:
        self.model = spec["model"]["template"]
        self.target = spec["target"]
        self.spec_season = spec["model"].get("season_length")
        self.given_season = given_season
        self.max_seconds = spec["model"]["max_fit_seconds"]
        self.season_length = 1  # set by the cross-validation; superseded by the spec / detection
        self.metric_name = ""  # set by the cross-validation: forecasts are clipped to its valid range
        # Set by the cross-validation, which forecasts one series at a time: the cost limit is for all of them.
        self.series_count: int | None = None
        self.plan: dict[str, Any] = {}

    def season(self, histories: list[np.ndarray]) -> int:
        if self.spec_season is not None:
            return int(self.spec_season)
        if self.given_season is not None:
            return int(self.given_season)
        return detect_season(histories)

    def forecast(self, histories: list[np.ndarray], horizon: int) -> list[np.ndarray]:
        histories = [transform(s, self.target) for s in histories]
        m = self.season(histories)
        model, keep = self.model, max(len(s) for s in histories)
        total = self.series_count or len(histories)
        estimate = fit_cost(model, [len(s) for s in histories]) * total / len(histories)
        if estimate > self.max_seconds:
            a, b = FIT_COST[model]
            per_series = self.max_seconds / total
            keep = int((per_series - a) / b) if per_series > a else 0
            if keep < MIN_SEASONS_KEPT * max(m, 2) + horizon:
                model, keep = "seasonal_naive", max(len(s) for s in histories)
        self.plan = {
            "model": model,
            "season_length": m,
            "estimatedSeconds": round(estimate, 3),
            "historyKept": keep,
            "series": total,
        }
        histories = [s[-keep:] for s in histories]
        forecaster: Any
        if model == "ets":
            forecaster = ETS({"trend": "add", "damped": True, "seasonal": "add"})
        elif model == "theta":
            forecaster = Theta()
        else:
            forecaster = SeasonalNaive({"method": "seasonal" if model == "seasonal_naive" else "drift"})
        forecaster.season_length = m
        forecasts = forecaster.forecast(histories, horizon)
        return [clip_to_metric(inverse(f, self.target), self.metric_name) for f in forecasts]


def transform(s: np.ndarray, kind: str) -> np.ndarray:
    if kind == "log1p":
        if np.any(s <= -1):
            raise SolutionError("target 'log1p' needs every series value > -1")
        return np.log1p(s)
    return np.asarray(s, dtype=float)


def inverse(f: np.ndarray, kind: str) -> np.ndarray:
    return np.expm1(f) if kind == "log1p" else f


# ---- global model ---------------------------------------------------------------------------


class Timeline:
    """The timestamps of one series by position, extended past its end by its usual step."""

    def __init__(self, stamps: np.ndarray) -> None:
        values = pd.Series(stamps).astype(str)
        self.numeric = bool(values.str.fullmatch(r"-?\d+").all())
        if self.numeric:
            self.times = values.astype(int).to_numpy()
            self.step: Any = int(np.median(np.diff(self.times))) if len(self.times) > 1 else 1
        else:
            self.times = pd.to_datetime(values, format="ISO8601").to_numpy()
            self.step = np.median(np.diff(self.times)) if len(self.times) > 1 else np.timedelta64(1, "D")

    def at(self, positions: np.ndarray) -> Any:
        n = len(self.times)
        clipped = np.minimum(positions, n - 1)
        return self.times[clipped] + np.maximum(positions - (n - 1), 0) * self.step


CALENDAR = {
    "year": lambda d: d.year,
    "month": lambda d: d.month,
    "day": lambda d: d.day,
    "dayofweek": lambda d: d.day_of_week,
    "dayofyear": lambda d: d.day_of_year,
    "weekofyear": lambda d: d.isocalendar().week.to_numpy(),
    "quarter": lambda d: d.quarter,
    "hour": lambda d: d.hour,
}


class GlobalForecaster:
    """One model across all series on scale-free features (see the module docstring)."""

    def __init__(self, spec: dict[str, Any], seed: int, timelines: list[Timeline]) -> None:
        steps = spec["features"]
        bad = [s["kind"] for s in steps if s["kind"] not in ("lags", "rolling", "calendar", "series_id")]
        if bad:
            raise SolutionError(
                f"feature step {bad[0]!r} does not apply to forecasting (use lags, rolling, calendar, series_id)"
            )
        self.steps, self.target, self.timelines = steps, spec["target"], timelines
        lags = sorted({lag for s in steps if s["kind"] == "lags" for lag in s["lags"]})
        if not lags:
            raise SolutionError("a forecasting model needs a 'lags' feature step")
        self.lags = lags
        self.windows = [(w, s["stats"]) for s in steps if s["kind"] == "rolling" for w in s["windows"]]
        self.calendar = [p for s in steps if s["kind"] == "calendar" for p in s["parts"]]
        self.series_id = any(s["kind"] == "series_id" for s in steps)
        forecast = spec["model"].get("forecast") or property_defaults("forecast")
        self.strategy = forecast["strategy"]
        self.max_rows = forecast["max_rows_per_series"]
        self.early = spec["model"].get("early_stopping")
        self.grower = GrowingModel(spec["model"], "regression", seed)
        self.need = max([*lags, *(w for w, _ in self.windows)])
        self.season_length = 1
        self.horizon = 1  # set by the cross-validation before training
        self.metric_name = ""  # likewise: forecasts are clipped to its valid range

    def _scaled(self, histories: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
        values = [transform(s, self.target) for s in histories]
        scales = np.array([float(np.mean(np.abs(v[-max(self.need, 4 * self.horizon) :]))) or 1.0 for v in values])
        return [v / c for v, c in zip(values, scales, strict=True)], scales

    def _features(self, z: np.ndarray, origins: np.ndarray, steps: np.ndarray, series: int) -> np.ndarray:
        """Rows for forecasting z[origin + step - 1] from z[:origin] (step 1 = the next point)."""
        cols = [z[origins - lag] for lag in self.lags]
        for w, stats in self.windows:
            win = sliding_window_view(z, w)[origins - w]  # z[origin - w: origin]
            for stat in stats:
                cols.append(getattr(np, stat)(win, axis=1))
        if self.calendar:
            when = self.timelines[series].at(origins + steps - 1)
            if self.timelines[series].numeric:
                cols += [np.asarray(when, dtype=float)]
            else:
                dates = pd.DatetimeIndex(when)
                cols += [np.asarray(CALENDAR[p](dates), dtype=float) for p in self.calendar]
        if self.series_id:
            cols.append(np.full(len(origins), float(series)))
        if self.strategy == "direct":
            cols.append(steps.astype(float))
        return np.column_stack(cols)

    def _rows(self, histories: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Training rows (X, y) and whether each is held out for early stopping (each series' latest targets)."""
        z_all, _ = self._scaled(histories)
        H = self.horizon if self.strategy == "direct" else 1
        xs, ys, held = [], [], []
        for k, z in enumerate(z_all):
            last_origin = len(z) - H
            first = max(self.need, last_origin + 1 - max(1, self.max_rows // H))
            if last_origin < first:
                continue
            origins = np.repeat(np.arange(first, last_origin + 1), H)
            steps = np.tile(np.arange(1, H + 1), last_origin + 1 - first)
            xs.append(self._features(z, origins, steps, k))
            target_pos = origins + steps - 1
            ys.append(z[target_pos])
            share = self.early["validation_fraction"] if self.early else 0.0
            n_val = max(self.horizon, int(round(share * (len(z) - first))))
            held.append(target_pos >= len(z) - n_val)
        if not xs:
            raise SolutionError(f"series too short for lags/windows up to {self.need} points")
        return np.vstack(xs), np.concatenate(ys), np.concatenate(held)

    def train_epoch(self, histories: list[np.ndarray], epoch: int) -> None:
        X, y, held = self._rows(histories)
        if self.early is None:
            self.grower.fit_epoch(X, y, epoch, None)
        else:
            self.grower.fit_epoch(X[~held], y[~held], epoch, None, X[held], y[held])

    # The validation forecasts one series at a time (to stop at a deadline) and says which one it is.
    takes_series_index = True

    def forecast(self, histories: list[np.ndarray], horizon: int, series: list[int] | None = None) -> list[np.ndarray]:
        index = series or list(range(len(histories)))
        z_all, scales = self._scaled(histories)
        if any(len(z) < self.need for z in z_all):
            raise SolutionError(f"a series is shorter than the {self.need} points the lags/windows need")
        if self.strategy == "direct":
            steps = np.arange(1, horizon + 1)
            rows = [self._features(z, np.full(horizon, len(z)), steps, k) for k, z in zip(index, z_all, strict=True)]
            pred = self.grower.predict(np.vstack(rows)).reshape(len(z_all), horizon)
        else:
            extended = [list(z) for z in z_all]
            pred = np.empty((len(z_all), horizon))
            for h in range(horizon):
                rows = [
                    self._features(np.asarray(e), np.array([len(e)]), np.array([1]), k)
                    for k, e in zip(index, extended, strict=True)
                ]
                step = self.grower.predict(np.vstack(rows))
                pred[:, h] = step
                for e, v in zip(extended, step, strict=True):
                    e.append(float(v))
        return [
            clip_to_metric(inverse(p * c, self.target), self.metric_name) for p, c in zip(pred, scales, strict=True)
        ]
