"""Seeded K-fold cross-validation that trains all fold models one epoch at a time, within a deadline."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import KFold, StratifiedKFold

from .competition import Competition
from .errors import SolutionError, competition_data, solution_code
from .metrics import Metric
from .preprocess import FeatureSchema
from .templates import Template

# Seconds kept for writing the submission after the last prediction.
WRITE_RESERVE_SECONDS = 0.5


@dataclass
class FoldState:
    """Everything a checkpoint needs for one fold: the fitted preprocessor and the model so far."""

    preprocessor: ColumnTransformer
    model: Any


class Deadline:
    """When the step's compute budget runs out (Unix time); None: no deadline."""

    def __init__(self, at: float | None) -> None:
        self.at = at

    def left(self) -> float:
        return math.inf if self.at is None else self.at - time.time()

    def affords(self, seconds: float) -> bool:
        return self.left() >= seconds


def fold_seed(seed: int, fold: int) -> int:
    # Distinct, reproducible model seeds per fold derived from the job seed.
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0])


def checked_score(metric: Metric, y_true: np.ndarray, pred: np.ndarray, where: str) -> float:
    """The metric of a solution's predictions; predictions it cannot score, or a score that is not a
    finite number, are the solution's fault."""
    why = metric.invalid_predictions(pred)
    if why is not None:
        raise SolutionError(f"{where}: {why}; {metric.name} is defined only for {metric.domain_text()}")
    with solution_code(f"{where}: scoring with {metric.name}"):
        score = metric(y_true, pred)
    if not math.isfinite(score):
        raise SolutionError(f"{where}: {metric.name} of the predictions is {score}, not a finite number")
    return score


class CrossValidation:
    """K-fold CV of one template. Under a deadline it scales down rather than overshoot: it stops
    between folds or epochs when the next one (plus the test predictions still owed) would not fit,
    keeping every fold model at its last completed epoch; folds never trained are left out."""

    def __init__(
        self,
        comp: Competition,
        template: Template,
        params: dict[str, Any],
        seed: int,
        n_folds: int,
        train: pd.DataFrame,
        test: pd.DataFrame,
        states: list[FoldState] | None = None,
        start_epoch: int = 0,
        deadline: Deadline | None = None,
    ) -> None:
        if comp.task_type not in template.task_types:
            raise SolutionError(f"template {template.name!r} does not support task type {comp.task_type!r}")
        self.comp = comp
        self.template = template
        self.params = params
        self.metric = comp.metric
        self.deadline = deadline or Deadline(None)
        with competition_data("train.csv / test.csv do not fit competition.yaml"):
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
        splitter = (StratifiedKFold if comp.is_classification else KFold)(
            n_splits=n_folds, shuffle=True, random_state=seed
        )
        with competition_data("splitting train.csv into folds"):
            self.splits = list(splitter.split(self.X, self.y))
        if states is None:
            states = [self._new_fold(tr, seed, i) for i, (tr, _) in enumerate(self.splits)]
        self.states = states
        # Transform once per process; a resumed run reuses the checkpointed (already fitted)
        # preprocessors, so its inputs are identical to the uninterrupted run's.
        with solution_code(f"template {template.name!r} feature preprocessing (transform)"):
            self.fold_inputs = [
                (s.preprocessor.transform(self.X.iloc[tr]), s.preprocessor.transform(self.X.iloc[va]))
                for s, (tr, va) in zip(self.states, self.splits)
            ]
        self.epochs_done = [start_epoch] * len(self.states)
        # Measured in this process: seconds per fold for one epoch of training and one validation predict.
        self.train_seconds: list[float | None] = [None] * len(self.states)
        self.predict_seconds: list[float | None] = [None] * len(self.states)
        self.test_ratio = len(self.X_test) / max(1.0, float(np.mean([len(va) for _, va in self.splits])))
        self.overhead_seconds = 0.0  # per epoch, outside training and scoring (the checkpoint write)
        self.stopped: str | None = None

    def _new_fold(self, train_idx: np.ndarray, seed: int, fold: int) -> FoldState:
        with solution_code(f"template {self.template.name!r} feature preprocessing (fold {fold + 1})"):
            preprocessor = self.template.preprocessor(self.schema, self.params)
            preprocessor.fit(self.X.iloc[train_idx])
        with solution_code(f"template {self.template.name!r} building its model"):
            model = self.template.build(self.params, self.comp.task_type, fold_seed(seed, fold))
        return FoldState(preprocessor, model)

    # ---- the deadline -------------------------------------------------------------------

    @property
    def used_folds(self) -> list[int]:
        """Folds with a trained model: they are scored and predict the test set."""
        return [j for j, e in enumerate(self.epochs_done) if e >= 1]

    @staticmethod
    def _estimate(measured: list[float | None], j: int) -> float:
        known = [m for m in measured if m is not None]
        if measured[j] is not None:
            return measured[j]  # type: ignore[return-value]
        return float(np.mean(known)) if known else 0.0

    def finish_reserve(self) -> float:
        """Seconds still owed after training: the test predictions of the used folds, and the write."""
        return (
            sum(self._estimate(self.predict_seconds, j) * self.test_ratio for j in self.used_folds)
            + WRITE_RESERVE_SECONDS
        )

    def affords_epoch(self) -> bool:
        """Whether one more epoch of every fold (training and scoring) fits before the deadline."""
        if not self.used_folds:
            return True  # without one trained fold there is nothing to submit
        epoch = sum(
            self._estimate(self.train_seconds, j) + self._estimate(self.predict_seconds, j)
            for j in range(len(self.states))
        )
        return self.deadline.affords(epoch + self.overhead_seconds + self.finish_reserve())

    def _affords_fold(self, j: int) -> bool:
        if not self.used_folds:
            return True
        # A fold trained for the first time also adds its share of the test predictions.
        extra = 0.0 if self.epochs_done[j] >= 1 else self._estimate(self.predict_seconds, j) * self.test_ratio
        cost = self._estimate(self.train_seconds, j) + self._estimate(self.predict_seconds, j) + extra
        return self.deadline.affords(cost + self.finish_reserve())

    # ---- training and scoring -------------------------------------------------------------

    def train_epoch(self, epoch: int) -> bool:
        """Train every fold model one more epoch; False when the deadline stopped it part-way."""
        for j, (state, (tr, _), (X_tr, _)) in enumerate(zip(self.states, self.splits, self.fold_inputs)):
            if not self._affords_fold(j):
                self.stopped = (
                    f"deadline: stopped in epoch {epoch} before fold {j + 1} of {len(self.states)} "
                    f"({self.deadline.left():.1f} s left)"
                )
                return False
            started = time.perf_counter()
            with solution_code(f"template {self.template.name!r} failed in epoch {epoch} (fold {j + 1})"):
                self.template.train_epoch(state.model, X_tr, self.y[tr], epoch, self.params, self.classes)
            self.train_seconds[j] = time.perf_counter() - started
            self.epochs_done[j] = epoch
        return True

    def scores(self) -> list[float]:
        """Validation scores of the used folds' current models."""
        scores = []
        self.fold_preds: dict[int, np.ndarray] = {}  # kept for the out-of-fold artifact (oof)
        for j in self.used_folds:
            state, (_, va), (_, X_va) = self.states[j], self.splits[j], self.fold_inputs[j]
            started = time.perf_counter()
            with solution_code(f"template {self.template.name!r} failed to predict (fold {j + 1})"):
                pred = self._predict(state.model, X_va)
            self.predict_seconds[j] = time.perf_counter() - started
            self._check_probabilities(pred, f"fold {j + 1}")
            self.fold_preds[j] = pred
            scores.append(self._score(self.y[va], pred, f"template {self.template.name!r}, fold {j + 1}"))
        return scores

    def oof(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last scores()' held-out predictions in train.csv row order, the targets (class indices for
        classification) and each row's fold; rows of folds the deadline left untrained are NaN, fold -1."""
        first = next(iter(self.fold_preds.values()))
        oof = np.full((len(self.y), *first.shape[1:]), np.nan)
        folds = np.full(len(self.y), -1, dtype=np.int64)
        for j, pred in self.fold_preds.items():
            va = self.splits[j][1]
            oof[va], folds[va] = pred, j
        target = self.y.astype(float) if self.classes is None else np.searchsorted(self.classes, self.y)
        return oof, target, folds

    def predict_test(self) -> np.ndarray:
        """Submission values for the test rows, averaging the used fold models' predictions."""
        with solution_code(f"template {self.template.name!r} failed to predict the test set"):
            preds = [
                self._predict(self.states[j].model, self.states[j].preprocessor.transform(self.X_test))
                for j in self.used_folds
            ]
        for pred in preds:
            self._check_probabilities(pred, "test set")
        self.test_raw = np.mean(preds, axis=0)  # kept for the test-prediction artifact
        values = self._finalise(self.test_raw)
        why = self.metric.invalid_predictions(values)
        if why is not None:
            raise SolutionError(
                f"template {self.template.name!r}, test set: {why}; {self.metric.name} is defined only "
                f"for {self.metric.domain_text()}"
            )
        return values

    def _predict(self, model: Any, X: np.ndarray) -> np.ndarray:
        """Class probabilities aligned to self.classes, or regression values."""
        if self.classes is None:
            return np.asarray(model.predict(X), dtype=float)
        proba = model.predict_proba(X)
        aligned = np.zeros((X.shape[0], len(self.classes)))
        # A fold model may have seen fewer classes than the full training set.
        aligned[:, np.searchsorted(self.classes, model.classes_)] = proba
        return aligned

    def _check_probabilities(self, pred: np.ndarray, where: str) -> None:
        # Labels come from argmax over class probabilities: NaN probabilities would still yield labels.
        if self.classes is not None and not np.all(np.isfinite(pred)):
            raise SolutionError(
                f"template {self.template.name!r}, {where}: the model predicted non-finite class probabilities"
            )

    def _finalise(self, pred: np.ndarray) -> np.ndarray:
        """Turn probabilities/values into what the submission's target column holds."""
        if self.classes is None:
            return pred
        if self.metric.kind == "probability":
            return pred[:, int(np.searchsorted(self.classes, self.positive))]
        return self.classes[np.argmax(pred, axis=1)]

    def _score(self, y_true: np.ndarray, pred: np.ndarray, where: str) -> float:
        if self.metric.kind == "probability":
            y_true = (y_true == self.positive).astype(int)
        return checked_score(self.metric, y_true, self._finalise(pred), where)
