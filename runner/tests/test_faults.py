"""Where a failure comes from decides whether it is retried: solution and competition faults exit 2
(never retried), the platform's own faults exit 1 (retried)."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import run_train

from haste_runner.errors import (
    CompetitionError,
    SolutionError,
    competition_data,
    solution_code,
)
from haste_runner.metrics import get_metric


def _job(competition: Path, workdir: Path, template: str, params: dict | None = None, **extra) -> dict:
    return {
        "competitionDir": str(competition),
        "template": template,
        "params": params or {},
        "seed": 0,
        "folds": 3,
        "workdir": str(workdir),
        "resumeFrom": None,
        "checkpointEvery": 1,
        "attempt": 1,
        **extra,
    }


# ---- the classification itself -----------------------------------------------------------


@pytest.mark.parametrize(
    "raised",
    [
        ValueError("bad"),
        TypeError("bad"),
        ZeroDivisionError(),
        MemoryError(),
        FileNotFoundError(errno.ENOENT, "no such file"),
        PermissionError(errno.EACCES, "x"),
    ],
)
def test_whatever_solution_code_raises_is_the_solutions_fault(raised: Exception) -> None:
    with pytest.raises(SolutionError, match=r"^fitting: ") as info, solution_code("fitting"):
        raise raised
    assert info.value.kind == "solution" and info.value.__cause__ is raised


@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC, errno.ESTALE])
def test_a_host_io_failure_stays_the_platforms_even_inside_solution_code(code: int) -> None:
    with pytest.raises(OSError) as info, solution_code("fitting"):
        raise OSError(code, "host trouble")
    assert not isinstance(info.value, SolutionError)


def test_competition_data_failures_are_competition_errors() -> None:
    with pytest.raises(CompetitionError, match="loading: FileNotFoundError") as info, competition_data("loading"):
        raise FileNotFoundError(errno.ENOENT, "no such file", "train.csv")
    assert info.value.kind == "competition"
    with pytest.raises(OSError) as io, competition_data("loading"):
        raise OSError(errno.EIO, "I/O error")
    assert not isinstance(io.value, SolutionError)


def test_metric_domains() -> None:
    rmsle, poisson, auc, rmse, acc = (
        get_metric(m) for m in ("rmsle", "poisson_deviance", "roc_auc", "rmse", "accuracy")
    )
    assert rmsle.invalid_predictions(np.array([0.0, 3.0])) is None
    assert "1 of 2 predictions are out of range (min -0.5" in rmsle.invalid_predictions(np.array([-0.5, 3.0]))
    assert poisson.invalid_predictions(np.array([0.0, 1.0])) is not None  # log(y / 0)
    assert auc.invalid_predictions(np.array([0.2, 1.5])) is not None
    assert rmse.invalid_predictions(np.array([-1e9, 1e9])) is None
    assert rmse.invalid_predictions(np.array([1.0, np.nan, np.inf])) == "2 of 3 predictions are NaN or infinite"
    assert acc.invalid_predictions(np.array(["a", "b"], dtype=object)) is None  # labels are not numbers


# ---- end to end: exit codes and messages of the runner on real data --------------------------


@pytest.fixture(scope="module")
def rmsle_visits(competitions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RAND doctor visits (a skewed count with many zeros) scored by RMSLE, as a user would bring it."""
    d = tmp_path_factory.mktemp("byo") / "visits-rmsle"
    shutil.copytree(competitions / "rand-doctor-visits", d)
    spec = (d / "competition.yaml").read_text()
    (d / "competition.yaml").write_text(
        spec.replace("name: rmse", "name: rmsle").replace("id: rand-doctor-visits", "id: visits-rmsle")
    )
    return d


def _solution_failure(result, *fragments: str) -> None:
    assert result.rc == 2, result.stderr
    assert result.events[-1]["event"] == "error" and result.events[-1]["kind"] == "solution"
    for fragment in fragments:
        assert fragment in result.events[-1]["message"]


def test_empty_vocabulary_is_a_solution_error(competitions: Path, tmp_path: Path) -> None:
    # Titanic with its one-letter `embarked` codes declared as text: word tokens need two letters, so
    # the column offers only its rare missing-value marker, which min_df prunes: no terms remain.
    d = tmp_path / "titanic-embarked-text"
    shutil.copytree(competitions / "titanic", d)
    (d / "competition.yaml").write_text((d / "competition.yaml").read_text() + "text_columns: [embarked]\n")
    result = run_train(tmp_path, _job(d, tmp_path / "w", "tfidf_logistic", {"min_df": 40}))
    _solution_failure(result, "feature preprocessing", "empty vocabulary")


def test_predictions_outside_the_metric_domain_are_a_solution_error(rmsle_visits: Path, tmp_path: Path) -> None:
    # An MLP with a far too large step diverges: predictions below -1 make log1p, hence RMSLE, NaN.
    result = run_train(tmp_path, _job(rmsle_visits, tmp_path / "w", "mlp", {"learning_rate_init": 1.0, "epochs": 3}))
    _solution_failure(
        result,
        "template 'mlp', fold 1:",
        "predictions are out of range",
        "rmsle is defined only for numbers in [0, inf)",
    )


def test_an_estimator_value_error_is_a_solution_error(competitions: Path, tmp_path: Path) -> None:
    # A valid param for the template, impossible for this data: wine's folds hold ~119 training rows.
    result = run_train(tmp_path, _job(competitions / "wine", tmp_path / "w", "knn", {"n_neighbors": 500}))
    _solution_failure(result, "template 'knn' failed to predict (fold 1): ValueError", "n_neighbors")


def test_a_model_that_cannot_be_checkpointed_is_a_solution_error(competitions: Path, tmp_path: Path) -> None:
    code = (
        "from sklearn.linear_model import Ridge\n"
        "def make_model(task_type, seed):\n"
        "    model = Ridge()\n"
        "    model.hook = lambda x: x  # lambdas do not pickle\n"
        "    return model\n"
    )
    result = run_train(tmp_path, _job(competitions / "diabetes", tmp_path / "w", "custom", {"code": code}))
    _solution_failure(result, "checkpointing the model state")


@pytest.mark.parametrize(
    "breakage, fragment",
    [
        ("yaml", "title: missing"),
        ("train", "loading the competition"),
    ],
)
def test_a_broken_competition_folder_is_a_competition_error(
    competitions: Path, tmp_path: Path, breakage: str, fragment: str
) -> None:
    d = tmp_path / "comp"
    shutil.copytree(competitions / "diabetes", d)
    if breakage == "yaml":
        spec = (d / "competition.yaml").read_text()
        (d / "competition.yaml").write_text(
            "\n".join(line for line in spec.splitlines() if not line.startswith("title:"))
        )
    else:
        (d / "train.csv").unlink()
    result = run_train(tmp_path, _job(d, tmp_path / "w", "ridge"))
    assert result.rc == 2, result.stderr
    assert result.events[-1]["kind"] == "competition"
    assert fragment in result.events[-1]["message"]


def test_the_runners_own_io_failing_is_an_infrastructure_error(competitions: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "w"
    workdir.mkdir()
    (workdir / "checkpoints").write_text("a file where the checkpoint folder goes")
    result = run_train(tmp_path, _job(competitions / "diabetes", workdir, "ridge"))
    assert result.rc == 1
    assert result.events[-1]["event"] == "error" and result.events[-1]["kind"] == "infrastructure"
    assert "FileExistsError" in result.events[-1]["message"] or "NotADirectoryError" in result.events[-1]["message"]
