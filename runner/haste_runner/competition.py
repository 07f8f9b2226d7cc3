"""The competition folder format: competition.yaml plus train/test/answers CSVs.

competition.yaml's rules are the zod schema's (schemas/competition.ts), checked here through its JSON Schema
export (haste_runner.contracts); this module only fills the defaults that depend on the data.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import contracts
from .errors import CompetitionError, SolutionError
from .metrics import Metric, get_metric

CLASSIFICATION = ("binary", "multiclass")
# Forecasting column defaults (competition.yaml series_column / time_column; value_column defaults to target_column).
SERIES_COLUMN = "series_id"
TIME_COLUMN = "timestamp"
# Greyscale pixel columns of the built-in vision competitions (and the default pixel_pattern for 1 channel).
PIXEL_COLUMN = re.compile(r"^px_(\d+)_(\d+)$")

SPEC_FILE = "competition.yaml"
DESCRIPTION_FILE = "description.md"
TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
ANSWERS_FILE = "answers.csv"


class CompetitionSpecError(CompetitionError):
    """competition.yaml breaks the contract (schemas/competition.ts): a user fault, never retried."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(
            f"{file} is invalid: " + "; ".join(f"field {field or '(file)'}: {message}" for field, message in problems)
        )


@dataclass(frozen=True)
class Budget:
    compute_seconds: float
    max_steps: int


def _pixel_name(pattern: str, r: int, c: int, ch: int, i: int) -> str:
    # Plain substitution, not str.format: any other braces in a user's column names stay as they are.
    for key, value in (("{r}", r), ("{c}", c), ("{ch}", ch), ("{i}", i)):
        pattern = pattern.replace(key, str(value))
    return pattern


@dataclass(frozen=True)
class ImageSpec:
    """Images stored one per row as pixel columns; `columns` lists them in `layout` order."""

    height: int
    width: int
    channels: int
    layout: str  # "hwc": row, column, channel; "chw": one channel plane after another
    columns: tuple[str, ...]

    @classmethod
    def build(
        cls, height: int, width: int, channels: int = 1, layout: str = "hwc", pattern: str | None = None
    ) -> ImageSpec:
        if pattern is None:
            pattern = "px_{r}_{c}" if channels == 1 else "px_{r}_{c}_{ch}"
        elif channels > 1 and "{ch}" not in pattern and "{i}" not in pattern:
            pattern += "_{ch}"  # documented: several channels need a channel number somewhere
        if layout == "hwc":
            cells = [(r, c, ch) for r in range(height) for c in range(width) for ch in range(channels)]
        else:
            cells = [(r, c, ch) for ch in range(channels) for r in range(height) for c in range(width)]
        columns = tuple(_pixel_name(pattern, r, c, ch, i) for i, (r, c, ch) in enumerate(cells))
        return cls(height, width, channels, layout, columns)

    @classmethod
    def infer_square(cls, columns: list[str]) -> ImageSpec | None:
        """The built-in vision format: square greyscale px_<r>_<c> columns (used when competition.yaml has no image)."""
        cells = [tuple(int(g) for g in m.groups()) for m in map(PIXEL_COLUMN.match, columns) if m]
        if not cells:
            return None
        side = max(max(r, c) for r, c in cells) + 1
        if len(set(cells)) != side * side:
            return None
        return cls.build(side, side)


@dataclass(frozen=True)
class Competition:
    id: str
    title: str
    domain: str
    task_type: str
    target_column: str
    id_column: str
    metric_name: str
    direction: str
    budget: Budget
    source: str | None = None
    positive_label: Any = None
    target_score: float | None = None
    horizon: int | None = None  # forecasting: steps to forecast per series
    season_length: int | None = None  # forecasting: period of the seasonality (12 = monthly data), if any
    # Free-text feature columns (default ["text"] where train.csv has that column, as the built-in text sets do).
    text_columns: list[str] = field(default_factory=list)
    image: ImageSpec | None = None  # pixel columns (competition.yaml image, or square greyscale px_<r>_<c>)
    series_column: str = SERIES_COLUMN  # forecasting: long-format column names
    time_column: str = TIME_COLUMN
    value_column: str = "value"
    frequency: str | None = None  # forecasting: pandas offset alias, from competition.yaml or inferred

    @property
    def metric(self) -> Metric:
        return get_metric(self.metric_name)

    @property
    def is_classification(self) -> bool:
        return self.task_type in CLASSIFICATION

    @classmethod
    def from_dict(cls, raw: Any, columns: list[str] | None = None, file: str = SPEC_FILE) -> Competition:
        """Checks `raw` against the competition contract (raising CompetitionSpecError with every problem)
        and fills the defaults; `columns` (train.csv's header) lets text_columns and image default from the data."""
        found = contracts.problems("competition", raw)
        if found:
            raise CompetitionSpecError(file, found)
        task = raw["task_type"]
        text_columns = list(raw.get("text_columns") or [])
        if not text_columns and task != "forecasting" and columns is not None and "text" in columns:
            text_columns = ["text"]
        image = None
        if "image" in raw:
            im = raw["image"]
            image = ImageSpec.build(
                im["height"], im["width"], im.get("channels", 1), im.get("layout", "hwc"), im.get("pixel_pattern")
            )
        elif raw["domain"] == "vision" and columns is not None:
            image = ImageSpec.infer_square(columns)
        m = get_metric(raw["metric"]["name"])
        budget = raw["budget"]
        return cls(
            id=raw["id"],
            title=raw["title"],
            domain=raw["domain"],
            task_type=task,
            target_column=raw["target_column"],
            id_column=raw["id_column"],
            metric_name=m.name,
            direction=m.direction,
            budget=Budget(float(budget["compute_seconds"]), int(budget["max_steps"])),
            source=raw.get("source"),
            positive_label=raw.get("positive_label"),
            target_score=None if raw.get("target_score") is None else float(raw["target_score"]),
            horizon=raw.get("horizon"),
            season_length=raw.get("season_length"),
            text_columns=text_columns,
            image=image,
            series_column=raw.get("series_column", SERIES_COLUMN),
            time_column=raw.get("time_column", TIME_COLUMN),
            value_column=raw.get("value_column", raw["target_column"]),
            frequency=raw.get("frequency"),
        )

    @classmethod
    def load(cls, directory: Path) -> Competition:
        """competition.yaml of a folder; with train.csv present, data-dependent defaults are filled in
        (text_columns, image, and the forecasting frequency, inferred from the timestamps)."""
        path = directory / SPEC_FILE
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise CompetitionSpecError(str(path), [("", f"not valid YAML: {e}")]) from None
        train = directory / TRAIN_FILE
        columns = None
        if train.exists():
            # An unreadable train.csv is reported by whoever reads it.
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                columns = [str(c) for c in pd.read_csv(train, nrows=0).columns]
        comp = cls.from_dict(raw, columns, str(path))
        if (
            comp.task_type == "forecasting"
            and comp.frequency is None
            and columns is not None
            and {comp.series_column, comp.time_column} <= set(columns)
        ):
            frame = read_csv(train, usecols=[comp.series_column, comp.time_column])
            return replace(comp, frequency=infer_frequency(frame, comp))
        return comp

    def positive_class(self, labels: np.ndarray) -> Any:
        """The class whose probability a binary submission holds (default: larger sorted label)."""
        classes = np.unique(labels)
        if self.positive_label is None:
            return classes[-1]
        # Compare as text so `positive_label: 1` matches an int column and a string one alike.
        for c in classes:
            if str(c) == str(self.positive_label):
                return c
        raise ValueError(f"positive_label {self.positive_label!r} is not one of the labels {list(classes)}")


def parse_times(values: pd.Series) -> pd.Series:
    """Timestamps as sortable values: whole numbers (periods such as years) stay numbers, anything else is
    parsed as ISO 8601 (raising ValueError when it is not)."""
    if pd.api.types.is_integer_dtype(values):
        return values
    return pd.to_datetime(values.astype(str), format="ISO8601")


def order_series(frame: pd.DataFrame, comp: Competition) -> pd.DataFrame:
    """Rows sorted by series, then by time (parsed, so any ISO format and frequency sorts chronologically)."""
    key = "__haste_time__"
    try:
        times = parse_times(frame[comp.time_column])
    except (ValueError, TypeError) as e:  # the user's data: `haste competitions validate` names the rows
        reason = str(e).splitlines()[0]
        raise SolutionError(
            f"column {comp.time_column!r} holds a value that is neither an ISO 8601 timestamp nor a "
            f"whole number ({reason}); `haste competitions validate DIR` lists the rows"
        ) from None
    ordered = frame.assign(**{key: times})
    return ordered.sort_values([comp.series_column, key], kind="stable").drop(columns=key)


def infer_frequency(frame: pd.DataFrame, comp: Competition) -> str | None:
    """The pandas offset alias of the longest series' timestamps (None: whole-number periods, or irregular)."""
    if frame.empty or pd.api.types.is_integer_dtype(frame[comp.time_column]):
        return None
    try:
        times = parse_times(frame[comp.time_column])
    except (ValueError, TypeError):
        return None
    longest = frame[comp.series_column].astype(str).value_counts().index[0]
    stamps = pd.DatetimeIndex(times[frame[comp.series_column].astype(str) == longest]).sort_values()
    if len(stamps) < 3:
        return None
    with pd.option_context("future.infer_freq_returns_offset", True):  # the string form is deprecated
        offset = pd.infer_freq(stamps)
    return None if offset is None else offset.freqstr


def read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    # keep_default_na=False + explicit na_values: only empty cells are missing, so a
    # category literally called "NA" or "None" survives a round trip.
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
