from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from haste_runner.metrics import METRICS, get_metric, smape

RNG_SEEDS = range(5)


def _sk_rmse(y, p):
    return float(np.sqrt(skm.mean_squared_error(y, p)))


SKLEARN = {
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "macro_f1": lambda y, p: skm.f1_score(y, p, average="macro"),
    "roc_auc": skm.roc_auc_score,
    "log_loss": skm.log_loss,
    "rmse": _sk_rmse,
    "rmsle": lambda y, p: float(np.sqrt(skm.mean_squared_log_error(y, p))),
    "mae": skm.mean_absolute_error,
    "mape": skm.mean_absolute_percentage_error,
    "r2": skm.r2_score,
    "poisson_deviance": skm.mean_poisson_deviance,
}


def _inputs(name: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(20, 200))
    kind = METRICS[name].kind
    if kind == "label":
        return rng.integers(0, 4, n), rng.integers(0, 4, n)
    if kind == "probability":
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        # Rounded scores create ties, which roc_auc must handle like sklearn.
        return y, np.round(rng.random(n), 1)
    y = rng.gamma(2.0, 10.0, n)
    if name == "mape":
        y[0] = 0.0  # exercise the zero-target epsilon
    return y, rng.gamma(2.0, 10.0, n)


@pytest.mark.parametrize("name", sorted(SKLEARN))
@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_metric_matches_sklearn(name: str, seed: int) -> None:
    y, p = _inputs(name, np.random.default_rng(seed))
    assert get_metric(name)(y, p) == pytest.approx(SKLEARN[name](y, p), rel=1e-9, abs=1e-12)


def test_every_metric_has_a_reference_or_known_formula() -> None:
    assert set(METRICS) == set(SKLEARN) | {"smape"}


def test_smape() -> None:
    assert smape(np.array([0.0, 2.0]), np.array([0.0, 1.0])) == pytest.approx((0 + 2 * 1 / 3) / 2)


def test_metric_directions() -> None:
    assert {n for n, m in METRICS.items() if m.direction == "maximize"} == {
        "accuracy",
        "balanced_accuracy",
        "macro_f1",
        "roc_auc",
        "r2",
    }
