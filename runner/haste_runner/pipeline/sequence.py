"""Symbol-sequence feature steps for fixed-length strings (DNA, protein windows, codes): a 0/1
column per (position, symbol), and k-mer counts. Position-wise encoding lets a tree model find
"symbol X at position 17", which bag-of-n-gram TF-IDF cannot express."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import SolutionError
from .base import Context, Step, string_columns, text_values

# A fixed-length string column is a symbol sequence when it is this long and its alphabet this small.
MIN_LENGTH = 5
MAX_ALPHABET = 64


def is_sequence(col: pd.Series) -> bool:
    values = col.dropna().astype(str).head(500)
    if len(values) == 0:
        return False
    lengths = values.str.len()
    if lengths.min() != lengths.max() or lengths.iloc[0] < MIN_LENGTH or values.str.contains(" ").any():
        return False
    return len(set("".join(values))) <= MAX_ALPHABET


def _sequence_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in string_columns(frame) if is_sequence(frame[c])]


class Positional(Step):
    kind = "positional"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return _sequence_columns(frame)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        if not self.columns:
            raise SolutionError("feature step 'positional': the data has no fixed-length symbol column")
        self.alphabet, self.length = {}, {}
        for c in self.columns:
            s = text_values(frame, c)
            self.length[c] = int(s.str.len().max())
            self.alphabet[c] = {ch: i for i, ch in enumerate(sorted(set("".join(s))))}

    def _encode(self, s: pd.Series, c: str) -> sp.csr_matrix:
        alphabet, length = self.alphabet[c], self.length[c]
        rows, cols = [], []
        for r, text in enumerate(s):
            for pos, ch in enumerate(text[:length]):
                j = alphabet.get(ch)
                if j is not None:  # unseen symbols: all zeros at that position
                    rows.append(r)
                    cols.append(pos * len(alphabet) + j)
        data = np.ones(len(rows))
        return sp.csr_matrix((data, (rows, cols)), shape=(len(s), length * len(alphabet)))

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[sp.csr_matrix]]:
        return frame, [self._encode(text_values(frame, c), c) for c in self.columns]


class Kmer(Step):
    kind = "kmer"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return _sequence_columns(frame)

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        if not self.columns:
            raise SolutionError("feature step 'kmer': the data has no fixed-length symbol column")
        self.vocab = {}
        for c in self.columns:
            seen: set[str] = set()
            for text in text_values(frame, c):
                seen.update(self._kmers(text))
            self.vocab[c] = {k: i for i, k in enumerate(sorted(seen))}

    def _kmers(self, text: str) -> list[str]:
        return [text[i : i + k] for k in self.spec["k"] for i in range(len(text) - k + 1)]

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[sp.csr_matrix]]:
        blocks = []
        for c in self.columns:
            vocab = self.vocab[c]
            rows, cols, data = [], [], []
            for r, text in enumerate(text_values(frame, c)):
                for kmer, n in Counter(self._kmers(text)).items():
                    if kmer in vocab:
                        rows.append(r)
                        cols.append(vocab[kmer])
                        data.append(float(n))
            blocks.append(sp.csr_matrix((data, (rows, cols)), shape=(len(frame), len(vocab))))
        return frame, blocks


STEPS = [Positional, Kmer]
