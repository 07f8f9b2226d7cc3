"""Forecasting templates on synthetic series: shapes, the seasonal drift, and `combo` as the mean
(or median) of exactly its members."""

from __future__ import annotations

import numpy as np
import pytest

from haste_runner.errors import SolutionError
from haste_runner.templates import get_template
from haste_runner.templates.timeseries import COMBO_MEMBERS, Theta


def _series(n: int, season: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 0.3 * t + 5 * np.sin(2 * np.pi * t / season) + rng.normal(0, 0.5, n)


def _build(name: str, params: dict, season_length: int):
    template = get_template(name)
    model = template.build(template.resolve(params), "forecasting", 0)
    model.season_length = season_length
    return model


@pytest.mark.parametrize("season_length", [1, 12])
def test_combo_forecasts_horizon_values_per_series_even_short_ones(season_length: int) -> None:
    histories = [_series(120, seed=1), _series(30, seed=2), _series(6, seed=3)]
    out = _build("combo", {}, season_length).forecast(histories, 9)
    assert len(out) == 3
    for forecast in out:
        assert forecast.shape == (9,)
        assert np.all(np.isfinite(forecast))


@pytest.mark.parametrize("season_length", [1, 12])
def test_combo_is_the_mean_of_its_members(season_length: int) -> None:
    histories = [_series(96, seed=4), _series(60, seed=5) * 3]
    members = {
        "naive": _build("seasonal_naive", {"method": "seasonal"}, season_length),
        "drift": _build("seasonal_naive", {"method": "seasonal_drift"}, season_length),
        "ets": _build("ets", {"trend": "add", "damped": True, "seasonal": "add"}, season_length),
        "theta": Theta(),
    }
    members["theta"].season_length = season_length
    alone = {name: m.forecast(histories, 8) for name, m in members.items()}
    combo = _build("combo", {}, season_length).forecast(histories, 8)
    for i in range(len(histories)):
        np.testing.assert_allclose(combo[i], np.mean([alone[name][i] for name in COMBO_MEMBERS], axis=0))
    median = _build("combo", {"members": ["naive", "drift", "theta"], "combine": "median"}, season_length)
    for i, forecast in enumerate(median.forecast(histories, 8)):
        np.testing.assert_allclose(forecast, np.median([alone[n][i] for n in ("naive", "drift", "theta")], axis=0))


def test_seasonal_drift_continues_a_seasonal_line_exactly_and_is_drift_without_a_season() -> None:
    t = np.arange(48.0)
    pattern = np.array([0, 3, 1, -2])
    s = 10 + 0.5 * t + pattern[t.astype(int) % 4]
    future = np.arange(48.0, 58.0)
    expected = 10 + 0.5 * future + pattern[future.astype(int) % 4]
    np.testing.assert_allclose(_build("seasonal_naive", {"method": "seasonal_drift"}, 4).forecast([s], 10)[0], expected)
    np.testing.assert_allclose(
        _build("seasonal_naive", {"method": "seasonal_drift"}, 1).forecast([s], 5)[0],
        _build("seasonal_naive", {"method": "drift"}, 1).forecast([s], 5)[0],
    )


@pytest.mark.parametrize("members", [[], ["naive", "naive"], ["arima"], "naive"])
def test_combo_members_must_be_a_non_empty_list_of_known_distinct_names(members) -> None:
    with pytest.raises(SolutionError, match="members"):
        get_template("combo").resolve({"members": members})
