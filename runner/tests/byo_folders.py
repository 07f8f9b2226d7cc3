"""Bring-your-own competition folders in the shapes users' data comes in, built from data that ships in
the scikit-learn and statsmodels wheels (nothing is downloaded):

- `text`: Titanic passengers with two free-text columns (name, home_dest) beside numeric and categorical ones;
- `image`: 8x8 RGB patches of sklearn's two sample photographs (china vs flower), pixel columns
  `c<ch>_y<r>_x<c>` in channel-plane (chw) order;
- `forecasting`: weekly Mauna Loa CO2 as two series under the names station / week / ppm, ISO timestamps.

`python runner/tests/byo_folders.py KIND DIR` writes one (the integration tests use it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SEED = 5


def _write(d: Path, spec: dict, train: pd.DataFrame, test: pd.DataFrame, answers: pd.DataFrame) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "competition.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    for name, frame in (("train.csv", train), ("test.csv", test), ("answers.csv", answers)):
        frame.to_csv(d / name, index=False)
    return d


def _split(frame: pd.DataFrame, target: str, id_column: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frame = frame.sample(frac=1.0, random_state=SEED).reset_index(drop=True)
    frame.insert(0, id_column, [f"r{i:05d}" for i in range(len(frame))])
    cut = int(len(frame) * 0.75)
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    return train, test.drop(columns=[target]), test[[id_column, target]]


def text_folder(d: Path) -> Path:
    from haste_runner.datasets.tabular import _read_arff

    frame = _read_arff("id_40945/data-v1-dl-16826755.arff.gz")
    frame = frame[["name", "home.dest", "sex", "age", "fare", "pclass", "survived"]].rename(
        columns={"home.dest": "home_dest", "survived": "survived_flag"}
    )
    frame = frame.astype({"age": "float64", "fare": "float64", "pclass": "int64", "survived_flag": "int64"})
    train, test, answers = _split(frame, "survived_flag", "passenger")
    spec = {
        "id": "titanic-text",
        "title": "Titanic with free-text columns",
        "domain": "text",
        "task_type": "binary",
        "target_column": "survived_flag",
        "id_column": "passenger",
        "metric": {"name": "roc_auc", "direction": "maximize"},
        "positive_label": 1,
        "budget": {"compute_seconds": 60, "max_steps": 2},
        "text_columns": ["name", "home_dest"],
    }
    return _write(d, spec, train, test, answers)


def image_folder(d: Path, per_class: int = 150) -> Path:
    from sklearn.datasets import load_sample_images

    rand = np.random.RandomState(SEED)
    rows, labels = [], []
    for label, image in zip(("china", "flower"), load_sample_images().images):
        h, w, _ = image.shape
        for _ in range(per_class):
            r, c = rand.randint(0, h - 8), rand.randint(0, w - 8)
            rows.append(image[r : r + 8, c : c + 8, :].transpose(2, 0, 1).reshape(-1))  # chw order
            labels.append(label)
    columns = [f"c{ch}_y{r}_x{c}" for ch in range(3) for r in range(8) for c in range(8)]
    frame = pd.DataFrame(np.asarray(rows, dtype=np.int64), columns=columns)
    frame["photo"] = labels
    train, test, answers = _split(frame, "photo", "patch")
    spec = {
        "id": "photo-patches",
        "title": "Which photograph is an RGB patch from?",
        "domain": "vision",
        "task_type": "binary",
        "target_column": "photo",
        "id_column": "patch",
        "metric": {"name": "accuracy", "direction": "maximize"},
        "budget": {"compute_seconds": 60, "max_steps": 2},
        "image": {"height": 8, "width": 8, "channels": 3, "layout": "chw", "pixel_pattern": "c{ch}_y{r}_x{c}"},
    }
    return _write(d, spec, train, test, answers)


def forecasting_folder(d: Path, weeks: int = 260, horizon: int = 8) -> Path:
    from statsmodels import datasets as sm_datasets

    weekly = sm_datasets.co2.load_pandas().data["co2"].interpolate().iloc[-weeks:]
    stamps = [t.strftime("%Y-%m-%dT00:00:00") for t in weekly.index]
    series = pd.concat(
        [
            pd.DataFrame({"station": "mauna-loa", "week": stamps, "ppm": weekly.to_numpy()}),
            # A second, shifted and scaled series: forecasting runs over several series at once.
            pd.DataFrame({"station": "scaled", "week": stamps, "ppm": np.round(weekly.to_numpy() * 0.5 - 100, 3)}),
        ],
        ignore_index=True,
    )
    position = series.groupby("station").cumcount(ascending=False)
    is_test = (position < horizon).to_numpy()
    train, test = series[~is_test].copy(), series[is_test].copy()
    train.insert(0, "row", np.arange(len(train)))
    test.insert(0, "row", np.arange(len(train), len(series)))
    spec = {
        "id": "co2-weekly",
        "title": "Weekly CO2, 8 weeks ahead",
        "domain": "time-series",
        "task_type": "forecasting",
        "target_column": "ppm",
        "id_column": "row",
        "metric": {"name": "mae", "direction": "minimize"},
        "budget": {"compute_seconds": 60, "max_steps": 2},
        "horizon": horizon,
        "season_length": 52,
        "series_column": "station",
        "time_column": "week",
        "value_column": "ppm",
    }
    return _write(d, spec, train, test.drop(columns=["ppm"]), test[["row", "ppm"]])


FOLDERS = {"text": text_folder, "image": image_folder, "forecasting": forecasting_folder}

if __name__ == "__main__":
    print(FOLDERS[sys.argv[1]](Path(sys.argv[2]).resolve()))
