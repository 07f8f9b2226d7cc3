"""Checks a bring-your-own competition folder: `python -m haste_runner.validate --competition DIR`.

Prints one JSON line per folder `{"competition", "ok": bool, "problems": [{"file", "field", "row", "message"}, ...]}`
and exits 0 when every folder is valid, 2 when one has problems (each names its file, field and, where it applies,
the 1-based data row, and says the fix), 1 on an unexpected error. Checks: competition.yaml against the
contract (schemas/competition.ts, through haste_runner.contracts), the presence of train/test/answers, the
id/target columns, test features equal to train features, ids unique in every file, test ids equal to
answer ids, targets present (numeric for regression/forecasting), answer labels seen in train, the text
columns (present, free text), the image's pixel columns (present, numeric), and for forecasting the
series/time/value columns (present, timestamps ISO 8601 or whole numbers, no repeated time in a series,
test after train, at most `horizon` test rows per series, the frequency a pandas offset alias).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from .competition import (
    ANSWERS_FILE,
    SPEC_FILE,
    TEST_FILE,
    TRAIN_FILE,
    Competition,
    CompetitionSpecError,
    parse_times,
    read_csv,
)
from .errors import USER_FAULT_EXIT

MAX_PER_CHECK = 5  # rows reported per kind of problem; the message says how many more


@dataclass(frozen=True)
class Problem:
    file: str
    field: str | None
    row: int | None
    message: str


def _rows(mask: pd.Series) -> list[int]:
    """1-based data rows (the header is not counted) where mask holds."""
    return [int(i) + 1 for i in mask.to_numpy().nonzero()[0]]


class Validator:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.problems: list[Problem] = []

    def add(self, file: str, field: str | None, row: int | None, message: str) -> None:
        self.problems.append(Problem(file, field, row, message))

    def add_rows(self, file: str, field: str, rows: list[int], message: str) -> None:
        for r in rows[:MAX_PER_CHECK]:
            self.add(file, field, r, message)
        if len(rows) > MAX_PER_CHECK:
            self.add(file, field, None, f"{message}: {len(rows) - MAX_PER_CHECK} more rows like this")

    def run(self) -> list[Problem]:
        comp = self._spec()
        frames = {name: self._csv(name) for name in (TRAIN_FILE, TEST_FILE, ANSWERS_FILE)}
        if comp is None or any(f is None for f in frames.values()):
            return self.problems
        train, test, answers = frames[TRAIN_FILE], frames[TEST_FILE], frames[ANSWERS_FILE]
        assert train is not None and test is not None and answers is not None
        ok = self._columns(comp, train, test, answers)
        for name, frame in frames.items():
            if comp.id_column in frame.columns:
                dup = frame[comp.id_column].duplicated(keep="first")
                self.add_rows(name, comp.id_column, _rows(dup), "duplicate id: give every row its own id")
                self.add_rows(name, comp.id_column, _rows(frame[comp.id_column].isna()), "missing id: fill it in")
        if not ok:
            return self.problems
        self._ids_match(comp, test, answers)
        self._targets(comp, train, answers)
        self._domain(comp, train, test)
        return self.problems

    def _spec(self) -> Competition | None:
        path = self.dir / SPEC_FILE
        if not path.exists():
            self.add(
                SPEC_FILE,
                None,
                None,
                "missing: a competition folder needs competition.yaml "
                "(`haste competitions init DIR --train train.csv --test test.csv --target COLUMN` drafts one)",
            )
            return None
        try:
            return Competition.load(self.dir)
        except CompetitionSpecError as e:
            for field, message in e.problems:
                self.add(SPEC_FILE, field or None, None, message)
            return None

    def _csv(self, name: str) -> pd.DataFrame | None:
        path = self.dir / name
        if not path.exists():
            self.add(
                name,
                None,
                None,
                f"missing: a competition folder needs {name}"
                + (" (id and target of the test rows, for grading)" if name == ANSWERS_FILE else ""),
            )
            return None
        try:
            return read_csv(path)
        except Exception as e:  # noqa: BLE001 - any parse failure is the folder's problem
            self.add(name, None, None, f"unreadable CSV ({e}): save it as comma-separated UTF-8 with one header row")
            return None

    def _columns(self, comp: Competition, train: pd.DataFrame, test: pd.DataFrame, answers: pd.DataFrame) -> bool:
        ok = True
        # Forecasting: train.csv holds the values in value_column; answers and submissions use target_column.
        train_target = comp.value_column if comp.task_type == "forecasting" else comp.target_column
        if comp.id_column in (comp.target_column, train_target):
            self.add(
                SPEC_FILE,
                "id_column",
                None,
                f"id_column and the target are both {comp.id_column!r}: "
                "name the row id column in id_column and the target in target_column",
            )
            return False
        need = {
            TRAIN_FILE: (train, [comp.id_column, train_target]),
            TEST_FILE: (test, [comp.id_column]),
            ANSWERS_FILE: (answers, [comp.id_column, comp.target_column]),
        }
        for name, (frame, columns) in need.items():
            for c in columns:
                if c not in frame.columns:
                    self.add(
                        name,
                        c,
                        None,
                        f"column {c!r} (named in competition.yaml) is missing: add it, or name "
                        f"the right column in competition.yaml (columns: {', '.join(map(str, frame.columns))})",
                    )
                    ok = False
        if train_target in test.columns:
            self.add(
                TEST_FILE,
                train_target,
                None,
                "test.csv must not contain the target column: drop it (the values belong in answers.csv)",
            )
            ok = False
        features = [c for c in train.columns if c not in (comp.id_column, train_target)]
        for c in features:
            if c not in test.columns:
                self.add(
                    TEST_FILE,
                    c,
                    None,
                    f"feature column {c!r} of train.csv is missing: add it, or drop it from train.csv",
                )
                ok = False
        for c in test.columns:
            if c != comp.id_column and c not in features:
                self.add(TEST_FILE, c, None, f"column {c!r} is not in train.csv: drop it, or add it to train.csv")
        if not features:
            self.add(
                TRAIN_FILE,
                None,
                None,
                "no feature columns besides the id and the target: add the columns the target is predicted from",
            )
            ok = False
        return ok

    def _ids_match(self, comp: Competition, test: pd.DataFrame, answers: pd.DataFrame) -> None:
        test_ids = set(test[comp.id_column].astype(str))
        answer_ids = answers[comp.id_column].astype(str)
        self.add_rows(
            ANSWERS_FILE,
            comp.id_column,
            _rows(~answer_ids.isin(test_ids)),
            "id not in test.csv: answer exactly the test rows",
        )
        self.add_rows(
            TEST_FILE,
            comp.id_column,
            _rows(~test[comp.id_column].astype(str).isin(set(answer_ids))),
            "id has no row in answers.csv: add its answer",
        )

    def _targets(self, comp: Competition, train: pd.DataFrame, answers: pd.DataFrame) -> None:
        train_target = comp.value_column if comp.task_type == "forecasting" else comp.target_column
        for name, frame, column in ((TRAIN_FILE, train, train_target), (ANSWERS_FILE, answers, comp.target_column)):
            target = frame[column]
            self.add_rows(name, column, _rows(target.isna()), "missing target value: fill it in or drop the row")
            if not comp.is_classification:
                numeric = pd.to_numeric(target, errors="coerce")
                self.add_rows(
                    name,
                    column,
                    _rows(numeric.isna() & target.notna()),
                    f"{comp.task_type} target must be a number: fix the value, or use a classification task_type",
                )
        if comp.is_classification:
            labels = set(train[comp.target_column].dropna().astype(str))
            if comp.task_type == "binary" and len(labels) != 2:
                self.add(
                    TRAIN_FILE,
                    comp.target_column,
                    None,
                    f"binary task needs exactly 2 labels, found {len(labels)}: "
                    + ("use task_type multiclass" if len(labels) > 2 else "train.csv needs rows of both classes"),
                )
            unseen = ~answers[comp.target_column].astype(str).isin(labels) & answers[comp.target_column].notna()
            self.add_rows(
                ANSWERS_FILE,
                comp.target_column,
                _rows(unseen),
                "label never seen in train.csv: no model can predict it; fix the label or add training rows with it",
            )

    def _domain(self, comp: Competition, train: pd.DataFrame, test: pd.DataFrame) -> None:
        if comp.task_type == "forecasting":
            self._series(comp, train, test)
            return
        features = [c for c in train.columns if c not in (comp.id_column, comp.target_column)]
        for c in comp.text_columns:
            if c not in train.columns:
                self.add(
                    TRAIN_FILE,
                    "text_columns",
                    None,
                    f"text column {c!r} is not in train.csv: fix the name in "
                    f"text_columns (columns: {', '.join(map(str, features))})",
                )
            elif pd.api.types.is_numeric_dtype(train[c]):
                self.add(
                    TRAIN_FILE,
                    c,
                    None,
                    f"text column {c!r} holds numbers: remove it from text_columns "
                    "(numeric columns are used as numbers)",
                )
        if comp.domain == "text" and not comp.text_columns:
            strings = [c for c in features if not pd.api.types.is_numeric_dtype(train[c])]
            self.add(
                SPEC_FILE,
                "text_columns",
                None,
                "a text competition needs its free-text columns: add "
                f"text_columns: [{', '.join(strings) or 'COLUMN'}] (or name the column text)",
            )
        if comp.image is not None:
            self._pixels(comp, train, test)
        elif comp.domain == "vision":
            self.add(
                SPEC_FILE,
                "image",
                None,
                "a vision competition needs its image shape: add image: {height, width, "
                "channels} (pixel columns px_{r}_{c}, or px_{r}_{c}_{ch} for several channels; pixel_pattern "
                "names others)",
            )

    def _pixels(self, comp: Competition, train: pd.DataFrame, test: pd.DataFrame) -> None:
        image = comp.image
        assert image is not None
        if len(set(image.columns)) != len(image.columns):
            self.add(
                SPEC_FILE,
                "image.pixel_pattern",
                None,
                "the pattern gives several pixels the same column name: use {r} and {c} (and {ch}), or {i}",
            )
            return
        for name, frame in ((TRAIN_FILE, train), (TEST_FILE, test)):
            missing = [c for c in image.columns if c not in frame.columns]
            if missing:
                self.add(
                    name,
                    missing[0],
                    None,
                    f"{len(missing)} of the {len(image.columns)} pixel columns of a "
                    f"{image.height}x{image.width}x{image.channels} image are missing, e.g. {missing[0]!r}: fix "
                    "image (height, width, channels, layout) or image.pixel_pattern",
                )
                continue
            for c in image.columns:
                if not pd.api.types.is_numeric_dtype(frame[c]):
                    bad = pd.to_numeric(frame[c], errors="coerce").isna()
                    self.add_rows(name, c, _rows(bad), "pixel values must be numbers: fix the value")
                    break

    def _series(self, comp: Competition, train: pd.DataFrame, test: pd.DataFrame) -> None:
        key = {"series_column": comp.series_column, "time_column": comp.time_column}
        for name, frame in ((TRAIN_FILE, train), (TEST_FILE, test)):
            for yaml_key, column in key.items():
                if column not in frame.columns:
                    self.add(
                        name,
                        column,
                        None,
                        f"forecasting needs the column {column!r}: add it, or name yours in "
                        f"competition.yaml {yaml_key} (columns: {', '.join(map(str, frame.columns))})",
                    )
        if any(p.field in key.values() for p in self.problems):
            return
        times = {}
        for name, frame in ((TRAIN_FILE, train), (TEST_FILE, test)):
            try:
                times[name] = parse_times(frame[comp.time_column])
            except (ValueError, TypeError):
                parsed = pd.to_datetime(frame[comp.time_column].astype(str), format="ISO8601", errors="coerce")
                self.add_rows(
                    name,
                    comp.time_column,
                    _rows(parsed.isna()),
                    "not an ISO 8601 timestamp "
                    "(e.g. 2024-03-01 or 2024-03-01T10:00) or a whole-number period: fix the value",
                )
        if len(times) < 2:
            return
        if pd.api.types.is_integer_dtype(times[TRAIN_FILE]) != pd.api.types.is_integer_dtype(times[TEST_FILE]):
            self.add(
                TEST_FILE,
                comp.time_column,
                None,
                "train.csv and test.csv write times differently (whole numbers vs timestamps): use one form",
            )
            return
        series = train[comp.series_column].astype(str)
        repeated = pd.DataFrame({"s": series, "t": times[TRAIN_FILE]}).duplicated(keep="first")
        self.add_rows(TRAIN_FILE, comp.time_column, _rows(repeated), "a series has this time twice: keep one row")
        last = times[TRAIN_FILE].groupby(series).max()
        test_series = test[comp.series_column].astype(str)
        unknown = ~test_series.isin(set(series))
        self.add_rows(TEST_FILE, comp.series_column, _rows(unknown), "series has no history in train.csv")
        known = ~unknown
        early = known & (times[TEST_FILE].to_numpy() <= last.reindex(test_series).to_numpy())
        self.add_rows(
            TEST_FILE,
            comp.time_column,
            _rows(pd.Series(early)),
            "test time is not after the series' last time in train.csv: forecasts continue each series",
        )
        too_many = test_series.groupby(test_series).transform("size") > (comp.horizon or 0)
        self.add_rows(
            TEST_FILE,
            comp.series_column,
            _rows(too_many),
            f"series has more than horizon={comp.horizon} rows in test.csv: raise horizon or drop rows",
        )
        if comp.frequency is not None:
            try:
                pd.tseries.frequencies.to_offset(comp.frequency)
            except ValueError:
                self.add(
                    SPEC_FILE,
                    "frequency",
                    None,
                    f"{comp.frequency!r} is not a pandas offset alias: use e.g. D, "
                    "W, MS, QS, h, or leave it out to infer it",
                )


def validate(directory: Path) -> list[Problem]:
    return Validator(directory).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haste_runner.validate", description=__doc__)
    parser.add_argument(
        "--competition",
        type=Path,
        required=True,
        action="append",
        help="a competition folder (repeat it to check several, one output line each)",
    )
    args = parser.parse_args(argv)
    bad = False
    for directory in args.competition:
        try:
            problems = validate(directory.resolve())
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            print(json.dumps({"event": "error", "kind": "infrastructure", "message": f"{type(e).__name__}: {e}"}))
            return 1
        bad = bad or bool(problems)
        report = {"competition": str(directory), "ok": not problems, "problems": [asdict(p) for p in problems]}
        print(json.dumps(report), flush=True)
    return USER_FAULT_EXIT if bad else 0


if __name__ == "__main__":
    sys.exit(main())
