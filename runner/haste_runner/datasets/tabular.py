"""Tabular built-ins: sklearn `load_*` sets, bundled OpenML ARFFs and statsmodels data sets.

Each builder returns a DataFrame of features plus a `target` column, in source order.
Nothing here touches the network (no fetch_* calls).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import sklearn
from sklearn import datasets
from sklearn.externals import _arff  # sklearn's vendored liac-arff parser
from statsmodels import datasets as sm_datasets

OPENML_DIR = Path(sklearn.__file__).parent / "datasets" / "tests" / "data" / "openml"


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _read_arff(relative: str) -> pd.DataFrame:
    with gzip.open(OPENML_DIR / relative, "rt", encoding="utf-8") as f:
        parsed = _arff.load(f)
    columns = [name for name, _ in parsed["attributes"]]
    return pd.DataFrame(parsed["data"], columns=columns)


def _from_bunch(bunch) -> pd.DataFrame:
    frame = bunch.frame.copy()
    frame.columns = [_snake(c) for c in frame.columns]
    return frame


def breast_cancer() -> pd.DataFrame:
    return _from_bunch(datasets.load_breast_cancer(as_frame=True))


def wine() -> pd.DataFrame:
    return _from_bunch(datasets.load_wine(as_frame=True))


def diabetes() -> pd.DataFrame:
    # Unscaled features: the scaled version is already centred on the full data set (test included).
    return _from_bunch(datasets.load_diabetes(as_frame=True, scaled=False))


def kr_vs_kp() -> pd.DataFrame:
    frame = _read_arff("id_3/data-v1-dl-3.arff.gz")
    frame.columns = [_snake(c) for c in frame.columns]
    return frame.rename(columns={"class": "target"})


def fair() -> pd.DataFrame:
    # statsmodels `fair` (Fair 1978 survey, 6366 women): did the respondent report any affair?
    frame = sm_datasets.fair.load_pandas().data.copy()
    frame["target"] = (frame.pop("affairs") > 0).astype("int64")
    return frame.astype({c: "int64" for c in ("rate_marriage", "religious", "occupation", "occupation_husb")})


def randhie() -> pd.DataFrame:
    # statsmodels `randhie` (RAND health insurance experiment, 20190 person-years): doctor visits.
    frame = sm_datasets.randhie.load_pandas().data.copy()
    return frame.rename(columns={"mdvis": "target"})[[c for c in frame.columns if c != "mdvis"] + ["target"]]


def titanic() -> pd.DataFrame:
    frame = _read_arff("id_40945/data-v1-dl-16826755.arff.gz")
    # boat/body are recorded after the sinking (they leak survival); name, ticket, cabin and
    # home.dest are free text, which the tabular templates cannot use.
    frame = frame[["pclass", "sex", "age", "sibsp", "parch", "fare", "embarked", "survived"]]
    frame = frame.astype({"pclass": "int64", "sibsp": "int64", "parch": "int64", "age": "float64", "fare": "float64"})
    frame["survived"] = frame["survived"].astype("int64")
    return frame.rename(columns={"survived": "target"})


BUILDERS: dict[str, Callable[[], pd.DataFrame]] = {
    "breast-cancer": breast_cancer,
    "kr-vs-kp": kr_vs_kp,
    "titanic": titanic,
    "wine": wine,
    "diabetes": diabetes,
    "fair-affairs": fair,
    "rand-doctor-visits": randhie,
}
