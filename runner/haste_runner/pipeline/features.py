"""The ordered feature steps of a spec, turned into the model's input matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import SolutionError
from . import image, sequence, tabular, text
from .base import Context, Step, numeric_columns

ROW_STEPS: dict[str, type[Step]] = {s.kind: s for m in (tabular, text, sequence, image) for s in m.STEPS}
SERIES_STEPS = ("lags", "rolling", "calendar", "series_id")


class FeaturePipeline:
    def __init__(self, specs: list[dict[str, Any]]) -> None:
        for s in specs:
            if s["kind"] in SERIES_STEPS:
                raise SolutionError(f"feature step {s['kind']!r} is for forecasting competitions only")
        self.steps = [ROW_STEPS[s["kind"]](s) for s in specs]
        self.output: list[str] = []

    def fit_transform(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> Any:
        blocks: list[sp.csr_matrix] = []
        for step in self.steps:
            frame, new = step.fit_apply(frame, y, ctx)
            blocks += new
        self.output = numeric_columns(frame)
        if not self.output and not blocks:
            raise SolutionError("the feature steps leave no numeric feature (add an encoding step)")
        return self._matrix(frame, blocks)

    def transform(self, frame: pd.DataFrame) -> Any:
        blocks: list[sp.csr_matrix] = []
        for step in self.steps:
            frame, new = step.apply(frame)
            blocks += new
        return self._matrix(frame, blocks)

    def _matrix(self, frame: pd.DataFrame, blocks: list[sp.csr_matrix]) -> Any:
        dense = frame[self.output].to_numpy(dtype=float)
        if not blocks:
            return dense
        return sp.hstack([sp.csr_matrix(dense), *blocks], format="csr")
