"""The `pipeline` template: its params are a pipeline spec (schemas/pipeline.ts, docs/pipelines.md), executed
by runner/haste_runner/pipeline/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..competition import Competition
from ..errors import SolutionError
from .base import ALL_TASKS, FORECASTING, Template

# The pipeline package (runner/haste_runner/pipeline/) is imported inside the functions: it imports
# the template catalogue, which holds this template.
STATISTICAL = ("seasonal_naive", "drift", "ets", "theta")


def _train_epoch(model: Any, X: Any, y: Any, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    from ..pipeline.model import PipelineModel
    from ..pipeline.timeseries import GlobalForecaster

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
        from ..pipeline.model import resolve_model
        from ..pipeline.spec import parse

        spec = parse(raw)
        if "model" in spec and spec["model"]["template"] not in STATISTICAL:
            resolve_model(spec["model"])  # the template's own param rules, named in the error
        return spec

    def epochs(self, params: dict[str, Any]) -> int:
        if "model" not in params or params["model"]["template"] in STATISTICAL:
            return 1
        from ..pipeline.model import resolve_model

        _, resolved = resolve_model(params["model"])
        return int(resolved.get("epochs", 1))

    def validation(self, comp: Competition, params: dict[str, Any], artifacts: dict[str, Path]) -> Any:
        from ..pipeline.ensemble import EnsembleValidation
        from ..pipeline.validation import PipelineCV, PipelineForecastCV

        if "ensemble" in params:
            # Blending stored predictions takes moments: no deadline planning, one epoch.
            return lambda comp, template, params, seed, folds, train, test, states, start=0, deadline=None: (
                EnsembleValidation(comp, params, artifacts, states)
            )
        if comp.task_type == "forecasting":
            return PipelineForecastCV
        if params["model"]["template"] in STATISTICAL:
            raise SolutionError(
                f"model {params['model']['template']!r} forecasts series; this task is {comp.task_type}"
            )
        return PipelineCV


TEMPLATES: list[Template] = [PipelineTemplate("pipeline", ALL_TASKS + FORECASTING, "none", {}, _build, _train_epoch)]
