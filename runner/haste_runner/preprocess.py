"""Per-fold feature preprocessing (always fitted on the fold's training part only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

if TYPE_CHECKING:
    from .competition import ImageSpec

# tree: median impute + ordinal codes (trees split on codes fine, no scaling needed).
# scaled: median impute + standard scaling + one-hot, for linear models, MLPs and k-NN.
Preprocessing = Literal["tree", "scaled"]

# Missing categories become their own level instead of being imputed away.
MISSING_CATEGORY = "__missing__"


@dataclass(frozen=True)
class FeatureSchema:
    numeric: list[str]
    categorical: list[str]
    # Free-text columns (competition.yaml text_columns): TF-IDF in the text templates, length and word
    # counts in the others.
    text: list[str] = field(default_factory=list)
    # Pixel columns and the image shape (competition.yaml image): the CNN reshapes them; other templates
    # see the pixels as numeric columns.
    image: ImageSpec | None = None

    @classmethod
    def infer(
        cls, frame: pd.DataFrame, text: list[str] | tuple[str, ...] = (), image: ImageSpec | None = None
    ) -> FeatureSchema:
        text = [c for c in text if c in frame.columns]
        rest = [c for c in frame.columns if c not in text]
        numeric = [c for c in rest if pd.api.types.is_numeric_dtype(frame[c])]
        categorical = [c for c in rest if c not in numeric]
        return cls(numeric, categorical, text, image)

    def clean(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Plain float64 / object columns: sklearn encoders are happiest with those."""
        missing = [c for c in self.numeric + self.categorical + self.text if c not in frame.columns]
        if missing:
            raise ValueError(f"feature columns missing from the data: {missing}")
        # Built in one go: column-by-column inserts fragment the frame (slow on 784 pixel columns).
        columns: dict[str, object] = {c: frame[c].astype("float64") for c in self.numeric}
        for c in self.categorical:
            col = frame[c]
            columns[c] = np.where(col.isna(), MISSING_CATEGORY, col.astype(str)).astype(object)
        for c in self.text:
            col = frame[c]
            columns[c] = np.where(col.isna(), "", col.astype(str)).astype(object)
        return pd.DataFrame(columns, index=frame.index)


def text_statistics(texts: pd.DataFrame) -> np.ndarray:
    """Per text column: log1p of the character count and of the word count (what row models can use of free text)."""
    values = np.asarray(texts, dtype=object)
    chars = np.vectorize(len, otypes=[float])(values)
    words = np.vectorize(lambda t: len(t.split()), otypes=[float])(values)
    return np.log1p(np.concatenate([chars, words], axis=1))


def build_preprocessor(schema: FeatureSchema, kind: Preprocessing) -> ColumnTransformer:
    numeric_steps: list[tuple[str, object]] = [("impute", SimpleImputer(strategy="median"))]
    if kind == "scaled":
        numeric_steps.append(("scale", StandardScaler()))
        encoder: object = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    else:
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    parts: list[tuple[str, object, list[str]]] = [
        ("numeric", Pipeline(numeric_steps), schema.numeric),
        ("categorical", encoder, schema.categorical),
    ]
    if schema.text:
        stats: list[tuple[str, object]] = [("stats", FunctionTransformer(text_statistics))]
        if kind == "scaled":
            stats.append(("scale", StandardScaler()))
        parts.append(("text", Pipeline(stats), schema.text))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def image_tensor(pixels: np.ndarray, height: int, width: int, channels: int, layout: str) -> np.ndarray:
    """(n, pixels in layout order) -> (n, channels, height, width) float32, the CNN's input."""
    n = pixels.shape[0]
    if layout == "hwc":
        out = pixels.reshape(n, height, width, channels).transpose(0, 3, 1, 2)
    else:
        out = pixels.reshape(n, channels, height, width)
    return np.ascontiguousarray(out, dtype=np.float32)


def build_image_preprocessor(schema: FeatureSchema) -> Pipeline:
    """The image's pixel columns in layout order, median-imputed and standardised per pixel, as (n, C, H, W)."""
    image = schema.image
    if image is None:
        raise ValueError("no image shape")
    pixels = ColumnTransformer(
        [
            (
                "pixels",
                Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                list(image.columns),
            )
        ],
        sparse_threshold=0.0,
    )
    shape = FunctionTransformer(
        image_tensor,
        kw_args={"height": image.height, "width": image.width, "channels": image.channels, "layout": image.layout},
    )
    return Pipeline([("pixels", pixels), ("shape", shape)])
