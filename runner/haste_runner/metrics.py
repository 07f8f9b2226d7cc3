"""Competition metrics implemented with numpy only.

They are deliberately independent of sklearn.metrics so the tests can cross-check them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

# What a submission's target column holds for a metric.
#   label: predicted class labels; probability: P(positive class), binary only; value: a number.
PredictionKind = Literal["label", "probability", "value"]
Direction = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class Metric:
    name: str
    direction: Direction
    kind: PredictionKind
    # For "probability" metrics y_true is 0/1 (1 = positive label); otherwise raw labels/values.
    fn: Callable[[np.ndarray, np.ndarray], float]
    # The predictions the metric is defined for (beyond being finite numbers): (lowest, lowest is
    # allowed, highest). None = any finite value.
    domain: tuple[float, bool, float] | None = None

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(self.fn(np.asarray(y_true), np.asarray(y_pred)))

    def domain_text(self) -> str:
        if self.domain is None:
            return "finite numbers"
        lo, lo_closed, hi = self.domain
        return f"numbers in {'[' if lo_closed else '('}{lo:g}, {hi:g}{']' if np.isfinite(hi) else ')'}"

    def invalid_predictions(self, y_pred: np.ndarray) -> str | None:
        """Why these predictions cannot be scored (non-finite, or outside the metric's domain), or None.

        Label metrics take class labels as they are; every other kind needs numbers in its domain.
        """
        if self.kind == "label":
            return None
        values = np.asarray(y_pred, dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            kinds = sorted({"NaN" if np.isnan(v) else "infinite" for v in values[bad][:1000]})
            return f"{int(bad.sum())} of {values.size} predictions are {' or '.join(kinds)}"
        if self.domain is None:
            return None
        lo, lo_closed, hi = self.domain
        out = (values < lo) | ((values == lo) & (not lo_closed)) | (values > hi)
        if out.any():
            return (
                f"{int(out.sum())} of {values.size} predictions are out of range "
                f"(min {values.min():.6g}, max {values.max():.6g})"
            )
        return None


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true == y_pred))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # Mean recall over the classes present in y_true (sklearn drops classes with no support).
    recalls = [np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)]
    return float(np.mean(recalls))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # Macro average over the union of true and predicted labels, as sklearn does.
    scores = []
    for c in np.unique(np.concatenate([y_true, y_pred])):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    # Boundaries of runs of equal values.
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], len(x)]
    avg = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(len(x), dtype=float)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    # Mann-Whitney U formulation; ties count one half, matching sklearn.
    pos = y_true == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both classes in the answers")
    ranks = _average_ranks(y_score.astype(float))
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def log_loss(y_true: np.ndarray, p: np.ndarray) -> float:
    eps = np.finfo(np.float64).eps  # sklearn clips with the float64 epsilon
    p = np.clip(p.astype(float), eps, 1 - eps)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def rmsle(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return rmse(np.log1p(y_true), np.log1p(y_pred))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.abs(y_true - y_pred)))


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # A fraction (not percent); the epsilon guards zero targets exactly like sklearn.
    denom = np.maximum(np.abs(y_true), np.finfo(np.float64).eps)
    return float(np.mean(np.abs(y_true - y_pred) / denom))


def smape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # Symmetric MAPE in [0, 2]; a 0/0 term (both zero) counts as a perfect prediction.
    denom = np.abs(y_true) + np.abs(y_pred)
    safe = np.where(denom == 0, 1.0, denom)
    return float(np.mean(np.where(denom == 0, 0.0, 2 * np.abs(y_true - y_pred) / safe)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    ss_res = np.sum((y_true - y_pred) ** 2)
    ss_tot = np.sum((y_true - np.mean(y_true)) ** 2)
    if ss_tot == 0:
        # sklearn's convention for a constant target.
        return 1.0 if ss_res == 0 else 0.0
    return float(1 - ss_res / ss_tot)


def poisson_deviance(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    # y*log(y/p) is defined as 0 when y == 0.
    safe_y = np.where(y_true > 0, y_true, 1.0)
    term = np.where(y_true > 0, y_true * np.log(safe_y / y_pred), 0.0)
    return float(np.mean(2 * (term - y_true + y_pred)))


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "maximize", "label", accuracy),
        Metric("balanced_accuracy", "maximize", "label", balanced_accuracy),
        Metric("macro_f1", "maximize", "label", macro_f1),
        Metric("roc_auc", "maximize", "probability", roc_auc, (0.0, True, 1.0)),
        Metric("log_loss", "minimize", "probability", log_loss, (0.0, True, 1.0)),
        Metric("rmse", "minimize", "value", rmse),
        # log1p(prediction): a prediction below 0 is no count, size or price (sklearn refuses it too).
        Metric("rmsle", "minimize", "value", rmsle, (0.0, True, np.inf)),
        Metric("mae", "minimize", "value", mae),
        Metric("mape", "minimize", "value", mape),
        Metric("smape", "minimize", "value", smape),
        Metric("r2", "maximize", "value", r2),
        Metric("poisson_deviance", "minimize", "value", poisson_deviance, (0.0, False, np.inf)),
    ]
}


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}") from None
