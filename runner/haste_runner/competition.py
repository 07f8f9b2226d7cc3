"""The competition folder format: competition.yaml plus train/test/answers CSVs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .metrics import Metric, get_metric

DOMAINS = ("tabular", "vision", "text", "time-series")
TASK_TYPES = ("binary", "multiclass", "regression", "forecasting")
CLASSIFICATION = ("binary", "multiclass")
REQUIRED_KEYS = {
    "id", "title", "domain", "task_type", "target_column", "id_column", "metric", "budget", "source",
}
OPTIONAL_KEYS = {"positive_label", "target_score", "horizon", "season_length", "description"}
# Forecasting files: train.csv (id, series_id, timestamp, value), test.csv (id, series_id, timestamp).
SERIES_COLUMN = "series_id"
TIME_COLUMN = "timestamp"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

SPEC_FILE = "competition.yaml"
DESCRIPTION_FILE = "description.md"
TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
ANSWERS_FILE = "answers.csv"


@dataclass(frozen=True)
class Budget:
    compute_seconds: float
    max_steps: int


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
    source: str
    positive_label: Any = None
    target_score: float | None = None
    horizon: int | None = None  # forecasting: steps to forecast per series
    season_length: int | None = None  # forecasting: period of the seasonality (12 = monthly data), if any

    @property
    def metric(self) -> Metric:
        return get_metric(self.metric_name)

    @property
    def is_classification(self) -> bool:
        return self.task_type in CLASSIFICATION

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Competition:
        if not isinstance(raw, dict):
            raise ValueError("competition.yaml must be a mapping")
        missing = REQUIRED_KEYS - raw.keys()
        unknown = raw.keys() - REQUIRED_KEYS - OPTIONAL_KEYS
        if missing:
            raise ValueError(f"competition.yaml is missing keys: {sorted(missing)}")
        if unknown:
            raise ValueError(f"competition.yaml has unknown keys: {sorted(unknown)}")
        if not SLUG.match(str(raw["id"])):
            raise ValueError(f"id {raw['id']!r} is not a lowercase slug")
        if raw["domain"] not in DOMAINS:
            raise ValueError(f"domain must be one of {DOMAINS}")
        if raw["task_type"] not in TASK_TYPES:
            raise ValueError(f"task_type must be one of {TASK_TYPES}")
        metric = raw["metric"]
        m = get_metric(metric["name"])
        if metric.get("direction") != m.direction:
            raise ValueError(f"metric {m.name} has direction {m.direction}, not {metric.get('direction')!r}")
        if m.kind == "probability" and raw["task_type"] != "binary":
            raise ValueError(f"metric {m.name} is only supported for binary tasks")
        if m.kind == "label" and raw["task_type"] not in CLASSIFICATION:
            raise ValueError(f"metric {m.name} needs a classification task")
        if m.kind == "value" and raw["task_type"] in CLASSIFICATION:
            raise ValueError(f"metric {m.name} needs a regression or forecasting task")
        if "positive_label" in raw and raw["task_type"] != "binary":
            raise ValueError("positive_label is only allowed for binary tasks")
        for key in ("horizon", "season_length"):
            v = raw.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValueError(f"{key} must be a positive integer, got {v!r}")
        if raw["task_type"] == "forecasting" and raw.get("horizon") is None:
            raise ValueError("forecasting competitions need a horizon (steps to forecast per series)")
        budget = raw["budget"]
        return cls(
            id=raw["id"],
            title=str(raw["title"]),
            domain=raw["domain"],
            task_type=raw["task_type"],
            target_column=str(raw["target_column"]),
            id_column=str(raw["id_column"]),
            metric_name=m.name,
            direction=m.direction,
            budget=Budget(float(budget["compute_seconds"]), int(budget["max_steps"])),
            source=str(raw["source"]),
            positive_label=raw.get("positive_label"),
            target_score=None if raw.get("target_score") is None else float(raw["target_score"]),
            horizon=raw.get("horizon"),
            season_length=raw.get("season_length"),
        )

    @classmethod
    def load(cls, directory: Path) -> Competition:
        with open(directory / SPEC_FILE, encoding="utf-8") as f:
            return cls.from_dict(yaml.safe_load(f))

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


def read_csv(path: Path) -> pd.DataFrame:
    # keep_default_na=False + explicit na_values: only empty cells are missing, so a
    # category literally called "NA" or "None" survives a round trip.
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
