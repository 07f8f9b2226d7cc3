"""Checks a bring-your-own competition folder: `python -m haste_runner.validate --competition DIR`.

Prints one JSON object `{"ok": bool, "problems": [{"file", "field", "row", "message"}, ...]}` and exits
0 when the folder is valid, 2 when it has problems (each names its file, field and, where it applies,
the 1-based data row), 1 on an unexpected error. Checks: competition.yaml (keys, domain, task type,
metric valid for the task type), the presence of train/test/answers, the id/target columns, test
features equal to train features, ids unique in every file, test ids equal to answer ids, targets
present (numeric for regression/forecasting), answer labels seen in train, and per domain: vision
pixel columns numeric, text a string column, time series the series/timestamp columns.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import yaml

from .competition import ANSWERS_FILE, SPEC_FILE, TEST_FILE, TRAIN_FILE, Competition, read_csv
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
                self.add_rows(name, comp.id_column, _rows(dup), "duplicate id")
                self.add_rows(name, comp.id_column, _rows(frame[comp.id_column].isna()), "missing id")
        if not ok:
            return self.problems
        self._ids_match(comp, test, answers)
        self._targets(comp, train, answers)
        self._domain(comp, train, test)
        return self.problems

    def _spec(self) -> Competition | None:
        path = self.dir / SPEC_FILE
        if not path.exists():
            self.add(SPEC_FILE, None, None, "missing: a competition folder needs competition.yaml")
            return None
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            self.add(SPEC_FILE, None, None, f"not valid YAML: {e}")
            return None
        try:
            return Competition.from_dict(raw)
        except (ValueError, KeyError, TypeError) as e:
            field = next((k for k in ("metric", "task_type", "domain", "budget", "id", "positive_label", "horizon")
                          if k in str(e)), None)
            self.add(SPEC_FILE, field, None, str(e))
            return None

    def _csv(self, name: str) -> pd.DataFrame | None:
        path = self.dir / name
        if not path.exists():
            self.add(name, None, None, "missing")
            return None
        try:
            return read_csv(path)
        except Exception as e:  # noqa: BLE001 - any parse failure is the folder's problem
            self.add(name, None, None, f"unreadable CSV: {e}")
            return None

    def _columns(self, comp: Competition, train: pd.DataFrame, test: pd.DataFrame, answers: pd.DataFrame) -> bool:
        ok = True
        need = {TRAIN_FILE: (train, [comp.id_column, comp.target_column]), TEST_FILE: (test, [comp.id_column]),
                ANSWERS_FILE: (answers, [comp.id_column, comp.target_column])}
        for name, (frame, columns) in need.items():
            for c in columns:
                if c not in frame.columns:
                    self.add(name, c, None, f"column {c!r} (named in competition.yaml) is missing")
                    ok = False
        if comp.target_column in test.columns:
            self.add(TEST_FILE, comp.target_column, None, "test.csv must not contain the target column")
            ok = False
        features = [c for c in train.columns if c not in (comp.id_column, comp.target_column)]
        for c in features:
            if c not in test.columns:
                self.add(TEST_FILE, c, None, f"feature column {c!r} of train.csv is missing")
                ok = False
        for c in test.columns:
            if c != comp.id_column and c not in features:
                self.add(TEST_FILE, c, None, f"column {c!r} is not in train.csv")
        if not features:
            self.add(TRAIN_FILE, None, None, "no feature columns besides the id and the target")
            ok = False
        return ok

    def _ids_match(self, comp: Competition, test: pd.DataFrame, answers: pd.DataFrame) -> None:
        test_ids = set(test[comp.id_column].astype(str))
        answer_ids = answers[comp.id_column].astype(str)
        self.add_rows(ANSWERS_FILE, comp.id_column, _rows(~answer_ids.isin(test_ids)), "id not in test.csv")
        self.add_rows(TEST_FILE, comp.id_column, _rows(~test[comp.id_column].astype(str).isin(set(answer_ids))),
                      "id has no row in answers.csv")

    def _targets(self, comp: Competition, train: pd.DataFrame, answers: pd.DataFrame) -> None:
        for name, frame in ((TRAIN_FILE, train), (ANSWERS_FILE, answers)):
            target = frame[comp.target_column]
            self.add_rows(name, comp.target_column, _rows(target.isna()), "missing target value")
            if not comp.is_classification:
                numeric = pd.to_numeric(target, errors="coerce")
                self.add_rows(name, comp.target_column, _rows(numeric.isna() & target.notna()),
                              f"{comp.task_type} target must be a number")
        if comp.is_classification:
            labels = set(train[comp.target_column].dropna().astype(str))
            if comp.task_type == "binary" and len(labels) != 2:
                self.add(TRAIN_FILE, comp.target_column, None, f"binary task needs exactly 2 labels, found {len(labels)}")
            unseen = ~answers[comp.target_column].astype(str).isin(labels) & answers[comp.target_column].notna()
            self.add_rows(ANSWERS_FILE, comp.target_column, _rows(unseen), "label never seen in train.csv")

    def _domain(self, comp: Competition, train: pd.DataFrame, test: pd.DataFrame) -> None:
        features = [c for c in train.columns if c not in (comp.id_column, comp.target_column)]
        if comp.domain == "vision":
            for name, frame in ((TRAIN_FILE, train), (TEST_FILE, test)):
                for c in features:
                    if not pd.api.types.is_numeric_dtype(frame[c]):
                        bad = pd.to_numeric(frame[c], errors="coerce").isna()
                        self.add_rows(name, c, _rows(bad), "vision: pixel columns must be numbers")
                        break
        elif comp.domain == "text":
            if not any(pd.api.types.is_string_dtype(train[c]) or train[c].dtype == object for c in features):
                self.add(TRAIN_FILE, None, None, "text: needs a text (string) feature column")


def validate(directory: Path) -> list[Problem]:
    return Validator(directory).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haste_runner.validate", description=__doc__)
    parser.add_argument("--competition", type=Path, required=True, help="the competition folder")
    args = parser.parse_args(argv)
    try:
        problems = validate(args.competition.resolve())
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        print(json.dumps({"event": "error", "kind": "infrastructure", "message": f"{type(e).__name__}: {e}"}))
        return 1
    print(json.dumps({"ok": not problems, "problems": [asdict(p) for p in problems]}))
    return 0 if not problems else USER_FAULT_EXIT


if __name__ == "__main__":
    sys.exit(main())
