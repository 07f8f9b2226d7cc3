"""What every feature step shares.

A step reads the working frame (the competition's feature columns plus whatever earlier steps
added) and returns the next frame, plus sparse blocks for wide outputs (TF-IDF, k-mers). Encoders
never drop their inputs, so two steps may read the same column (one-hot and frequency of a
category; TF-IDF and length features of a text). The model sees the frame's numeric columns
followed by the sparse blocks; string columns no step turned into numbers are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import SolutionError
from .columns import DataColumns


@dataclass(frozen=True)
class Context:
    task: str  # binary | multiclass | regression
    classes: np.ndarray | None
    seed: int
    columns: DataColumns


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]


def string_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]


class Step:
    """fit on the fold's training rows, then apply to any rows."""

    kind = ""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.columns: list[str] = []

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        """The default columns when the spec names none."""
        raise NotImplementedError

    def _resolve_columns(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        named = self.spec.get("columns")
        if named is None:
            return self.select(frame, ctx)
        missing = [c for c in named if c not in frame.columns]
        if missing:
            raise SolutionError(f"feature step {self.kind!r}: no column {missing[0]!r} in the data")
        return list(named)

    def fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        self.columns = self._resolve_columns(frame, ctx)
        self._fit(frame, y, ctx)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        pass

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[sp.csr_matrix]]:
        raise NotImplementedError

    def fit_apply(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> tuple[pd.DataFrame, list[sp.csr_matrix]]:
        """The training rows' features; target encoding overrides this to encode them out-of-fold."""
        self.fit(frame, y, ctx)
        return self.apply(frame)


def add_columns(frame: pd.DataFrame, new: dict[str, np.ndarray]) -> pd.DataFrame:
    """Appends columns in one go (column-by-column inserts fragment a frame)."""
    if not new:
        return frame
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)


def text_values(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].fillna("").astype(str)
