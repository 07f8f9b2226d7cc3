"""Template building blocks: parameter validators and the Template record.

Every template trains incrementally so a run can be checkpointed after any epoch and resumed
with a bit-identical outcome: warm_start models grow by a fixed amount per epoch, MLPs take
one partial_fit pass, and single-shot models have exactly one epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SolutionError
from ..preprocess import FeatureSchema, Preprocessing, build_preprocessor

CLASSIFICATION = ("binary", "multiclass")
REGRESSION = ("regression",)
ALL_TASKS = CLASSIFICATION + REGRESSION
FORECASTING = ("forecasting",)

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


def choice(*options: Any) -> tuple[str, Validator]:
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
        ok = (
            isinstance(v, list)
            and 1 <= len(v) <= 4
            and all(isinstance(u, int) and not isinstance(u, bool) and 1 <= u <= 1024 for u in v)
        )
        if not ok:
            raise ValueError(f"expected {desc}, got {v!r}")
        return list(v)

    return desc, check


def subset(*options: str) -> tuple[str, Validator]:
    desc = f"non-empty list of distinct names from {', '.join(repr(o) for o in options)}"

    def check(v: Any) -> Any:
        ok = (
            isinstance(v, list)
            and len(v) >= 1
            and len(set(v)) == len(v)
            and all(isinstance(x, str) and x in options for x in v)
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


# ---- registry -------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    name: str
    task_types: tuple[str, ...]
    preprocessing: Preprocessing | str
    params: dict[str, Param]
    build: Callable[[dict, str, int], Any]  # (params, task_type, seed) -> unfitted model
    # Trains one epoch in place: (model, X, y, epoch (1-based), params, classes or None).
    train_epoch: Callable[[Any, np.ndarray, np.ndarray, int, dict, np.ndarray | None], None]
    # Runs once per process after the params are resolved, before any checkpoint is loaded.
    setup: Callable[[dict], None] | None = None
    # Builds the per-fold feature transformer from the params (text templates: TF-IDF settings);
    # default: the shared `preprocessing` kind.
    make_preprocessor: Callable[[FeatureSchema, dict], Any] | None = None
    # False when an optional dependency is missing on this host (e.g. torch for `cnn`).
    available: Callable[[], bool] | None = None

    def preprocessor(self, schema: FeatureSchema, params: dict[str, Any]) -> Any:
        if self.make_preprocessor is not None:
            return self.make_preprocessor(schema, params)
        return build_preprocessor(schema, self.preprocessing)

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

    def validation(self, comp: Any, params: dict[str, Any], artifacts: dict[str, Any]) -> Any:
        """The validation class to train with (CrossValidation's signature); None: the task type's default.
        `artifacts`: the job's read-only earlier step workdirs by label."""
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "taskTypes": list(self.task_types),
            "params": {k: p.description for k, p in self.params.items()},
            "defaults": {k: p.default for k, p in self.params.items()},
            "available": True if self.available is None else self.available(),
        }
