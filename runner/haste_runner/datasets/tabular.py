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

from .bundled import package_dir

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


def regime_durations() -> pd.DataFrame:
    # lifelines' dd.csv (Cheibub, Gandhi & Vreeland, "Democracy and Dictatorship Revisited", 2010): one row per
    # head of government's spell in office, 1946-2008. Target: the spell's length in years, for completed spells
    # only (an ongoing spell's length is only a lower bound). leaderspellreg is dropped (it spells out the end year),
    # and so are cowcode2 / politycode (numeric twins of the country name).
    frame = pd.read_csv(package_dir("lifelines") / "datasets" / "dd.csv")
    frame = frame[frame["observed"] == 1]
    frame = frame.rename(
        columns={
            "ctryname": "country",
            "un_region_name": "region",
            "un_continent_name": "continent",
            "ehead": "leader",
            "duration": "target",
        }
    )
    columns = ["country", "region", "continent", "leader", "democracy", "regime", "start_year", "target"]
    return frame[columns].astype({"start_year": "int64", "target": "int64"}).reset_index(drop=True)


def world_fertility() -> pd.DataFrame:
    # statsmodels `fertility` (World Bank WDI, total fertility rate per country and year 1960-2013), wide -> long:
    # one row per (country, year) with a value. The country is the high-cardinality categorical.
    data = sm_datasets.fertility.load_pandas().data
    years = [c for c in data.columns if str(c).isdigit()]
    frame = data.melt(id_vars=["Country Name", "Country Code"], value_vars=years, var_name="year", value_name="target")
    frame = frame.dropna(subset=["target"]).rename(columns={"Country Name": "country", "Country Code": "country_code"})
    frame["year"] = frame["year"].astype("int64")
    return frame.sort_values(["country_code", "year"], kind="stable")[
        ["country", "country_code", "year", "target"]
    ].reset_index(drop=True)


def titanic_text() -> pd.DataFrame:
    # The same OpenML Titanic file as `titanic`, keeping what that one drops as free text: name (its title, Mr /
    # Mrs / Master / Rev, is the classic signal), ticket, cabin and home.dest. boat and body still leak survival.
    frame = _read_arff("id_40945/data-v1-dl-16826755.arff.gz")
    frame = frame.rename(columns={"home.dest": "home_dest"})
    frame = frame[
        [
            "pclass",
            "name",
            "sex",
            "age",
            "sibsp",
            "parch",
            "ticket",
            "fare",
            "cabin",
            "embarked",
            "home_dest",
            "survived",
        ]
    ]
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
    "regime-durations": regime_durations,
    "world-fertility": world_fertility,
    "titanic-text": titanic_text,
}
