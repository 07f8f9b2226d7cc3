"""The spec's model: one of the runner's templates, grown epoch by epoch, optionally stopping early
on an inner validation split (boosters, MLP, CNN) and then predicting with its best epoch."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.model_selection import train_test_split

from ..errors import SolutionError
from .base import Context
from .columns import DataColumns
from .features import FeaturePipeline
from .target import TargetTransform, clip_to_metric

BOOSTERS = ("lightgbm", "xgboost")
# Templates that need dense input.
DENSE = ("hist_gradient_boosting", "cnn")


def get_template(name: str) -> Any:
    from ..templates import get_template as lookup  # lazily: the catalogue holds the pipeline template

    return lookup(name)


def resolve_model(model_spec: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    template = get_template(model_spec["template"])
    return template, template.resolve(model_spec["params"])


class GrowingModel:
    """A template's model trained one epoch at a time on (X, y); with early stopping it scores the
    held-out rows after each epoch, keeps the best epoch and stops growing after `patience` epochs
    without improvement. Everything it holds pickles, so checkpoints resume bit-identically."""

    def __init__(self, model_spec: dict[str, Any], task: str, seed: int) -> None:
        template, self.params = resolve_model(model_spec)
        self.name = template.name  # the Template itself holds closures: looked up, not pickled
        self.task = task
        self.model = template.build(self.params, task, seed)
        self.early = model_spec.get("early_stopping")
        self.best_loss = np.inf
        self.best_epoch = 0
        self.best: Any = None  # boosters: rounds; others: a pickled copy of the model at its best epoch
        self.bad_epochs = 0
        self.stopped = False

    def fit_epoch(
        self,
        X: Any,
        y: np.ndarray,
        epoch: int,
        classes: np.ndarray | None,
        X_val: Any = None,
        y_val: np.ndarray | None = None,
    ) -> None:
        if self.stopped:
            return
        if self.name in DENSE and sp.issparse(X):
            X = X.toarray()
        get_template(self.name).train_epoch(self.model, X, y, epoch, self.params, classes)
        if self.early is None or X_val is None:
            return
        loss = self._loss(X_val, y_val, classes)
        if not np.isfinite(loss):
            raise SolutionError(f"model {self.name!r}: the validation loss became {loss} in epoch {epoch}")
        if loss < self.best_loss:
            self.best_loss, self.best_epoch, self.bad_epochs = loss, epoch, 0
            self.best = epoch * self.params["iters_per_epoch"] if self.name in BOOSTERS else pickle.dumps(self.model)
        else:
            self.bad_epochs += 1
            self.stopped = self.bad_epochs >= self.early["patience"]

    def _loss(self, X: Any, y: np.ndarray, classes: np.ndarray | None) -> float:
        if classes is None:
            return float(np.mean((self._raw_predict(self.model, X, None) - y) ** 2))
        proba = self._proba(self.model, X, classes, None)
        idx = np.searchsorted(classes, y)
        return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), idx], 1e-15, 1.0))))

    def _current(self) -> tuple[Any, int | None]:
        """The model to predict with, and the boosting rounds to use (None: all)."""
        if self.best is None:
            return self.model, None
        if self.name in BOOSTERS:
            return self.model, self.best
        return pickle.loads(self.best), None

    def _raw_predict(self, model: Any, X: Any, rounds: int | None) -> np.ndarray:
        if self.name in DENSE and sp.issparse(X):
            X = X.toarray()
        if rounds is not None and self.name == "lightgbm":
            return np.asarray(model.booster.predict(X, num_iteration=rounds), dtype=float)
        if rounds is not None and self.name == "xgboost":
            import xgboost as xgb

            from ..templates.tabular import xgboost_device

            model.booster.set_param({"device": xgboost_device()})
            data = xgb.DMatrix(X, nthread=1)
            return np.asarray(model.booster.predict(data, iteration_range=(0, rounds)), dtype=float)
        return np.asarray(model.predict(X), dtype=float)

    def _proba(self, model: Any, X: Any, classes: np.ndarray, rounds: int | None) -> np.ndarray:
        if self.name in BOOSTERS:
            p = self._raw_predict(model, X, rounds)
            p = np.column_stack([1 - p, p]) if p.ndim == 1 else p
        else:
            if self.name in DENSE and sp.issparse(X):
                X = X.toarray()
            p = model.predict_proba(X)
        aligned = np.zeros((p.shape[0], len(classes)))
        aligned[:, np.searchsorted(classes, model.classes_)] = p
        return aligned

    def predict(self, X: Any) -> np.ndarray:
        model, rounds = self._current()
        return self._raw_predict(model, X, rounds)

    def predict_proba(self, X: Any, classes: np.ndarray) -> np.ndarray:
        model, rounds = self._current()
        return self._proba(model, X, classes, rounds)


class PipelineModel:
    """One CV fold of a row pipeline: target transform -> feature steps -> model. The cross-validation
    feeds it raw feature frames; it fits its steps on the fold's training rows in the first epoch."""

    def __init__(self, spec: dict[str, Any], task: str, metric_name: str, columns: DataColumns, seed: int) -> None:
        self.spec, self.task, self.metric_name, self.columns, self.seed = spec, task, metric_name, columns, seed
        if task != "regression" and spec["target"] != "none":
            raise SolutionError(f"target {spec['target']!r} is for regression; this task is {task}")
        self.target = TargetTransform(spec["target"])
        self.features = FeaturePipeline(spec["features"])
        self.grower = GrowingModel(spec["model"], task, seed)
        self.classes_: np.ndarray | None = None
        self._data: tuple | None = None  # the fold's training matrices: rebuilt after a resume, never pickled

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_data"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _data=None)

    def _prepare(self, frame: pd.DataFrame, y: np.ndarray, classes: np.ndarray | None) -> tuple:
        # Deterministic given the seed, so after a resume it rebuilds exactly the matrices of the first run.
        ctx = Context(self.task, classes, self.seed, self.columns)
        self.features = FeaturePipeline(self.spec["features"])
        X = self.features.fit_transform(frame, y, ctx)
        t = self.target.fit_forward(y) if classes is None else np.asarray(y)
        early = self.spec["model"].get("early_stopping")
        if early is None:
            return X, t, None, None
        stratify = t if classes is not None and np.min(np.unique(t, return_counts=True)[1]) >= 2 else None
        idx_tr, idx_va = train_test_split(
            np.arange(len(t)), test_size=early["validation_fraction"], random_state=self.seed % 2**32, stratify=stratify
        )
        return X[idx_tr], t[idx_tr], X[idx_va], t[idx_va]

    def train_epoch(self, frame: pd.DataFrame, y: np.ndarray, epoch: int, classes: np.ndarray | None) -> None:
        if self._data is None:
            self._data = self._prepare(frame, y, classes)
        X, t, X_val, t_val = self._data
        self.grower.fit_epoch(X, t, epoch, classes, X_val, t_val)
        if classes is not None:
            self.classes_ = classes

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        z = self.grower.predict(self.features.transform(frame))
        return clip_to_metric(self.target.inverse(z), self.metric_name)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        assert self.classes_ is not None
        return np.clip(self.grower.predict_proba(self.features.transform(frame), self.classes_), 0.0, 1.0)
