"""Seeded K-fold cross-validation that trains all fold models one epoch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import KFold, StratifiedKFold

from .competition import Competition
from .errors import SolutionError
from .preprocess import FeatureSchema
from .templates import Template


@dataclass
class FoldState:
    """Everything a checkpoint needs for one fold: the fitted preprocessor and the model so far."""

    preprocessor: ColumnTransformer
    model: Any


def fold_seed(seed: int, fold: int) -> int:
    # Distinct, reproducible model seeds per fold derived from the job seed.
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0])


class CrossValidation:
    def __init__(self, comp: Competition, template: Template, params: dict[str, Any], seed: int, n_folds: int,
                 train: pd.DataFrame, test: pd.DataFrame, states: list[FoldState] | None = None) -> None:
        if comp.task_type not in template.task_types:
            raise SolutionError(f"template {template.name!r} does not support task type {comp.task_type!r}")
        self.comp = comp
        self.template = template
        self.params = params
        self.metric = comp.metric
        features = train.drop(columns=[comp.id_column, comp.target_column])
        self.schema = FeatureSchema.infer(features, comp.text_columns, comp.image)
        self.X = self.schema.clean(features)
        self.X_test = self.schema.clean(test)
        self.test_ids = test[comp.id_column].to_numpy()
        self.y = train[comp.target_column].to_numpy()
        self.classes = np.unique(self.y) if comp.is_classification else None
        self.positive = comp.positive_class(self.y) if self.metric.kind == "probability" else None

        if n_folds > len(self.y):
            raise SolutionError(f"folds={n_folds} exceeds the {len(self.y)} training rows")
        splitter = (StratifiedKFold if comp.is_classification else KFold)(n_splits=n_folds, shuffle=True,
                                                                           random_state=seed)
        self.splits = list(splitter.split(self.X, self.y))
        if states is None:
            states = [self._new_fold(tr, seed, i) for i, (tr, _) in enumerate(self.splits)]
        self.states = states
        # Transform once per process; a resumed run reuses the checkpointed (already fitted)
        # preprocessors, so its inputs are identical to the uninterrupted run's.
        self.fold_inputs = [
            (s.preprocessor.transform(self.X.iloc[tr]), s.preprocessor.transform(self.X.iloc[va]))
            for s, (tr, va) in zip(self.states, self.splits)
        ]

    def _new_fold(self, train_idx: np.ndarray, seed: int, fold: int) -> FoldState:
        preprocessor = self.template.preprocessor(self.schema, self.params)
        preprocessor.fit(self.X.iloc[train_idx])
        return FoldState(preprocessor, self.template.build(self.params, self.comp.task_type, fold_seed(seed, fold)))

    def train_epoch(self, epoch: int) -> None:
        """Train every fold model one more epoch."""
        for state, (tr, _), (X_tr, _) in zip(self.states, self.splits, self.fold_inputs):
            try:
                self.template.train_epoch(state.model, X_tr, self.y[tr], epoch, self.params, self.classes)
            except Exception as e:  # any failure of the model on this data is the solution's fault
                raise SolutionError(f"template {self.template.name!r} failed in epoch {epoch}: "
                                    f"{type(e).__name__}: {e}") from e

    def scores(self) -> list[float]:
        """Per-fold validation scores of the current fold models."""
        scores = []
        self.fold_preds = []  # kept for the out-of-fold artifact (oof)
        for state, (_, va), (_, X_va) in zip(self.states, self.splits, self.fold_inputs):
            try:
                pred = self._predict(state.model, X_va)
            except Exception as e:
                raise SolutionError(f"template {self.template.name!r} failed to predict: "
                                    f"{type(e).__name__}: {e}") from e
            self.fold_preds.append(pred)
            scores.append(self._score(self.y[va], pred))
        return scores

    def oof(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last scores()' held-out predictions in train.csv row order, the targets (class indices for
        classification) and each row's fold."""
        oof = np.empty((len(self.y), *self.fold_preds[0].shape[1:]))
        folds = np.empty(len(self.y), dtype=np.int64)
        for i, ((_, va), pred) in enumerate(zip(self.splits, self.fold_preds, strict=True)):
            oof[va], folds[va] = pred, i
        target = self.y.astype(float) if self.classes is None else np.searchsorted(self.classes, self.y)
        return oof, target, folds

    def predict_test(self) -> np.ndarray:
        """Submission values for the test rows, averaging the fold models' predictions."""
        try:
            preds = [self._predict(s.model, s.preprocessor.transform(self.X_test)) for s in self.states]
        except Exception as e:
            raise SolutionError(f"template {self.template.name!r} failed to predict the test set: "
                                f"{type(e).__name__}: {e}") from e
        self.test_raw = np.mean(preds, axis=0)
        return self._finalise(self.test_raw)

    def _predict(self, model: Any, X: np.ndarray) -> np.ndarray:
        """Class probabilities aligned to self.classes, or regression values."""
        if self.classes is None:
            return np.asarray(model.predict(X), dtype=float)
        proba = model.predict_proba(X)
        aligned = np.zeros((X.shape[0], len(self.classes)))
        # A fold model may have seen fewer classes than the full training set.
        aligned[:, np.searchsorted(self.classes, model.classes_)] = proba
        return aligned

    def _finalise(self, pred: np.ndarray) -> np.ndarray:
        """Turn probabilities/values into what the submission's target column holds."""
        if self.classes is None:
            return pred
        if self.metric.kind == "probability":
            return pred[:, int(np.searchsorted(self.classes, self.positive))]
        return self.classes[np.argmax(pred, axis=1)]

    def _score(self, y_true: np.ndarray, pred: np.ndarray) -> float:
        if self.metric.kind == "probability":
            y_true = (y_true == self.positive).astype(int)
        return self.metric(y_true, self._finalise(pred))
