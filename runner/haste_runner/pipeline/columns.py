"""Which columns of a competition's data are text, image pixels or series keys, for the pipeline steps.

The competition states them (competition.yaml `text_columns`, `image`, `series_column` / `time_column` /
`value_column`, `frequency`; see competition.py); a table that declares no text columns still gets its
free-text string columns (values averaging at least TEXT_MIN_WORDS words) treated as text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..competition import Competition, ImageSpec

# A string column is free text (rather than a category) when its values average this many words.
TEXT_MIN_WORDS = 3.0


@dataclass(frozen=True)
class DataColumns:
    text: tuple[str, ...]
    image: ImageSpec | None
    series: str
    time: str
    value: str
    frequency: str | None


def _is_text(col: pd.Series) -> bool:
    values = col.dropna().astype(str)
    return len(values) > 0 and float(values.str.split().str.len().mean()) >= TEXT_MIN_WORDS


def data_columns(comp: Competition, features: pd.DataFrame) -> DataColumns:
    """`features`: the training frame without id and target columns."""
    text = list(comp.text_columns)
    if not text:
        strings = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
        text = strings if comp.domain == "text" else [c for c in strings if _is_text(features[c])]
    return DataColumns(
        text=tuple(text),
        image=comp.image,
        series=comp.series_column,
        time=comp.time_column,
        value=comp.value_column,
        frequency=comp.frequency,
    )
