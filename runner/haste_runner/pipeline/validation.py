"""The pipeline's validation classes: today's CV and rolling-origin validation with the pipeline's
per-fold models. Imported lazily (cv.py imports the template catalogue, which holds the pipeline)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..competition import Competition, order_series
from ..cv import CrossValidation, Deadline, FoldState, fold_seed
from ..errors import SolutionError
from ..forecast_cv import ForecastValidation
from ..templates.base import Template
from ..templates.pipeline import STATISTICAL
from .columns import data_columns
from .model import PipelineModel
from .timeseries import GlobalForecaster, StatisticalForecaster, Timeline, detect_season


class Passthrough:
    """The CV's per-fold preprocessor: the pipeline's own steps need the target, so they run in the model."""

    def fit(self, frame: pd.DataFrame) -> Passthrough:
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame


class PipelineCV(CrossValidation):
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
        self.data_columns = data_columns(comp, train.drop(columns=[comp.id_column, comp.target_column]))
        super().__init__(comp, template, params, seed, n_folds, train, test, states, start_epoch, deadline)

    def _new_fold(self, train_idx: np.ndarray, seed: int, fold: int) -> FoldState:
        return FoldState(
            Passthrough(),
            PipelineModel(
                self.params, self.comp.task_type, self.comp.metric_name, self.data_columns, fold_seed(seed, fold)
            ),
        )


class PipelineForecastCV(ForecastValidation):
    def __init__(
        self,
        comp: Competition,
        template: Template,
        params: dict[str, Any],
        seed: int,
        n_folds: int,
        train: pd.DataFrame,
        test: pd.DataFrame,
        states: list[Any] | None = None,
        start_epoch: int = 0,
        deadline: Deadline | None = None,
    ) -> None:
        ordered = order_series(train, comp)
        self.timelines = [
            Timeline(g[comp.time_column].to_numpy())
            for _, g in ordered.groupby(ordered[comp.series_column].astype(str), sort=False)
        ]
        super().__init__(comp, template, params, seed, n_folds, train, test, states, start_epoch, deadline)

    def _new_model(self, seed: int, fold: int) -> Any:
        spec = self.params
        if spec["model"]["template"] in STATISTICAL:
            if spec["features"]:
                raise SolutionError(
                    f"model {spec['model']['template']!r} is fitted per series and takes no feature steps"
                )
            # Detected once over every series: the validation then forecasts them one at a time.
            model: Any = StatisticalForecaster(spec, self.comp.season_length or detect_season(self.histories))
            model.series_count = len(self.histories)
        else:
            model = GlobalForecaster(spec, fold_seed(seed, fold), self.timelines)
        model.season_length = self.season_length
        model.horizon = self.horizon
        model.metric_name = self.comp.metric_name
        return model

    @property
    def report(self) -> dict[str, Any]:
        """For artifact.json: what the statistical model did (season used, cost estimate, history kept)."""
        plan = getattr(self.states[0], "plan", None)
        return {"forecast": plan} if plan else {}
