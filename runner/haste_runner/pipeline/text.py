"""Text feature steps: word or character TF-IDF n-grams, one vectoriser per text column; numeric
columns of the same frame pass through next to them (docs/pipelines.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from ..errors import SolutionError
from .base import Context, Step, text_values


class Tfidf(Step):
    kind = "tfidf"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return [c for c in ctx.columns.text if c in frame.columns]

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        if not self.columns:
            raise SolutionError("feature step 'tfidf': the data has no text column (name one in `columns`)")
        lo, hi = self.spec["ngram_range"]
        if lo > hi:
            raise SolutionError(f"feature step 'tfidf': ngram_range [{lo}, {hi}] is empty")
        self.vectorisers = {}
        for c in self.columns:
            v = TfidfVectorizer(
                analyzer=self.spec["analyzer"],
                ngram_range=(lo, hi),
                min_df=self.spec["min_df"],
                max_features=self.spec["max_features"],
                sublinear_tf=self.spec["sublinear_tf"],
                dtype=np.float64,
            )
            try:
                v.fit(text_values(frame, c))
            except ValueError as e:  # "empty vocabulary", "no terms remain": the spec does not fit this text
                raise SolutionError(f"feature step 'tfidf' on column {c!r}: {e}") from None
            self.vectorisers[c] = v

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[sp.csr_matrix]]:
        return frame, [sp.csr_matrix(self.vectorisers[c].transform(text_values(frame, c))) for c in self.columns]


STEPS = [Tfidf]
