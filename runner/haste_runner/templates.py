"""Model templates: parameter schemas, model construction and one-epoch training steps.

Every template trains incrementally so a run can be checkpointed after any epoch and resumed
with a bit-identical outcome: warm_start models grow by a fixed amount per epoch, MLPs take
one partial_fit pass, and single-shot models have exactly one epoch.
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier, ExtraTreesRegressor, HistGradientBoostingClassifier,
    HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor

from .errors import SolutionError
from .preprocess import Preprocessing

CLASSIFICATION = ("binary", "multiclass")
REGRESSION = ("regression",)
ALL_TASKS = CLASSIFICATION + REGRESSION

Validator = Callable[[Any], Any]


# ---- parameter validation -------------------------------------------------------------


def int_range(lo: int, hi: int | None = None, nullable: bool = False) -> tuple[str, Validator]:
    desc = f"int >= {lo}" if hi is None else f"int in [{lo}, {hi}]"
    desc += " or null" if nullable else ""

    def check(v: Any) -> Any:
        if v is None and nullable:
            return None
        # bool is an int subclass; `true` is never a sensible count.
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            raise ValueError(f"expected {desc}, got {v!r}")
        return v

    return desc, check


def float_range(lo: float, hi: float | None = None, lo_open: bool = False) -> tuple[str, Validator]:
    hi_txt = "inf)" if hi is None else f"{hi}]"
    desc = f"number in {'(' if lo_open else '['}{lo}, {hi_txt}"

    def check(v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"expected {desc}, got {v!r}")
        if v < lo or (lo_open and v == lo) or (hi is not None and v > hi):
            raise ValueError(f"expected {desc}, got {v!r}")
        return float(v)

    return desc, check


def choice(*options: str) -> tuple[str, Validator]:
    desc = " | ".join(repr(o) for o in options)

    def check(v: Any) -> Any:
        if v not in options:
            raise ValueError(f"expected one of {desc}, got {v!r}")
        return v

    return desc, check


def max_features() -> tuple[str, Validator]:
    fraction_desc, fraction = float_range(0.0, 1.0, lo_open=True)
    desc = f"'sqrt' | 'log2' | {fraction_desc} (fraction of features) | null (all)"

    def check(v: Any) -> Any:
        if v is None or v in ("sqrt", "log2"):
            return v
        try:
            return fraction(v)
        except ValueError:
            raise ValueError(f"expected {desc}, got {v!r}") from None

    return desc, check


def hidden_layers() -> tuple[str, Validator]:
    desc = "list of 1-4 ints in [1, 1024] (units per hidden layer)"

    def check(v: Any) -> Any:
        ok = isinstance(v, list) and 1 <= len(v) <= 4 and all(
            isinstance(u, int) and not isinstance(u, bool) and 1 <= u <= 1024 for u in v
        )
        if not ok:
            raise ValueError(f"expected {desc}, got {v!r}")
        return list(v)

    return desc, check


@dataclass(frozen=True)
class Param:
    description: str
    default: Any
    validate: Validator


def param(spec: tuple[str, Validator], default: Any) -> Param:
    return Param(spec[0], default, spec[1])


# ---- models ---------------------------------------------------------------------------


class StandardisedTargetMLP:
    """MLPRegressor trained on a standardised target.

    Raw regression targets (e.g. 150 +/- 77) make adam need hundreds of epochs; the scale is
    taken from the first partial_fit batch, i.e. the fold's training part.
    """

    def __init__(self, mlp: MLPRegressor) -> None:
        self.mlp = mlp
        self.mean = 0.0
        self.scale = 1.0
        self.fitted = False

    def partial_fit(self, X: np.ndarray, y: np.ndarray) -> None:
        if not self.fitted:
            self.mean = float(np.mean(y))
            self.scale = float(np.std(y)) or 1.0
            self.fitted = True
        self.mlp.partial_fit(X, (y - self.mean) / self.scale)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.mlp.predict(X) * self.scale + self.mean


def _forest(classifier: type, regressor: type) -> Callable[[dict, str, int], Any]:
    def build(p: dict, task: str, seed: int) -> Any:
        cls = classifier if task in CLASSIFICATION else regressor
        return cls(n_estimators=0, warm_start=True, max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"],
                   max_features=p["max_features"], random_state=seed, n_jobs=1)
    return build


def _grow_forest(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.n_estimators = epoch * p["trees_per_epoch"]
    model.fit(X, y)


def _build_hgb(p: dict, task: str, seed: int) -> Any:
    cls = HistGradientBoostingClassifier if task in CLASSIFICATION else HistGradientBoostingRegressor
    return cls(max_iter=0, warm_start=True, early_stopping=False, learning_rate=p["learning_rate"],
               max_leaf_nodes=p["max_leaf_nodes"], min_samples_leaf=p["min_samples_leaf"],
               l2_regularization=p["l2_regularization"], random_state=seed)


def _grow_hgb(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.max_iter = epoch * p["iters_per_epoch"]
    model.fit(X, y)


def _build_mlp(p: dict, task: str, seed: int) -> Any:
    kwargs = dict(hidden_layer_sizes=tuple(p["hidden"]), alpha=p["alpha"], learning_rate_init=p["learning_rate_init"],
                  random_state=seed)
    if task in CLASSIFICATION:
        return MLPClassifier(**kwargs)
    return StandardisedTargetMLP(MLPRegressor(**kwargs))


def _mlp_pass(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    if classes is not None:
        model.partial_fit(X, y, classes=classes)
    else:
        model.partial_fit(X, y)


def _build_logistic(p: dict, task: str, seed: int) -> Any:
    return LogisticRegression(C=p["C"], max_iter=2000, random_state=seed)


def _build_ridge(p: dict, task: str, seed: int) -> Any:
    return Ridge(alpha=p["alpha"])


def _build_knn(p: dict, task: str, seed: int) -> Any:
    cls = KNeighborsClassifier if task in CLASSIFICATION else KNeighborsRegressor
    return cls(n_neighbors=p["n_neighbors"], weights=p["weights"], n_jobs=1)


def _fit_once(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.fit(X, y)


# ---- custom solutions (solution.py) ----------------------------------------------------

SOLUTION_MODULE = "solution"


def source_code() -> tuple[str, Validator]:
    desc = "Python source of solution.py (a non-empty string, at most 1 MB)"

    def check(v: Any) -> Any:
        if not isinstance(v, str) or not v.strip() or len(v) > 2**20:
            raise ValueError(f"expected {desc}, got {type(v).__name__}")
        return v

    return desc, check


def _load_solution(p: dict) -> None:
    """Import the solution's code as module `solution`, so its models pickle into checkpoints and back."""
    if p["code"] is None:
        raise SolutionError("template 'custom' needs param 'code': the Python source of solution.py")
    module = types.ModuleType(SOLUTION_MODULE)
    module.__file__ = "solution.py"
    try:
        exec(compile(p["code"], "solution.py", "exec"), module.__dict__)
    except BaseException as e:  # noqa: BLE001 - whatever the solution raises (SystemExit too) is its fault
        raise SolutionError(f"solution.py failed to import: {type(e).__name__}: {e}") from None
    if not callable(getattr(module, "make_model", None)):
        raise SolutionError("solution.py must define make_model(task_type: str, seed: int)")
    sys.modules[SOLUTION_MODULE] = module


def _build_custom(p: dict, task: str, seed: int) -> Any:
    try:
        return sys.modules[SOLUTION_MODULE].make_model(task, seed)
    except BaseException as e:  # noqa: BLE001
        raise SolutionError(f"solution.py make_model failed: {type(e).__name__}: {e}") from None


def _fit_custom(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    try:
        model.fit(X, y)
    except BaseException as e:  # noqa: BLE001
        raise SolutionError(f"solution.py fit failed: {type(e).__name__}: {e}") from None


# ---- registry -------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    name: str
    task_types: tuple[str, ...]
    preprocessing: Preprocessing
    params: dict[str, Param]
    build: Callable[[dict, str, int], Any]  # (params, task_type, seed) -> unfitted model
    # Trains one epoch in place: (model, X, y, epoch (1-based), params, classes or None).
    train_epoch: Callable[[Any, np.ndarray, np.ndarray, int, dict, np.ndarray | None], None]
    # Runs once per process after the params are resolved, before any checkpoint is loaded.
    setup: Callable[[dict], None] | None = None

    def resolve(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate user params and fill in defaults; raises SolutionError naming the bad key."""
        if not isinstance(raw, dict):
            raise SolutionError(f"params must be an object, got {type(raw).__name__}")
        unknown = sorted(set(raw) - set(self.params))
        if unknown:
            raise SolutionError(
                f"template {self.name!r} does not accept param {unknown[0]!r}; accepted: {sorted(self.params)}"
            )
        resolved = {}
        for key, spec in self.params.items():
            try:
                resolved[key] = spec.validate(raw[key]) if key in raw else spec.default
            except ValueError as e:
                raise SolutionError(f"template {self.name!r} param {key!r}: {e}") from None
        return resolved

    def epochs(self, params: dict[str, Any]) -> int:
        return params.get("epochs", 1)

    def describe(self) -> dict[str, Any]:
        return {
            "taskTypes": list(self.task_types),
            "params": {k: p.description for k, p in self.params.items()},
            "defaults": {k: p.default for k, p in self.params.items()},
        }


def _forest_params() -> dict[str, Param]:
    return {
        "epochs": param(int_range(1, 1000), 8),
        "trees_per_epoch": param(int_range(1, 1000), 25),
        "max_depth": param(int_range(1, 100, nullable=True), None),
        "min_samples_leaf": param(int_range(1), 1),
        "max_features": param(max_features(), "sqrt"),
    }


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in [
        Template("random_forest", ALL_TASKS, "tree", _forest_params(),
                 _forest(RandomForestClassifier, RandomForestRegressor), _grow_forest),
        Template("extra_trees", ALL_TASKS, "tree", _forest_params(),
                 _forest(ExtraTreesClassifier, ExtraTreesRegressor), _grow_forest),
        Template(
            "hist_gradient_boosting", ALL_TASKS, "tree",
            {
                "epochs": param(int_range(1, 1000), 8),
                "iters_per_epoch": param(int_range(1, 1000), 25),
                "learning_rate": param(float_range(0.0, 1.0, lo_open=True), 0.1),
                "max_leaf_nodes": param(int_range(2, 4096), 31),
                "min_samples_leaf": param(int_range(1), 20),
                "l2_regularization": param(float_range(0.0), 0.0),
            },
            _build_hgb, _grow_hgb,
        ),
        Template(
            "mlp", ALL_TASKS, "scaled",
            {
                "epochs": param(int_range(1, 1000), 30),
                "hidden": param(hidden_layers(), [64]),
                "alpha": param(float_range(0.0), 1e-4),
                "learning_rate_init": param(float_range(0.0, 1.0, lo_open=True), 1e-2),
            },
            _build_mlp, _mlp_pass,
        ),
        Template("logistic_regression", CLASSIFICATION, "scaled",
                 {"C": param(float_range(0.0, lo_open=True), 1.0)}, _build_logistic, _fit_once),
        Template("ridge", REGRESSION, "scaled",
                 {"alpha": param(float_range(0.0), 1.0)}, _build_ridge, _fit_once),
        Template(
            "knn", ALL_TASKS, "scaled",
            {"n_neighbors": param(int_range(1, 500), 15), "weights": param(choice("uniform", "distance"), "uniform")},
            _build_knn, _fit_once,
        ),
        # User code: solution.py defines make_model(task_type, seed) -> an estimator with fit(X, y) and
        # predict(X) (regression) or predict_proba(X) + classes_ (classification), on preprocessed features.
        Template("custom", ALL_TASKS, "scaled", {"code": param(source_code(), None)}, _build_custom, _fit_custom,
                 setup=_load_solution),
    ]
}


def get_template(name: Any) -> Template:
    if not isinstance(name, str) or name not in TEMPLATES:
        raise SolutionError(f"unknown template {name!r}; available: {sorted(TEMPLATES)}")
    return TEMPLATES[name]
