from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli, run_main

from haste_runner.competition import SERIES_COLUMN, TIME_COLUMN, Competition, read_csv
from haste_runner.datasets import BUILDERS
from haste_runner.prepare import DEFAULT_DEFINITIONS, MANIFEST, main

BUILT_IN = sorted(BUILDERS)
# The heavy ones (10k+ rows) are re-prepared only on this sample in the byte-identity check; the
# others all are. Every one is still prepared once (the `competitions` fixture) and validated.
HEAVY_SAMPLE = ["fashion-shirts", "fortune-language"]


def test_all_built_ins_are_defined() -> None:
    assert sorted(p.name for p in DEFAULT_DEFINITIONS.iterdir()) == BUILT_IN


def test_suite_covers_four_domains_with_big_competitions(competitions: Path) -> None:
    comps = [Competition.load(DEFAULT_DEFINITIONS / c) for c in BUILT_IN]
    assert len(comps) >= 20
    per_domain = {d: sum(c.domain == d for c in comps) for d in ("tabular", "vision", "text", "time-series")}
    assert min(per_domain.values()) >= 4, per_domain
    rows = {c: sum(json.loads((competitions / c / MANIFEST).read_text())["rows"].values()) for c in BUILT_IN}
    assert sum(n >= 10_000 for n in rows.values()) >= 5, rows
    assert all(c.target_score is not None for c in comps)


def test_prepare_is_deterministic_and_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = run_cli("haste_runner.prepare", "--out", str(tmp_path / "a"), "--only", "titanic", "wine")
    second = run_main(main, capsys, "--out", str(tmp_path / "b"), "--only", "titanic", "wine")
    assert first.rc == second.rc == 0
    assert [e["id"] for e in first.events] == ["titanic", "wine"]
    assert [e["files"] for e in first.events] == [e["files"] for e in second.events]

    train = tmp_path / "a" / "wine" / "train.csv"
    mtime = train.stat().st_mtime_ns
    again = run_main(main, capsys, "--out", str(tmp_path / "a"), "--only", "wine")
    assert again.events[0]["files"] == first.events[1]["files"]
    assert train.stat().st_mtime_ns == mtime, "an up-to-date competition must not be rewritten"

    train.write_text("tampered\n")
    repaired = run_main(main, capsys, "--out", str(tmp_path / "a"), "--only", "wine")
    assert repaired.events[0]["files"] == first.events[1]["files"]


def test_unknown_id_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(main, capsys, "--out", str(tmp_path), "--only", "nope").rc == 2


HEAVY = {"fashion-mnist", "fashion-shirts", "fortune-sources", "fortune-computing", "fortune-language", "photo-patches"}


def _light(comp_id: str) -> bool:
    return comp_id in HEAVY_SAMPLE or comp_id not in HEAVY


@pytest.mark.parametrize("comp_id", [c for c in BUILT_IN if _light(c)])
def test_every_built_in_prepares_byte_identically(competitions: Path, tmp_path: Path, comp_id: str) -> None:
    from haste_runner.prepare import prepare_one

    prepare_one(DEFAULT_DEFINITIONS / comp_id, tmp_path)
    first = json.loads((competitions / comp_id / MANIFEST).read_text())["files"]
    again = json.loads((tmp_path / comp_id / MANIFEST).read_text())["files"]
    assert first == again


@pytest.mark.parametrize("comp_id", BUILT_IN)
def test_prepared_folder_is_valid(competitions: Path, comp_id: str) -> None:
    d = competitions / comp_id
    comp = Competition.load(d)
    train, test, answers = (read_csv(d / f) for f in ("train.csv", "test.csv", "answers.csv"))
    manifest = json.loads((d / MANIFEST).read_text())
    assert set(manifest["files"]) >= {"competition.yaml", "description.md", "train.csv", "test.csv", "answers.csv"}
    assert manifest["rows"] == {"train": len(train), "test": len(test)}

    assert comp.target_column not in test.columns
    assert list(answers.columns) == [comp.id_column, comp.target_column]
    assert list(test[comp.id_column]) == list(answers[comp.id_column])
    all_ids = pd.concat([train[comp.id_column], test[comp.id_column]])
    assert all_ids.is_unique
    assert sorted(all_ids) == list(range(len(all_ids)))
    assert list(train.columns.drop(comp.target_column)) == list(test.columns)
    if comp.task_type == "forecasting":
        # Test = the last `horizon` points of every series, after all of its training points.
        assert (test.groupby(SERIES_COLUMN).size() == comp.horizon).all()
        last_train = train.groupby(SERIES_COLUMN)[TIME_COLUMN].max()
        first_test = test.groupby(SERIES_COLUMN)[TIME_COLUMN].min()
        assert (first_test.astype(str) > last_train.loc[first_test.index].astype(str)).all()
        return
    assert abs(len(test) / len(all_ids) - 0.25) < 0.01
    assert not train[comp.target_column].isna().any()
    if comp.is_classification:
        # Stratified: class proportions agree between train and test.
        p_train = train[comp.target_column].value_counts(normalize=True)
        p_test = answers[comp.target_column].value_counts(normalize=True)
        assert (p_train - p_test).abs().max() < 0.03
