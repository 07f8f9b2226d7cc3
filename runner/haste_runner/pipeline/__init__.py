"""The `pipeline` template: a solution written as a pipeline spec (schemas/pipeline.ts,
docs/pipelines.md) instead of a fixed template, executed by the ordinary CV / checkpoint machinery.

Modules: `spec` (validation, defaults), `columns` (which columns are text / pixels / series keys),
feature steps per domain (`tabular`, `text`, `sequence`, `image`, `timeseries`), `features` (steps ->
matrix), `target`, `model` (a template grown per epoch with early stopping), `ensemble` and
`artifacts` (out-of-fold predictions every step leaves behind).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..competition import Competition
from ..errors import SolutionError
from ..templates.base import ALL_TASKS, FORECASTING, Template
from .model import PipelineModel, resolve_model
from .spec import parse
from .timeseries import STATISTICAL, GlobalForecaster


def _train_epoch(model: Any, X: Any, y: Any, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    if isinstance(model, PipelineModel):
        model.train_epoch(X, y, epoch, classes)
    elif isinstance(model, GlobalForecaster):
        model.train_epoch(X, epoch)
    # statistical forecasters fit each series when they forecast it


def _build(p: dict, task: str, seed: int) -> Any:
    raise AssertionError("pipeline models are built by PipelineCV / PipelineForecastCV")


@dataclass(frozen=True)
class PipelineTemplate(Template):
    def resolve(self, raw: dict[str, Any]) -> dict[str, Any]:
        spec = parse(raw)
        if "model" in spec and spec["model"]["template"] not in STATISTICAL:
            resolve_model(spec["model"])  # the template's own param rules, named in the error
        return spec

    def epochs(self, params: dict[str, Any]) -> int:
        if "model" not in params or params["model"]["template"] in STATISTICAL:
            return 1
        _, resolved = resolve_model(params["model"])
        return int(resolved.get("epochs", 1))

    def validation(self, comp: Competition, params: dict[str, Any], artifacts: dict[str, Path]) -> Any:
        from .ensemble import EnsembleValidation
        from .validation import PipelineCV, PipelineForecastCV

        if "ensemble" in params:
            return lambda comp, template, params, seed, folds, train, test, states: EnsembleValidation(
                comp, params, artifacts, states)
        if comp.task_type == "forecasting":
            return PipelineForecastCV
        if params["model"]["template"] in STATISTICAL:
            raise SolutionError(f"model {params['model']['template']!r} forecasts series; this task is {comp.task_type}")
        return PipelineCV


TEMPLATE = PipelineTemplate("pipeline", ALL_TASKS + FORECASTING, "none", {}, _build, _train_epoch)
