"""Ensembles of earlier steps from their out-of-fold predictions (artifacts.py): no retraining.

Weights are fit per fold on the other folds' rows and scored on the fold's own, so the ensemble's
CV score is as honest as its members'; the test predictions use weights fit on all rows. The
ensemble is kept only when that score beats the best member's on the same rows; otherwise the step
reports (and submits) the best member alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import nnls

from ..competition import Competition
from ..errors import SolutionError
from ..metrics import Metric
from .artifacts import Member, read
from .target import clip_to_metric

HILL_CLIMB_ROUNDS = 25


# Metrics that compare values on a log scale: blend there, where their error is a squared error.
LOG_SCALE = {"rmsle"}


class Scorer:
    """The competition metric on raw predictions (values, or class probabilities) against artifact targets.

    Values are blended in the metric's own space (log1p for RMSLE), so least squares fits what is scored."""

    def __init__(self, metric: Metric, classes: np.ndarray | None, positive: Any) -> None:
        self.metric, self.classes = metric, classes
        self.pos = None if positive is None or classes is None else int(np.flatnonzero(classes == positive)[0])
        self.log_scale = classes is None and metric.name in LOG_SCALE

    def to_space(self, values: np.ndarray) -> np.ndarray:
        return np.log1p(np.maximum(values, 0.0)) if self.log_scale else values

    def from_space(self, blended: np.ndarray) -> np.ndarray:
        return np.expm1(blended) if self.log_scale else blended

    def finalise(self, raw: np.ndarray) -> np.ndarray:
        if self.classes is None:
            return clip_to_metric(self.from_space(raw), self.metric.name)
        if self.metric.kind == "probability":
            return raw[:, self.pos]
        return self.classes[np.argmax(raw, axis=1)]

    def __call__(self, target: np.ndarray, raw: np.ndarray) -> float:
        if self.classes is None:
            return self.metric(target, self.finalise(raw))
        idx = target.astype(int)
        truth = (idx == self.pos).astype(int) if self.metric.kind == "probability" else self.classes[idx]
        return self.metric(truth, self.finalise(raw))

    def better(self, a: float, b: float) -> bool:
        return a > b if self.metric.direction == "maximize" else a < b


def combine(P: np.ndarray, w: np.ndarray) -> np.ndarray:
    """P: (rows, members) or (rows, classes, members)."""
    return P @ w


def fit_weights(method: str, P: np.ndarray, target: np.ndarray, scorer: Scorer) -> np.ndarray:
    m = P.shape[-1]
    if method == "mean":
        return np.full(m, 1.0 / m)
    if method == "nnls":
        if P.ndim == 2:
            w, _ = nnls(P, scorer.to_space(target))
        else:
            onehot = (target.astype(int)[:, None] == np.arange(P.shape[1])[None, :]).astype(float)
            w, _ = nnls(P.reshape(-1, m), onehot.reshape(-1))
            w = w / w.sum() if w.sum() > 0 else w
        return w if w.sum() > 0 else np.full(m, 1.0 / m)
    # Hill climbing (Caruana et al. 2004): start from the best member, add members with replacement.
    singles = [scorer(target, P[..., j]) for j in range(m)]
    counts = np.zeros(m)
    best_j = max(range(m), key=lambda j: singles[j] if scorer.metric.direction == "maximize" else -singles[j])
    counts[best_j] = 1
    current = singles[best_j]
    for _ in range(HILL_CLIMB_ROUNDS):
        trials = [scorer(target, combine(P, (counts + np.eye(m)[j]) / (counts.sum() + 1))) for j in range(m)]
        j = max(range(m), key=lambda i: trials[i] if scorer.metric.direction == "maximize" else -trials[i])
        if not scorer.better(trials[j], current):
            break
        counts[j] += 1
        current = trials[j]
    return counts / counts.sum()


def _label(member: Any) -> str:
    return str(member)


class EnsembleValidation:
    """Quacks like CrossValidation for train.py: train_epoch, scores, predict_test, states, test_ids, oof."""

    def __init__(
        self,
        comp: Competition,
        spec: dict[str, Any],
        artifacts: dict[str, Path],
        states: list[np.ndarray] | None = None,
    ) -> None:
        ens = spec["ensemble"]
        self.method = ens["method"]
        members: list[Member] = []
        for ref in ens["members"]:
            label = _label(ref)
            if label not in artifacts:
                raise SolutionError(f"ensemble member {ref!r} is not among the job's artifacts {sorted(artifacts)}")
            members.append(read(label, artifacts[label], comp.id_column))
        first = members[0]
        for m in members:
            for key in ("trainSha256", "foldsHash", "rows", "classes", "metric"):
                if m.info.get(key) != first.info.get(key):
                    raise SolutionError(
                        f"ensemble member {m.label!r} differs from {first.label!r} in {key}: "
                        "members must be validated on the same data and folds"
                    )
            if m.info["metric"] != comp.metric_name:
                raise SolutionError(
                    f"ensemble member {m.label!r} was scored with {m.info['metric']}, not {comp.metric_name}"
                )
            if not np.array_equal(m.submission_ids, first.submission_ids):
                raise SolutionError(f"ensemble member {m.label!r} predicts other test rows than {first.label!r}")
        self.members = members
        self.classes = None if first.info["classes"] is None else np.asarray(first.info["classes"])
        self.positive = first.info["positive"]
        self.scorer = Scorer(comp.metric, self.classes, self.positive)
        # Members in the space they are blended in (finalise maps a blend back).
        self.P = self.scorer.to_space(np.stack([m.oof for m in members], axis=-1))
        self.T = self.scorer.to_space(np.stack([m.test for m in members], axis=-1))
        self.target, self.folds = first.target, first.folds
        self.fold_ids = np.unique(self.folds)
        self.test_ids = first.submission_ids
        self.states: list[np.ndarray] = states or []  # weights per fold, then the weights for the test set
        self.report: dict[str, Any] = {}
        # What train.py's deadline loop reads: one epoch over every fold, never stopped part-way.
        self.used_folds = list(range(len(self.fold_ids)))
        self.epochs_done = [1 if self.states else 0] * len(self.fold_ids)
        self.stopped: str | None = None
        self.overhead_seconds = 0.0

    def train_epoch(self, epoch: int) -> bool:
        weights = [
            fit_weights(self.method, self.P[self.folds != f], self.target[self.folds != f], self.scorer)
            for f in self.fold_ids
        ]
        self.states = [*weights, fit_weights(self.method, self.P, self.target, self.scorer)]
        self.epochs_done = [epoch] * len(self.fold_ids)
        return True

    def affords_epoch(self) -> bool:
        return True

    def _oof(self) -> np.ndarray:
        out = np.empty(self.P.shape[:-1])
        for f, w in zip(self.fold_ids, self.states[:-1], strict=True):
            rows = self.folds == f
            out[rows] = combine(self.P[rows], w)
        return out

    def _fold_scores(self, raw: np.ndarray) -> list[float]:
        return [self.scorer(self.target[self.folds == f], raw[self.folds == f]) for f in self.fold_ids]

    def scores(self) -> list[float]:
        ensemble = self._oof()
        candidates = {"ensemble": self._fold_scores(ensemble)}
        for j, m in enumerate(self.members):
            candidates[m.label] = self._fold_scores(self.P[..., j])
        sign = -1.0 if self.scorer.metric.direction == "maximize" else 1.0
        best = min((m.label for m in self.members), key=lambda k: sign * np.mean(candidates[k]))
        kept = self.scorer.better(float(np.mean(candidates["ensemble"])), float(np.mean(candidates[best])))
        self.choice = "ensemble" if kept else best
        self.oof_raw = ensemble if kept else self.P[..., [m.label for m in self.members].index(best)]
        self.report = {
            "ensemble": {
                "kept": kept,
                "method": self.method,
                "bestMember": best,
                "weights": [float(x) for x in self.states[-1]],
                "memberScores": {k: float(np.mean(v)) for k, v in candidates.items()},
            }
        }
        return candidates[self.choice]

    def predict_test(self) -> np.ndarray:
        if self.choice == "ensemble":
            blended = combine(self.T, self.states[-1])
        else:
            blended = self.T[..., [m.label for m in self.members].index(self.choice)]
        self.test_raw = self.scorer.from_space(blended)  # artifacts keep the members' own scale
        return self.scorer.finalise(blended)

    def oof(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.scorer.from_space(self.oof_raw), self.target, self.folds
