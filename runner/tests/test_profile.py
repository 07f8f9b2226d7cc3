"""The data profile (stage 1 of the engineer) on built-in competitions and constructed folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import run_main

from haste_runner.contracts import problems
from haste_runner.prepare import DEFAULT_DEFINITIONS, prepare_one
from haste_runner.profile import main, profile

NEEDED = ("co2-monthly", "titanic", "fortune-topics", "digits", "diabetes")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profile-competitions")
    for name in NEEDED:
        prepare_one(DEFAULT_DEFINITIONS / name, out)
    return out


def _by_name(p: dict) -> dict[str, dict]:
    return {c["name"]: c for c in p["columns"]}


def test_cli_prints_one_valid_profile(prepared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(main, capsys, "--competition", str(prepared / "titanic"))
    assert result.rc == 0 and len(result.events) == 1
    p = result.events[0]
    assert problems("profile", p) == []
    cols = _by_name(p)
    assert cols["sex"]["kind"] == "categorical" and cols["sex"]["cardinality"] == 2
    assert cols["embarked"]["cardinality"] == 3 and cols["age"]["kind"] == "numeric"
    assert cols["age"]["missingShare"] > 0.1
    assert p["counts"]["categorical"] == 2 and p["maxCardinality"] == 3
    assert p["target"]["classes"] == 2 and 0.3 < p["target"]["minorityShare"] < 0.5
    assert "survived" not in cols and "id" not in cols


def test_broken_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(main, capsys, "--competition", str(tmp_path))
    assert result.rc == 2 and result.events[0]["event"] == "error"


def test_forecasting_series_and_season(prepared: Path, tmp_path: Path) -> None:
    p = profile(prepared / "co2-monthly")
    assert problems("profile", p) == []
    assert p["series"]["count"] == 1 and p["series"]["season"] == 12 and p["series"]["frequency"] == "MS"
    assert p["series"]["horizon"] == 24 and p["columns"] == []
    # Without season_length in competition.yaml the season is detected from the data: still 12.
    copy = tmp_path / "co2"
    shutil.copytree(prepared / "co2-monthly", copy)
    spec = yaml.safe_load((copy / "competition.yaml").read_text())
    del spec["season_length"]
    (copy / "competition.yaml").write_text(yaml.safe_dump(spec))
    assert profile(copy)["series"]["season"] == 12


def test_text_image_and_regression(prepared: Path) -> None:
    text = profile(prepared / "fortune-topics")
    assert [c["kind"] for c in text["columns"]] == ["text"] and text["columns"][0]["meanLength"] > 20
    image = profile(prepared / "digits")
    assert image["image"] == {"height": 8, "width": 8, "channels": 1} and image["columns"] == []
    reg = profile(prepared / "diabetes")
    assert reg["counts"]["numeric"] == 10 and reg["target"]["min"] > 0 and reg["target"]["skew"] > 0


def test_symbols_dates_skew_sign_and_high_cardinality(prepared: Path, tmp_path: Path) -> None:
    folder = tmp_path / "constructed"
    shutil.copytree(prepared / "diabetes", folder)
    rng = np.random.default_rng(0)
    n = 300
    train = pd.DataFrame(
        {
            "id": range(n),
            "seq": ["".join(rng.choice(list("ACGT"), 20)) for _ in range(n)],
            "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "zip": [f"z{i % 57}" for i in range(n)],
            "target": -np.exp(rng.normal(0, 1, n)),  # negative and skewed to the left
        }
    )
    train.to_csv(folder / "train.csv", index=False)
    train.drop(columns="target").head(10).to_csv(folder / "test.csv", index=False)
    p = profile(folder)
    assert problems("profile", p) == []
    cols = _by_name(p)
    assert cols["seq"]["kind"] == "symbols" and cols["seq"]["alphabet"] == 4 and cols["seq"]["meanLength"] == 20
    assert cols["when"]["kind"] == "datetime"
    assert cols["zip"]["kind"] == "categorical" and p["maxCardinality"] == 57
    assert p["target"]["skew"] < -1 and p["target"]["max"] < 0
    json.dumps(p)  # plain JSON
