"""Which columns of a competition's data are text, image pixels or series keys.

The ONE adapter between the pipeline steps and the competition format: the Competition dataclass is
gaining `text_columns`, `image` (height, width, channels, layout, pixel columns), `series_column` /
`time_column` / `value_column` and `frequency`; until then today's conventions fill in (string
columns of a text competition, `px_<row>_<col>` greyscale square images, `series_id` / `timestamp` /
the target column). Once those fields exist everywhere this reduces to reading them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..competition import SERIES_COLUMN, TIME_COLUMN, Competition

PIXEL = re.compile(r"^px_(\d+)_(\d+)$")
# A string column is free text (rather than a category) when its values average this many words.
TEXT_MIN_WORDS = 3.0


@dataclass(frozen=True)
class ImageLayout:
    height: int
    width: int
    channels: int
    layout: str  # "hwc": channels interleaved per pixel; "chw": one plane after another
    columns: tuple[str, ...]


@dataclass(frozen=True)
class DataColumns:
    text: tuple[str, ...]
    image: ImageLayout | None
    series: str
    time: str
    value: str
    frequency: str | None


def _is_text(col: pd.Series) -> bool:
    values = col.dropna().astype(str)
    return len(values) > 0 and float(values.str.split().str.len().mean()) >= TEXT_MIN_WORDS


def data_columns(comp: Competition, features: pd.DataFrame) -> DataColumns:
    """`features`: the training frame without id and target columns."""
    strings = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    text = getattr(comp, "text_columns", None)
    if text is None:
        text = strings if comp.domain == "text" else [c for c in strings if _is_text(features[c])]
    image = getattr(comp, "image", None)
    if image is not None:
        pixel_columns = getattr(image, "pixel_columns", None) or getattr(image, "columns", None)
        layout = ImageLayout(int(image.height), int(image.width), int(image.channels),
                             str(getattr(image, "layout", "hwc")), tuple(pixel_columns))
    else:
        layout = None
        pixels = [(int(m.group(1)), int(m.group(2)), c) for c in features.columns if (m := PIXEL.match(c))]
        if pixels:
            height, width = max(p[0] for p in pixels) + 1, max(p[1] for p in pixels) + 1
            if height * width == len(pixels):
                layout = ImageLayout(height, width, 1, "hwc", tuple(c for *_, c in sorted(pixels)))
    return DataColumns(
        text=tuple(text), image=layout,
        series=getattr(comp, "series_column", None) or SERIES_COLUMN,
        time=getattr(comp, "time_column", None) or TIME_COLUMN,
        value=getattr(comp, "value_column", None) or comp.target_column,
        frequency=getattr(comp, "frequency", None),
    )
