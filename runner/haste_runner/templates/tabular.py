"""Tabular templates (also used on pixel columns): forests, gradient boosting (sklearn, LightGBM
and XGBoost), MLP, linear models, k-NN, and `custom` (user-supplied solution.py)."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor

from ..errors import SolutionError
from .base import (
    ALL_TASKS,
    CLASSIFICATION,
    REGRESSION,
    Param,
    Template,
    Validator,
    choice,
    float_range,
    hidden_layers,
    int_range,
    max_features,
    param,
)

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
        return cls(
            n_estimators=0,
            warm_start=True,
            max_depth=p["max_depth"],
            min_samples_leaf=p["min_samples_leaf"],
            max_features=p["max_features"],
            random_state=seed,
            n_jobs=1,
        )

    return build


def _grow_forest(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.n_estimators = epoch * p["trees_per_epoch"]
    model.fit(X, y)


def _build_hgb(p: dict, task: str, seed: int) -> Any:
    cls = HistGradientBoostingClassifier if task in CLASSIFICATION else HistGradientBoostingRegressor
    return cls(
        max_iter=0,
        warm_start=True,
        early_stopping=False,
        learning_rate=p["learning_rate"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2_regularization"],
        random_state=seed,
    )


def _grow_hgb(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.max_iter = epoch * p["iters_per_epoch"]
    model.fit(X, y)


class ContinuedBooster:
    """What the LightGBM and XGBoost models share: label encoding and the probability columns."""

    def __init__(self, params: dict, task: str) -> None:
        self.task = task
        self.rounds_per_epoch = params["iters_per_epoch"]
        self.booster: Any = None
        self.classes_: np.ndarray | None = None

    def _target(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        """The training target as the booster wants it, and the number of classes (0: regression)."""
        if self.task == "regression":
            return y, 0
        if self.classes_ is None:
            self.classes_ = np.unique(y)
        return np.searchsorted(self.classes_, y), len(self.classes_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = self.predict(X)
        return np.column_stack([1 - p, p]) if p.ndim == 1 else p


class LightGBMModel(ContinuedBooster):
    """A LightGBM booster grown by a fixed number of rounds per epoch (continued training).

    Deterministic (`deterministic`, one thread, fixed seeds), and the booster pickles into
    checkpoints, so a resumed run continues from the same trees.
    """

    def __init__(self, params: dict, task: str, seed: int) -> None:
        super().__init__(params, task)
        self.lgb_params = {
            "learning_rate": params["learning_rate"],
            "num_leaves": params["num_leaves"],
            "min_data_in_leaf": params["min_child_samples"],
            "lambda_l2": params["reg_lambda"],
            "feature_fraction": params["colsample"],
            "bagging_fraction": params["subsample"],
            "bagging_freq": 1 if params["subsample"] < 1.0 else 0,
            "seed": seed,
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }

    def grow(self, X: np.ndarray, y: np.ndarray) -> None:
        import lightgbm as lgb  # lazily: only LightGBM jobs pay for the import

        target, n_classes = self._target(y)
        params = dict(self.lgb_params, objective={0: "regression", 2: "binary"}.get(n_classes, "multiclass"))
        if n_classes > 2:
            params["num_class"] = n_classes
        data = lgb.Dataset(X, label=target, params={"verbosity": -1}, free_raw_data=False)
        self.booster = lgb.train(
            params, data, num_boost_round=self.rounds_per_epoch, init_model=self.booster, keep_training_booster=True
        )

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.booster.predict(X)


def _build_lightgbm(p: dict, task: str, seed: int) -> Any:
    return LightGBMModel(p, task, seed % (2**31))


def _grow_lightgbm(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.grow(X, y)


class XGBoostModel(ContinuedBooster):
    """An XGBoost booster grown by a fixed number of rounds per epoch (continued training).

    Deterministic (one thread, `hist`, fixed seed; `seed_per_iteration` seeds the row/column
    sampling from the round number, so it does not depend on what ran before in the process),
    and the booster pickles into checkpoints, so a resumed run continues from the same trees.
    The device is chosen per call, not stored: the GPU (`cuda`) when this slot has one and the
    installed xgboost is a CUDA build (runner/requirements-gpu.txt), else the CPU.
    """

    def __init__(self, params: dict, task: str, seed: int) -> None:
        super().__init__(params, task)
        self.xgb_params = {
            "learning_rate": params["learning_rate"],
            "max_depth": params["max_depth"],
            "min_child_weight": params["min_child_weight"],
            "subsample": params["subsample"],
            "colsample_bytree": params["colsample_bytree"],
            "reg_lambda": params["reg_lambda"],
            "tree_method": "hist",
            "nthread": 1,
            "seed": seed,
            "seed_per_iteration": True,
            "verbosity": 0,
        }

    def grow(self, X: np.ndarray, y: np.ndarray) -> None:
        import xgboost as xgb  # lazily: only XGBoost jobs pay for the import

        target, n_classes = self._target(y)
        objective = {0: "reg:squarederror", 2: "binary:logistic"}.get(n_classes, "multi:softprob")
        params = dict(self.xgb_params, device=xgboost_device(), objective=objective)
        if n_classes > 2:
            params["num_class"] = n_classes
        data = xgb.DMatrix(X, label=target, nthread=1)
        self.booster = xgb.train(params, data, num_boost_round=self.rounds_per_epoch, xgb_model=self.booster)

    def predict(self, X: np.ndarray) -> np.ndarray:
        import xgboost as xgb

        self.booster.set_param({"device": xgboost_device()})  # a checkpoint may come from another slot
        return np.asarray(self.booster.predict(xgb.DMatrix(X, nthread=1)), dtype=np.float64)


def xgboost_device() -> str:
    """'cuda' when CUDA_VISIBLE_DEVICES names a GPU and xgboost is a CUDA build, else 'cpu'."""
    import xgboost as xgb

    visible = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")]
    has_gpu = any(d not in ("", "-1") for d in visible)
    return "cuda" if has_gpu and xgb.build_info().get("USE_CUDA") else "cpu"


def _build_xgboost(p: dict, task: str, seed: int) -> Any:
    return XGBoostModel(p, task, seed % (2**31))


def _grow_xgboost(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.grow(X, y)


def _build_mlp(p: dict, task: str, seed: int) -> Any:
    kwargs = dict(
        hidden_layer_sizes=tuple(p["hidden"]),
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        random_state=seed,
    )
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


def _forest_params() -> dict[str, Param]:
    return {
        "epochs": param(int_range(1, 1000), 8),
        "trees_per_epoch": param(int_range(1, 1000), 25),
        "max_depth": param(int_range(1, 100, nullable=True), None),
        "min_samples_leaf": param(int_range(1), 1),
        "max_features": param(max_features(), "sqrt"),
    }


# Every boosting template: rounds grown per epoch, and the shrinkage.
BOOSTING_ROUNDS = {
    "epochs": param(int_range(1, 1000), 8),
    "iters_per_epoch": param(int_range(1, 1000), 25),
    "learning_rate": param(float_range(0.0, 1.0, lo_open=True), 0.1),
}

TEMPLATES: list[Template] = [
    Template(
        "random_forest",
        ALL_TASKS,
        "tree",
        _forest_params(),
        _forest(RandomForestClassifier, RandomForestRegressor),
        _grow_forest,
    ),
    Template(
        "extra_trees",
        ALL_TASKS,
        "tree",
        _forest_params(),
        _forest(ExtraTreesClassifier, ExtraTreesRegressor),
        _grow_forest,
    ),
    Template(
        "hist_gradient_boosting",
        ALL_TASKS,
        "tree",
        {
            **BOOSTING_ROUNDS,
            "max_leaf_nodes": param(int_range(2, 4096), 31),
            "min_samples_leaf": param(int_range(1), 20),
            "l2_regularization": param(float_range(0.0), 0.0),
        },
        _build_hgb,
        _grow_hgb,
    ),
    Template(
        "lightgbm",
        ALL_TASKS,
        "tree",
        {
            **BOOSTING_ROUNDS,
            "num_leaves": param(int_range(2, 4096), 31),
            "min_child_samples": param(int_range(1), 20),
            "reg_lambda": param(float_range(0.0), 0.0),
            "colsample": param(float_range(0.0, 1.0, lo_open=True), 1.0),
            "subsample": param(float_range(0.0, 1.0, lo_open=True), 1.0),
        },
        _build_lightgbm,
        _grow_lightgbm,
    ),
    Template(
        "xgboost",
        ALL_TASKS,
        "tree",
        {
            **BOOSTING_ROUNDS,
            "max_depth": param(int_range(1, 20), 6),
            "min_child_weight": param(float_range(0.0), 1.0),
            "subsample": param(float_range(0.0, 1.0, lo_open=True), 1.0),
            "colsample_bytree": param(float_range(0.0, 1.0, lo_open=True), 1.0),
            "reg_lambda": param(float_range(0.0), 1.0),
        },
        _build_xgboost,
        _grow_xgboost,
    ),
    Template(
        "mlp",
        ALL_TASKS,
        "scaled",
        {
            "epochs": param(int_range(1, 1000), 30),
            "hidden": param(hidden_layers(), [64]),
            "alpha": param(float_range(0.0), 1e-4),
            "learning_rate_init": param(float_range(0.0, 1.0, lo_open=True), 1e-2),
        },
        _build_mlp,
        _mlp_pass,
    ),
    Template(
        "logistic_regression",
        CLASSIFICATION,
        "scaled",
        {"C": param(float_range(0.0, lo_open=True), 1.0)},
        _build_logistic,
        _fit_once,
    ),
    Template("ridge", REGRESSION, "scaled", {"alpha": param(float_range(0.0), 1.0)}, _build_ridge, _fit_once),
    Template(
        "knn",
        ALL_TASKS,
        "scaled",
        {"n_neighbors": param(int_range(1, 500), 15), "weights": param(choice("uniform", "distance"), "uniform")},
        _build_knn,
        _fit_once,
    ),
    # User code: solution.py defines make_model(task_type, seed) -> an estimator with fit(X, y) and
    # predict(X) (regression) or predict_proba(X) + classes_ (classification), on preprocessed features.
    Template(
        "custom",
        ALL_TASKS,
        "scaled",
        {"code": param(source_code(), None)},
        _build_custom,
        _fit_custom,
        setup=_load_solution,
    ),
]
