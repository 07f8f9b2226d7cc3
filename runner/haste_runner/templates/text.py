"""Text templates: TF-IDF word or character n-grams (fitted per fold) with linear models or naive Bayes.

Every text column (competition.yaml text_columns) gets its own TF-IDF vectoriser; numeric columns join
scaled to [0, 1] (non-negative, as naive Bayes needs) and categorical ones one-hot. Features stay sparse
end to end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

from ..errors import SolutionError
from ..preprocess import FeatureSchema
from .base import CLASSIFICATION, Param, Template, choice, float_range, int_range, param


def _tfidf_params() -> dict[str, Param]:
    return {
        "analyzer": param(choice("word", "char_wb"), "word"),
        "ngram_max": param(int_range(1, 5), 2),
        "min_df": param(int_range(1, 100), 2),
        "max_features": param(int_range(1000, 2_000_000, nullable=True), 200_000),
        "sublinear_tf": param(choice(True, False), True),
    }


def _make_tfidf(schema: FeatureSchema, p: dict) -> ColumnTransformer:
    if not schema.text:
        raise SolutionError(
            "text templates need free-text columns: list them in competition.yaml text_columns "
            "(a column named text is used by default)"
        )
    # char_wb n-grams start at 2 characters (single letters carry little), words at unigrams.
    ngram_min = 2 if p["analyzer"] == "char_wb" else 1
    vectorisers = [
        (
            f"tfidf_{c}",
            TfidfVectorizer(
                analyzer=p["analyzer"],
                ngram_range=(ngram_min, max(ngram_min, p["ngram_max"])),
                min_df=p["min_df"],
                max_features=p["max_features"],
                sublinear_tf=p["sublinear_tf"],
                lowercase=True,
                dtype=np.float64,
            ),
            c,
        )
        for c in schema.text
    ]
    if schema.numeric:
        numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", MinMaxScaler(clip=True))])
        vectorisers.append(("numeric", numeric, schema.numeric))
    if schema.categorical:
        vectorisers.append(("categorical", OneHotEncoder(handle_unknown="ignore"), schema.categorical))
    return ColumnTransformer(vectorisers, remainder="drop", sparse_threshold=1.0)


def _build_logistic(p: dict, task: str, seed: int) -> Any:
    return LogisticRegression(C=p["C"], max_iter=1000, random_state=seed)


def _build_nb(p: dict, task: str, seed: int) -> Any:
    return ComplementNB(alpha=p["alpha"])


def _build_sgd(p: dict, task: str, seed: int) -> Any:
    return SGDClassifier(loss="modified_huber", alpha=p["alpha"], random_state=seed)


def _fit_once(model: Any, X: Any, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.fit(X, y)


def _sgd_pass(model: Any, X: Any, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    # One shuffled pass per epoch; the permutation depends only on (model seed, epoch), so resuming
    # from a checkpoint replays exactly the same passes.
    order = np.random.RandomState([model.random_state % (2**32), epoch]).permutation(X.shape[0])
    model.partial_fit(X[order], y[order], classes=classes)


TEMPLATES: list[Template] = [
    Template(
        "tfidf_logistic",
        CLASSIFICATION,
        "text",
        {**_tfidf_params(), "C": param(float_range(0.0, lo_open=True), 10.0)},
        _build_logistic,
        _fit_once,
        make_preprocessor=_make_tfidf,
    ),
    Template(
        "tfidf_nb",
        CLASSIFICATION,
        "text",
        {**_tfidf_params(), "alpha": param(float_range(0.0, lo_open=True), 0.3)},
        _build_nb,
        _fit_once,
        make_preprocessor=_make_tfidf,
    ),
    Template(
        "tfidf_sgd",
        CLASSIFICATION,
        "text",
        {
            **_tfidf_params(),
            "epochs": param(int_range(1, 200), 10),
            "alpha": param(float_range(0.0, lo_open=True), 1e-5),
        },
        _build_sgd,
        _sgd_pass,
        make_preprocessor=_make_tfidf,
    ),
]
