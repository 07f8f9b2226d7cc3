"""Bring-your-own validation: every problem names its file, field and row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

from haste_runner.validate import validate


def _copy(competitions: Path, tmp_path: Path, comp_id: str = "wine") -> Path:
    d = tmp_path / comp_id
    shutil.copytree(competitions / comp_id, d)
    return d


def _where(problems) -> set[tuple]:
    return {(p.file, p.field, p.row) for p in problems}


def test_builtin_competitions_are_valid(competitions: Path) -> None:
    for d in sorted(p for p in competitions.iterdir() if p.is_dir()):
        assert validate(d) == [], d.name


def test_ids_targets_and_labels_name_field_and_row(competitions: Path, tmp_path: Path) -> None:
    d = _copy(competitions, tmp_path)
    answers = pd.read_csv(d / "answers.csv")
    answers.loc[2, "id"] = answers.loc[1, "id"]  # duplicate (data row 3), and the old id is now unanswered
    answers.loc[4, "target"] = 7  # a label train never had (data row 5)
    answers.to_csv(d / "answers.csv", index=False)
    train = pd.read_csv(d / "train.csv")
    train.loc[9, "target"] = None  # data row 10
    train.to_csv(d / "train.csv", index=False)
    where = _where(validate(d))
    assert ("answers.csv", "id", 3) in where
    assert ("answers.csv", "target", 5) in where
    assert ("train.csv", "target", 10) in where
    assert any(f == "test.csv" and field == "id" and row is not None for f, field, row in where)


def test_missing_columns_and_bad_metric(competitions: Path, tmp_path: Path) -> None:
    d = _copy(competitions, tmp_path)
    pd.read_csv(d / "test.csv").rename(columns={"alcohol": "alc"}).to_csv(d / "test.csv", index=False)
    problems = validate(d)
    assert ("test.csv", "alcohol", None) in _where(problems)

    d2 = _copy(competitions, tmp_path / "b")
    spec = yaml.safe_load((d2 / "competition.yaml").read_text())
    spec["metric"] = {"name": "rmse", "direction": "minimize"}
    (d2 / "competition.yaml").write_text(yaml.safe_dump(spec))
    problems = validate(d2)
    assert [(p.file, p.field) for p in problems] == [("competition.yaml", "metric.name")]
    assert 'got "rmse"' in problems[0].message and "accuracy (maximize)" in problems[0].message


def test_regression_target_must_be_numeric(competitions: Path, tmp_path: Path) -> None:
    d = _copy(competitions, tmp_path, "diabetes")
    train = pd.read_csv(d / "train.csv")
    train["target"] = train["target"].astype(object)
    train.loc[0, "target"] = "lots"
    train.to_csv(d / "train.csv", index=False)
    assert ("train.csv", "target", 1) in _where(validate(d))


def test_unknown_keys_and_a_missing_source(competitions: Path, tmp_path: Path) -> None:
    d = _copy(competitions, tmp_path)
    spec = yaml.safe_load((d / "competition.yaml").read_text())
    del spec["source"]  # optional: a bring-your-own folder rarely has one
    (d / "competition.yaml").write_text(yaml.safe_dump(spec))
    assert validate(d) == []
    spec["targt_score"] = 0.9
    (d / "competition.yaml").write_text(yaml.safe_dump(spec))
    (problem,) = validate(d)
    assert (problem.file, problem.field) == ("competition.yaml", "targt_score")
    assert problem.message.startswith('unknown key "targt_score": remove or rename (keys here: ')


def test_text_and_vision_need_their_columns_described(competitions: Path, tmp_path: Path) -> None:
    d = _copy(competitions, tmp_path, "fortune-topics")
    train = pd.read_csv(d / "train.csv").rename(columns={"text": "quote"})
    train.to_csv(d / "train.csv", index=False)
    pd.read_csv(d / "test.csv").rename(columns={"text": "quote"}).to_csv(d / "test.csv", index=False)
    (problem,) = validate(d)
    assert (problem.file, problem.field) == ("competition.yaml", "text_columns")
    assert "add text_columns: [quote]" in problem.message
