"""Tabular feature steps: imputation with missing indicators, scaling, one-hot / ordinal / frequency
/ out-of-fold target encoding of categories, date-time parts and length features of text columns."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from .base import Context, Step, add_columns, numeric_columns, string_columns, text_values

MISSING = "__missing__"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def categorical_columns(frame: pd.DataFrame, ctx: Context) -> list[str]:
    """String columns that are categories: not free text, not dates, not fixed-length symbol sequences."""
    from .sequence import is_sequence  # sequences are their own domain

    return [
        c
        for c in string_columns(frame)
        if c not in ctx.columns.text and not is_date(frame[c]) and not is_sequence(frame[c])
    ]


def is_date(col: pd.Series) -> bool:
    values = col.dropna().astype(str)
    return len(values) > 0 and bool(values.head(200).str.match(DATE).all())


def categories(col: pd.Series) -> np.ndarray:
    return np.where(col.isna(), MISSING, col.astype(str)).astype(object)


class Impute(Step):
    kind = "impute"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return numeric_columns(frame)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        values = frame[self.columns].astype(float)
        strategy = self.spec["strategy"]
        if strategy == "zero":
            fill = pd.Series(0.0, index=self.columns)
        else:
            fill = values.median() if strategy == "median" else values.mean()
        self.fill = fill.fillna(0.0).to_dict()  # an all-missing column imputes to 0
        self.flagged = [c for c in self.columns if values[c].isna().any()] if self.spec["indicators"] else []

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        out = frame.copy()
        indicators = {f"{c}__missing": frame[c].isna().to_numpy(dtype=float) for c in self.flagged}
        for c in self.columns:
            out[c] = frame[c].astype(float).fillna(self.fill[c])
        return add_columns(out, indicators), []


class Scale(Step):
    kind = "scale"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return numeric_columns(frame)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        v = frame[self.columns].astype(float)
        method = self.spec["method"]
        if method == "standard":
            center, spread = v.mean(), v.std(ddof=0)
        elif method == "robust":
            center, spread = v.median(), v.quantile(0.75) - v.quantile(0.25)
        else:
            center, spread = v.min(), v.max() - v.min()
        self.center = center.fillna(0.0).to_dict()
        self.spread = spread.where(spread > 0, 1.0).fillna(1.0).to_dict()

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        out = frame.copy()
        for c in self.columns:
            out[c] = (frame[c].astype(float) - self.center[c]) / self.spread[c]
        return out, []


class OneHot(Step):
    kind = "one_hot"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        limit = self.spec["max_categories"]
        return [c for c in categorical_columns(frame, ctx) if frame[c].nunique(dropna=False) <= limit]

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        self.levels = {c: sorted(set(categories(frame[c]))) for c in self.columns}

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        new = {}
        for c in self.columns:
            values = categories(frame[c])
            for level in self.levels[c]:  # unseen levels: all zeros
                new[f"{c}__is_{level}"] = (values == level).astype(float)
        return add_columns(frame, new), []


class Ordinal(Step):
    kind = "ordinal"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return categorical_columns(frame, ctx)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        self.codes = {c: {v: float(i) for i, v in enumerate(sorted(set(categories(frame[c]))))} for c in self.columns}

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        new = {
            f"{c}__ord": pd.Series(categories(frame[c])).map(self.codes[c]).fillna(-1.0).to_numpy(dtype=float)
            for c in self.columns
        }
        return add_columns(frame, new), []


class Frequency(Step):
    kind = "frequency"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return categorical_columns(frame, ctx)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        self.freq = {c: pd.Series(categories(frame[c])).value_counts(normalize=True).to_dict() for c in self.columns}

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        new = {
            f"{c}__freq": pd.Series(categories(frame[c])).map(self.freq[c]).fillna(0.0).to_numpy(dtype=float)
            for c in self.columns
        }
        return add_columns(frame, new), []


class TargetEncoding(Step):
    """Smoothed mean of the target per category (per class for multiclass). The fold's own training
    rows are encoded out-of-fold on inner folds, so no row sees its own target; other rows use the
    encoding fitted on all training rows."""

    kind = "target_encoding"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        limit = self.spec["min_categories"]
        return [c for c in categorical_columns(frame, ctx) if frame[c].nunique(dropna=False) > limit]

    @staticmethod
    def _targets(y: np.ndarray, ctx: Context) -> np.ndarray:
        """One column per encoded quantity: the value, P(positive), or P(class) for all but the first class."""
        if ctx.classes is None:
            return np.asarray(y, dtype=float)[:, None]
        onehot = (np.asarray(y)[:, None] == ctx.classes[None, :]).astype(float)
        return onehot[:, 1:] if len(ctx.classes) > 2 else onehot[:, [1]]

    def _table(self, values: np.ndarray, t: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        smoothing = float(self.spec["smoothing"])
        prior = t.mean(axis=0)
        frame = pd.DataFrame(t, index=values)
        grouped = frame.groupby(level=0)
        sums, counts = grouped.sum(), grouped.size()
        enc = (sums.to_numpy() + smoothing * prior) / (counts.to_numpy()[:, None] + smoothing)
        return dict(zip(sums.index, enc, strict=True)), prior

    @staticmethod
    def _encode(values: np.ndarray, table: dict[str, np.ndarray], prior: np.ndarray) -> np.ndarray:
        return np.stack([table.get(v, prior) for v in values]) if len(values) else np.empty((0, len(prior)))

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        t = self._targets(y, ctx)
        self.tables = {c: self._table(categories(frame[c]), t) for c in self.columns}

    def _block(self, frame: pd.DataFrame, encode: Any) -> pd.DataFrame:
        new = {}
        for c in self.columns:
            enc = encode(c)
            for j in range(enc.shape[1]):
                new[f"{c}__te{j}"] = enc[:, j]
        return add_columns(frame, new)

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        return self._block(frame, lambda c: self._encode(categories(frame[c]), *self.tables[c])), []

    def fit_apply(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> tuple[pd.DataFrame, list]:
        self.fit(frame, y, ctx)
        t = self._targets(y, ctx)
        folds = int(self.spec["inner_folds"])
        kfold = StratifiedKFold if ctx.classes is not None else KFold
        splitter = kfold(folds, shuffle=True, random_state=ctx.seed % 2**32)
        oof = {c: np.zeros((len(frame), t.shape[1])) for c in self.columns}
        for inner_tr, inner_va in splitter.split(np.zeros(len(frame)), y if ctx.classes is not None else None):
            for c in self.columns:
                values = categories(frame[c])
                table, prior = self._table(values[inner_tr], t[inner_tr])
                oof[c][inner_va] = self._encode(values[inner_va], table, prior)
        return self._block(frame, lambda c: oof[c]), []


DATE_PARTS = {
    "year": lambda d: d.dt.year,
    "month": lambda d: d.dt.month,
    "day": lambda d: d.dt.day,
    "dayofweek": lambda d: d.dt.day_of_week,
    "dayofyear": lambda d: d.dt.day_of_year,
    "hour": lambda d: d.dt.hour,
    "minute": lambda d: d.dt.minute,
    "is_weekend": lambda d: (d.dt.day_of_week >= 5).astype(float),
}


class DateTime(Step):
    kind = "datetime"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return [c for c in string_columns(frame) if is_date(frame[c])]

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        new = {}
        for c in self.columns:
            dates = pd.to_datetime(frame[c], errors="coerce", format="ISO8601")
            for part in self.spec["parts"]:
                new[f"{c}__{part}"] = DATE_PARTS[part](dates).astype(float).to_numpy()
        return add_columns(frame, new), []


class TextStats(Step):
    """Length features of text columns: characters, words, digit / upper-case / punctuation shares."""

    kind = "text_stats"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return [c for c in ctx.columns.text if c in frame.columns]

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        new = {}
        for c in self.columns:
            s = text_values(frame, c)
            chars = s.str.len().to_numpy(dtype=float)
            safe = np.maximum(chars, 1.0)
            new[f"{c}__chars"] = chars
            new[f"{c}__words"] = s.str.split().str.len().fillna(0).to_numpy(dtype=float)
            new[f"{c}__digits"] = s.str.count(r"\d").to_numpy(dtype=float) / safe
            new[f"{c}__upper"] = s.str.count(r"[A-Z]").to_numpy(dtype=float) / safe
            new[f"{c}__punct"] = s.str.count(r"[^\w\s]").to_numpy(dtype=float) / safe
        return add_columns(frame, new), []


STEPS = [Impute, Scale, OneHot, Ordinal, Frequency, TargetEncoding, DateTime, TextStats]
