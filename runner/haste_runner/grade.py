"""Grade a submission: `python -m haste_runner.grade --competition DIR (--submission FILE | --baseline)`.

Prints one JSON line {"metric", "direction", "score", "rows"} (+ "baseline" with --baseline).
A malformed submission exits 2 after printing {"event":"error","kind":"submission","message":...}.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .competition import (
    ANSWERS_FILE,
    TEST_FILE,
    TRAIN_FILE,
    Competition,
    CompetitionSpecError,
    order_series,
    read_csv,
)
from .errors import USER_FAULT_EXIT, SubmissionError

INFRA_EXIT = 1


def _id_keys(ids: pd.Series) -> pd.Series:
    """Comparable id text: `7` and `7.0` are the same id, anything else compares as text."""
    if pd.api.types.is_numeric_dtype(ids):
        numeric = ids.astype("float64")
        if np.all(np.isfinite(numeric)) and np.all(numeric == np.round(numeric)):
            return numeric.astype("int64").astype(str)
    return ids.astype(str)


def _numeric(values: pd.Series, column: str) -> np.ndarray:
    converted = pd.to_numeric(values, errors="coerce")
    bad = values[converted.isna()]
    if len(bad):
        raise SubmissionError(f"column {column!r} must be numeric; got e.g. {str(bad.iloc[0])!r}")
    out = converted.to_numpy(dtype="float64")
    if not np.all(np.isfinite(out)):
        raise SubmissionError(f"column {column!r} contains infinite values")
    return out


def read_submission(path: Path, comp: Competition, answers: pd.DataFrame) -> pd.Series:
    """Validate a submission and return its target column in the answers' row order."""
    try:
        sub = read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise SubmissionError(f"cannot read submission as CSV: {e}") from None
    for column in (comp.id_column, comp.target_column):
        if column not in sub.columns:
            raise SubmissionError(f"submission is missing column {column!r} (has {list(sub.columns)})")
    if len(sub) != len(answers):
        raise SubmissionError(f"submission has {len(sub)} rows, expected {len(answers)}")
    for column in (comp.id_column, comp.target_column):
        n_missing = int(sub[column].isna().sum())
        if n_missing:
            raise SubmissionError(f"column {column!r} has {n_missing} missing/NaN values")
    ids = _id_keys(sub[comp.id_column])
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise SubmissionError(f"duplicate ids in submission, e.g. {duplicated.iloc[0]!r}")
    expected = _id_keys(answers[comp.id_column])
    unexpected = sorted(set(ids) - set(expected))
    if unexpected:
        raise SubmissionError(f"{len(unexpected)} submission ids are not test ids, e.g. {unexpected[0]!r}")
    return pd.Series(sub[comp.target_column].to_numpy(), index=ids.to_numpy()).loc[expected.to_numpy()]


def score(comp: Competition, answers: pd.DataFrame, predicted: pd.Series) -> float:
    """Score predictions (aligned with answers) with the competition metric."""
    metric = comp.metric
    truth = answers[comp.target_column]
    if metric.kind == "label":
        if pd.api.types.is_numeric_dtype(truth):
            return metric(truth.to_numpy(dtype="float64"), _numeric(predicted, comp.target_column))
        return metric(truth.astype(str).to_numpy(), predicted.astype(str).to_numpy())

    values = _numeric(predicted, comp.target_column)
    if metric.kind == "probability":
        if metric.name == "log_loss" and (values.min() < 0 or values.max() > 1):
            raise SubmissionError("log_loss needs probabilities in [0, 1]")
        positive = comp.positive_class(truth.to_numpy())
        return metric((truth.to_numpy() == positive).astype(int), values)
    if metric.name == "rmsle" and values.min() < 0:
        raise SubmissionError("rmsle needs non-negative predictions")
    if metric.name == "poisson_deviance" and values.min() <= 0:
        raise SubmissionError("poisson_deviance needs strictly positive predictions")
    return metric(truth.to_numpy(dtype="float64"), values)


def baseline(
    comp: Competition, train: pd.DataFrame, n_rows: int, test: pd.DataFrame | None = None
) -> tuple[pd.Series, str]:
    """The naive submission a solution must beat, computed from train.csv only (forecasting: and
    test.csv's series ids, in the answers' row order)."""
    if comp.task_type == "forecasting":
        if test is None:
            raise ValueError("the forecasting baseline needs test.csv (which series each row belongs to)")
        ordered = order_series(train, comp)
        last = ordered.groupby(ordered[comp.series_column].astype(str))[comp.value_column].last()
        return pd.Series(last.loc[test[comp.series_column].astype(str)].to_numpy(dtype=float)), "last"
    y = train[comp.target_column]
    kind = comp.metric.kind
    if kind == "label":
        labels, counts = np.unique(y.to_numpy(), return_counts=True)
        return pd.Series([labels[int(np.argmax(counts))]] * n_rows), "majority"
    if kind == "probability":
        prior = float(np.mean(y.to_numpy() == comp.positive_class(y.to_numpy())))
        return pd.Series(np.full(n_rows, prior)), "prior"
    return pd.Series(np.full(n_rows, float(y.mean()))), "mean"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haste_runner.grade", description=__doc__)
    parser.add_argument("--competition", required=True, type=Path, help="prepared competition folder")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--submission", type=Path, help="submission CSV to grade")
    source.add_argument("--baseline", action="store_true", help="grade the naive baseline instead")
    args = parser.parse_args(argv)

    try:
        comp = Competition.load(args.competition)
        answers = read_csv(args.competition / ANSWERS_FILE)
        extra: dict[str, Any] = {}
        if args.baseline:
            test = read_csv(args.competition / TEST_FILE)
            if list(test[comp.id_column]) != list(answers[comp.id_column]):
                raise ValueError("test.csv and answers.csv list different ids")
            predicted, extra["baseline"] = baseline(comp, read_csv(args.competition / TRAIN_FILE), len(answers), test)
        else:
            predicted = read_submission(args.submission, comp, answers)
        value = score(comp, answers, predicted)
    except SubmissionError as e:
        print(json.dumps({"event": "error", "kind": "submission", "message": str(e)}), flush=True)
        return USER_FAULT_EXIT
    except CompetitionSpecError as e:  # the user's competition.yaml: their fault, retrying cannot fix it
        print(json.dumps({"event": "error", "kind": "solution", "message": str(e)}), flush=True)
        return USER_FAULT_EXIT
    except Exception as e:  # broken competition folder etc.: the platform's fault
        traceback.print_exc()
        print(
            json.dumps({"event": "error", "kind": "infrastructure", "message": f"{type(e).__name__}: {e}"}), flush=True
        )
        return INFRA_EXIT
    print(
        json.dumps(
            {"metric": comp.metric_name, "direction": comp.direction, "score": value, "rows": len(answers), **extra}
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
