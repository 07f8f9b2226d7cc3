"""Per-fold feature preprocessing (always fitted on the fold's training part only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

# tree: median impute + ordinal codes (trees split on codes fine, no scaling needed).
# scaled: median impute + standard scaling + one-hot, for linear models, MLPs and k-NN.
Preprocessing = Literal["tree", "scaled"]

# Missing categories become their own level instead of being imputed away.
MISSING_CATEGORY = "__missing__"


@dataclass(frozen=True)
class FeatureSchema:
    numeric: list[str]
    categorical: list[str]

    @classmethod
    def infer(cls, frame: pd.DataFrame) -> FeatureSchema:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        categorical = [c for c in frame.columns if c not in numeric]
        return cls(numeric, categorical)

    def clean(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Plain float64 / object columns: sklearn encoders are happiest with those."""
        missing = [c for c in self.numeric + self.categorical if c not in frame.columns]
        if missing:
            raise ValueError(f"feature columns missing from the data: {missing}")
        # Built in one go: column-by-column inserts fragment the frame (slow on 784 pixel columns).
        columns: dict[str, object] = {c: frame[c].astype("float64") for c in self.numeric}
        for c in self.categorical:
            col = frame[c]
            columns[c] = np.where(col.isna(), MISSING_CATEGORY, col.astype(str)).astype(object)
        return pd.DataFrame(columns, index=frame.index)


def build_preprocessor(schema: FeatureSchema, kind: Preprocessing) -> ColumnTransformer:
    numeric_steps: list[tuple[str, object]] = [("impute", SimpleImputer(strategy="median"))]
    if kind == "scaled":
        numeric_steps.append(("scale", StandardScaler()))
        encoder: object = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    else:
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return ColumnTransformer(
        [("numeric", Pipeline(numeric_steps), schema.numeric), ("categorical", encoder, schema.categorical)],
        sparse_threshold=0.0,
    )
