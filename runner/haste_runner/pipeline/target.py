"""Target transforms (fitted on the fold's training rows, inverted automatically) and clipping of
predictions to the range the competition metric accepts."""

from __future__ import annotations

import numpy as np

from ..errors import SolutionError

# Metrics undefined for negative predictions (log of 1 + p, log of p): clip at (just above) zero.
NON_NEGATIVE = {"rmsle": 0.0, "poisson_deviance": 1e-9}


class TargetTransform:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.mean, self.scale = 0.0, 1.0

    def fit_forward(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        if self.kind == "log1p":
            if np.any(y <= -1):
                raise SolutionError("target 'log1p' needs every target value > -1")
            return np.log1p(y)
        if self.kind == "standardize":
            self.mean, self.scale = float(np.mean(y)), float(np.std(y)) or 1.0
            return (y - self.mean) / self.scale
        return y

    def inverse(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "log1p":
            return np.expm1(z)
        if self.kind == "standardize":
            return z * self.scale + self.mean
        return z


def clip_to_metric(pred: np.ndarray, metric_name: str) -> np.ndarray:
    low = NON_NEGATIVE.get(metric_name)
    return pred if low is None else np.maximum(pred, low)
