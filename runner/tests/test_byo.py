"""Bring your own data as it comes: several text columns beside numeric ones, multi-channel images under
their own pixel names, forecasting series under any column names. Each folder validates, loads with the
attributes the templates read, and trains end to end through the runner's CLI (`haste_runner.train --job`)
to a submission that beats the naive baseline on the hidden answers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from byo_folders import FOLDERS
from conftest import run_cli, run_train

from haste_runner import grade
from haste_runner.competition import Competition, CompetitionSpecError, read_csv
from haste_runner.templates import torch_available
from haste_runner.validate import validate

# (folder, template, params): cheap settings that still learn.
CASES = [
    ("text", "tfidf_logistic", {}),
    ("text", "tfidf_nb", {"analyzer": "char_wb", "ngram_max": 3}),
    ("text", "hist_gradient_boosting", {"epochs": 2, "iters_per_epoch": 20}),  # text as length/word counts
    ("image", "logistic_regression", {}),
    *([("image", "cnn", {"epochs": 3, "channels": 8})] if torch_available() else []),
    ("forecasting", "combo", {}),
    ("forecasting", "seasonal_naive", {"method": "drift"}),
]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("byo")
    return {kind: build(root / kind) for kind, build in FOLDERS.items()}


def test_folders_are_valid_and_load_their_columns(folders: dict[str, Path]) -> None:
    for kind, d in folders.items():
        assert validate(d) == [], kind
    text = Competition.load(folders["text"])
    assert text.text_columns == ["name", "home_dest"] and text.source is None
    image = Competition.load(folders["image"]).image
    assert image is not None and (image.height, image.width, image.channels, image.layout) == (8, 8, 3, "chw")
    assert image.columns[:2] == ("c0_y0_x0", "c0_y0_x1") and image.columns[64] == "c1_y0_x0"
    assert len(image.columns) == 192
    series = Competition.load(folders["forecasting"])
    assert (series.series_column, series.time_column, series.value_column) == ("station", "week", "ppm")
    assert series.frequency == "W-SAT"  # inferred by pandas from the ISO timestamps


def test_builtin_folders_keep_their_defaults() -> None:
    from haste_runner.prepare import DEFAULT_DEFINITIONS

    digits = Competition.load(DEFAULT_DEFINITIONS / "digits")  # definition only: no train.csv to infer from
    assert digits.image is None and digits.text_columns == []
    co2 = Competition.load(DEFAULT_DEFINITIONS / "co2-monthly")
    assert (co2.series_column, co2.time_column, co2.value_column) == ("series_id", "timestamp", "value")


@pytest.mark.parametrize("kind, template, params", CASES)
def test_trains_end_to_end_and_beats_the_baseline(
    folders: dict[str, Path], tmp_path: Path, kind: str, template: str, params: dict
) -> None:
    d = folders[kind]
    job = {
        "competitionDir": str(d),
        "template": template,
        "params": params,
        "seed": 1,
        "folds": 3,
        "workdir": str(tmp_path),
        "resumeFrom": None,
        "checkpointEvery": 1,
        "attempt": 1,
    }
    result = run_train(tmp_path, job)
    assert result.rc == 0, result.stderr[-2000:]
    assert result.events[-1]["event"] == "result"

    comp, answers = Competition.load(d), read_csv(d / "answers.csv")
    graded = grade.score(comp, answers, grade.read_submission(tmp_path / "submission.csv", comp, answers))
    naive, _ = grade.baseline(comp, read_csv(d / "train.csv"), len(answers), read_csv(d / "test.csv"))
    base = grade.score(comp, answers, naive)
    assert (graded > base) if comp.direction == "maximize" else (graded < base), (graded, base)


def _edit_yaml(d: Path, **changes: object) -> None:
    spec = yaml.safe_load((d / "competition.yaml").read_text())
    spec.update(changes)
    (d / "competition.yaml").write_text(yaml.safe_dump(spec))


def test_validate_explains_column_problems_with_the_fix(folders: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    text = shutil.copytree(folders["text"], tmp_path / "text")
    _edit_yaml(text, text_columns=["name", "destination"])
    (problem,) = [p for p in validate(text) if p.field == "text_columns"]
    assert "'destination' is not in train.csv: fix the name in text_columns" in problem.message

    image = shutil.copytree(folders["image"], tmp_path / "image")
    _edit_yaml(image, image={"height": 8, "width": 8, "channels": 3})  # the default names px_{r}_{c}_{ch} do not fit
    (problem,) = [p for p in validate(image) if p.file == "train.csv"]
    assert problem.field == "px_0_0_0" and "fix image" in problem.message

    series = shutil.copytree(folders["forecasting"], tmp_path / "series")
    _edit_yaml(series, time_column="date")
    where = {(p.file, p.field) for p in validate(series)}
    assert ("train.csv", "date") in where and ("test.csv", "date") in where
    test = pd.read_csv(folders["forecasting"] / "test.csv")
    test.loc[3, "week"] = "last tuesday"
    test.to_csv(shutil.copytree(folders["forecasting"], tmp_path / "when") / "test.csv", index=False)
    assert ("test.csv", "week", 4) in {(p.file, p.field, p.row) for p in validate(tmp_path / "when")}


def test_a_bad_yaml_is_a_user_fault_in_training(folders: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    d = shutil.copytree(folders["text"], tmp_path / "bad")
    _edit_yaml(d, metric={"name": "rmse", "direction": "minimize"})
    with pytest.raises(CompetitionSpecError, match=r"field metric\.name: got \"rmse\""):
        Competition.load(d)
    job = {"competitionDir": str(d), "template": "tfidf_logistic", "params": {}, "workdir": str(tmp_path / "w")}
    result = run_train(tmp_path, job)
    assert result.rc == 2  # exit 2: a solution/user error, never retried as infrastructure
    assert result.events[-1]["kind"] == "competition" and "metric.name" in result.events[-1]["message"]
    assert run_cli("haste_runner.validate", "--competition", str(d)).rc == 2


def test_init_drafts_what_the_folders_hold(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from haste_runner.draft import main as draft_main

    for kind, d in folders.items():
        written = yaml.safe_load((d / "competition.yaml").read_text())
        out = tmp_path / kind
        args = [
            "--dir",
            str(out),
            "--train",
            str(d / "train.csv"),
            "--test",
            str(d / "test.csv"),
            "--target",
            written["target_column"],
        ]
        assert draft_main(args) == 0
        printed = capsys.readouterr().out
        drafted = yaml.safe_load((out / "competition.yaml").read_text())
        assert yaml.safe_load(printed) == drafted  # what is printed for the user is what is written
        for key in ("task_type", "domain", "id_column", "text_columns", "series_column", "time_column", "horizon"):
            assert drafted.get(key) == written.get(key), (kind, key)
        if kind == "image":
            assert drafted["image"] == {"height": 8, "width": 8, "channels": 3, "pixel_pattern": "c{ch}_y{r}_x{c}"}
        assert (out / "train.csv").read_bytes() == (d / "train.csv").read_bytes()
        (out / "competition.yaml").write_text("# mine\n")
        assert draft_main(args) == 0 and (out / "competition.yaml").read_text() == "# mine\n"  # never overwritten
        assert draft_main([*args, "--force"]) == 0 and yaml.safe_load((out / "competition.yaml").read_text()) == drafted
        capsys.readouterr()
    assert (
        draft_main(
            [
                "--dir",
                str(tmp_path / "x"),
                "--train",
                str(folders["text"] / "train.csv"),
                "--test",
                str(folders["text"] / "test.csv"),
                "--target",
                "nope",
            ]
        )
        == 2
    )
    assert "'nope' is not a column" in capsys.readouterr().err
