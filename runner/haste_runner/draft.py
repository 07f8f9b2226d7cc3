"""Drafts competition.yaml from the data: `python -m haste_runner.draft --dir DIR --train TRAIN.csv --test
TEST.csv --target COLUMN [--id COLUMN] [--force]` (what `haste competitions init` runs).

Guesses the task type, the metric, the id column, the free-text columns, the image shape (pixel columns
px_<r>_<c>[_<ch>] or pixel<i>) and, for forecasting, the series / time columns, the horizon and the
frequency. Prints the draft (with what was guessed) for the user to confirm, and writes DIR/competition.yaml
only when it is absent or with --force; train/test files given from elsewhere are copied into DIR.
Exits 2, saying the fix, when the data does not allow a draft (target missing, no id column, ...).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .competition import SPEC_FILE, TEST_FILE, TRAIN_FILE, Competition, CompetitionSpecError, read_csv
from .errors import USER_FAULT_EXIT

ID_NAMES = re.compile(r"^(id|.*[_ ]id|row|index|key)$", re.IGNORECASE)
# Seasonal period by frequency (pandas offset alias prefix): a yearly cycle, or a weekly one for days.
SEASONS = {"MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "Q": 4, "W": 52, "D": 7, "B": 5, "h": 24, "H": 24}


class DraftError(Exception):
    """The data does not allow a draft; the message says what to do."""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "my-competition"


def _id_column(train: pd.DataFrame, test: pd.DataFrame, target: str) -> str:
    shared = [c for c in train.columns if c in test.columns and c != target]
    unique = [c for c in shared if train[c].is_unique and test[c].is_unique and train[c].notna().all()]
    named = [c for c in unique if ID_NAMES.match(str(c))]
    if named or unique:
        return (named or unique)[0]
    raise DraftError(
        "no column identifies rows uniquely in both train.csv and test.csv: add one (e.g. id = the row "
        "number) or name it with --id"
    )


def _times(values: pd.Series) -> pd.Series | None:
    """The column as timestamps when every value is an ISO 8601 date/time, else None."""
    if pd.api.types.is_numeric_dtype(values) or values.isna().any():
        return None
    text = values.astype(str)
    if not text.str.match(r"^\d{4}-\d{2}(-\d{2})?([T ]\d{2}:\d{2}(:\d{2})?.*)?$").all():
        return None
    try:
        return pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError):
        return None


def _forecasting(train: pd.DataFrame, test: pd.DataFrame, target: str, id_col: str) -> dict[str, Any] | None:
    """Series/time columns when test continues train's series in time (long format), else None."""
    for time_col in [c for c in test.columns if c != id_col and c in train.columns]:
        train_t, test_t = _times(train[time_col]), _times(test[time_col])
        if train_t is None or test_t is None:
            continue
        candidates = [
            c
            for c in test.columns
            if c not in (id_col, time_col)
            and c in train.columns
            and not pd.api.types.is_float_dtype(train[c])
            and train[c].nunique() <= max(1, len(train) // 4)
        ]
        for series_col in candidates:
            keys = train[series_col].astype(str)
            if pd.DataFrame({"s": keys, "t": train_t}).duplicated().any():
                continue
            last = train_t.groupby(keys).max()
            test_keys = test[series_col].astype(str)
            if not test_keys.isin(last.index).all() or not (test_t.to_numpy() > last.loc[test_keys].to_numpy()).all():
                continue
            longest = train_t[keys == keys.value_counts().index[0]].sort_values()
            with pd.option_context("future.infer_freq_returns_offset", True):
                offset = pd.infer_freq(pd.DatetimeIndex(longest)) if len(longest) >= 3 else None
            spec: dict[str, Any] = {
                "horizon": int(test_keys.value_counts().max()),
                "series_column": series_col,
                "time_column": time_col,
            }
            season = SEASONS.get(re.sub(r"[-\d].*$", "", offset.freqstr)) if offset is not None else None
            if season and len(longest) >= 2 * season:
                spec["season_length"] = season
            return spec
        if train_t.is_unique and test_t.min() > train_t.max():
            raise DraftError(
                f"this looks like one time series in {time_col!r}: add a series column to both files "
                "(e.g. series_id, the same value on every row), then run init again"
            )
    return None


def _text_columns(train: pd.DataFrame, columns: list[str]) -> list[str]:
    out = []
    for c in columns:
        values = train[c].dropna().astype(str)
        if pd.api.types.is_numeric_dtype(train[c]) or values.empty:
            continue
        # Free text: several words on average and mostly distinct values (a category repeats).
        if values.str.split().str.len().mean() >= 3 and values.nunique() >= 0.5 * len(values):
            out.append(c)
    return out


def _image(columns: list[str]) -> dict[str, Any] | None:
    """An image when every feature column is one name with 1-3 numbers in it: (row, column[, channel]) or a flat
    index over a square greyscale image; the channel slot is the one numbering at most 4."""
    templates = {re.sub(r"\d+", "{}", c) for c in columns}
    if len(columns) < 4 or len(templates) != 1:
        return None
    (template,) = templates
    numbers = [[int(n) for n in re.findall(r"\d+", c)] for c in columns]
    slots = template.count("{}")
    sizes = [max(n[i] for n in numbers) + 1 for i in range(slots)]
    if slots == 1:
        side = round(len(columns) ** 0.5)
        if side * side != len(columns) or sizes[0] != len(columns):
            return None
        return {"height": side, "width": side, "channels": 1, "pixel_pattern": template.format("{i}")}
    if slots == 2:
        names = ["{r}", "{c}"]
    elif slots == 3 and min(sizes) <= 4:
        ch = sizes.index(min(sizes))
        rest = iter(["{r}", "{c}"])
        names = ["{ch}" if i == ch else next(rest) for i in range(3)]
    else:
        return None
    shape = dict(zip(names, sizes))
    height, width, channels = shape["{r}"], shape["{c}"], shape.get("{ch}", 1)
    if height * width * channels != len(columns):
        return None
    return {"height": height, "width": width, "channels": channels, "pixel_pattern": template.format(*names)}


def draft(
    directory: Path, train: pd.DataFrame, test: pd.DataFrame, target: str, id_col: str | None
) -> tuple[dict, list[str]]:
    """The drafted competition.yaml and what was guessed, one line each."""
    if target not in train.columns:
        raise DraftError(
            f"--target {target!r} is not a column of the training file (columns: {', '.join(map(str, train.columns))})"
        )
    if target in test.columns:
        raise DraftError(
            f"the test file has the target column {target!r}: move its values to answers.csv "
            "(id and target) and drop the column from the test file"
        )
    id_col = id_col or _id_column(train, test, target)
    if id_col not in train.columns or id_col not in test.columns:
        raise DraftError(f"--id {id_col!r} must be a column of both files")
    notes = [f"id_column {id_col}: unique in both files"]
    spec: dict[str, Any] = {"id": _slug(directory.name), "title": directory.name}
    forecasting = _forecasting(train, test, target, id_col)
    y = train[target].dropna()
    features = [c for c in train.columns if c not in (id_col, target)]
    if forecasting is not None:
        spec.update(
            domain="time-series",
            task_type="forecasting",
            target_column=target,
            id_column=id_col,
            metric={"name": "mae", "direction": "minimize"},
        )
        notes.append(
            f"forecasting: test continues each {forecasting['series_column']} series in "
            f"{forecasting['time_column']}; horizon {forecasting['horizon']} = the most test rows of a series"
        )
        if "season_length" in forecasting:
            notes.append(f"season_length {forecasting['season_length']}: from the timestamps' frequency")
        extra = forecasting
    else:
        numeric = pd.api.types.is_numeric_dtype(y)
        whole = numeric and bool((y == y.round()).all())
        if y.nunique() == 2:
            task, metric = "binary", {"name": "roc_auc", "direction": "maximize"}
        elif not numeric or (whole and y.nunique() <= 20):
            task, metric = "multiclass", {"name": "accuracy", "direction": "maximize"}
        else:
            task, metric = "regression", {"name": "rmse", "direction": "minimize"}
        notes.append(f"task_type {task}: the target has {y.nunique()} distinct {'numbers' if numeric else 'values'}")
        text = _text_columns(train, features)
        image = _image(features)
        domain = "vision" if image else "text" if text and task != "regression" else "tabular"
        spec.update(domain=domain, task_type=task, target_column=target, id_column=id_col, metric=metric)
        extra = {}
        if text:
            extra["text_columns"] = text
            notes.append(f"text_columns {', '.join(text)}: several words per value, mostly distinct")
        if image:
            extra["image"] = image
            notes.append(f"image {image['height']}x{image['width']}x{image['channels']}: from the pixel column names")
    spec["budget"] = {"compute_seconds": 300, "max_steps": 10}
    spec.update(extra)
    notes.append(
        f"metric {spec['metric']['name']} and budget: defaults for a {spec['task_type']} task; change them freely"
    )
    Competition.from_dict(spec)  # a draft that breaks the contract is a bug here, not the user's
    return spec, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haste_runner.draft", description=__doc__)
    parser.add_argument("--dir", type=Path, required=True, help="the competition folder to draft for")
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--target", required=True, help="the column to predict")
    parser.add_argument("--id", dest="id_column", help="the row id column (default: guessed)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing competition.yaml")
    args = parser.parse_args(argv)
    directory = args.dir.resolve()
    try:
        for path in (args.train, args.test):
            if not path.is_file():
                raise DraftError(f"{path} does not exist")
        spec, notes = draft(directory, read_csv(args.train), read_csv(args.test), args.target, args.id_column)
    except (DraftError, CompetitionSpecError, pd.errors.ParserError, UnicodeDecodeError) as e:
        print(f"haste: {e}", file=sys.stderr)
        return USER_FAULT_EXIT
    text = yaml.safe_dump(spec, sort_keys=False)
    print(f"# {directory / SPEC_FILE}: a draft from the data. Guessed:")
    for note in notes:
        print(f"#   {note}")
    print(text, end="")
    target = directory / SPEC_FILE
    if target.exists() and not args.force:
        print(f"# not written: {target} exists (pass --force to replace it)", file=sys.stderr)
        return 0
    directory.mkdir(parents=True, exist_ok=True)
    for source, name in ((args.train, TRAIN_FILE), (args.test, TEST_FILE)):
        if source.resolve() != directory / name:
            if (directory / name).exists() and not args.force:
                print(f"# not copied: {directory / name} exists (pass --force to replace it)", file=sys.stderr)
            else:
                shutil.copyfile(source, directory / name)
    target.write_text(text, encoding="utf-8")
    print(
        f"# written: {target}. Check it, add answers.csv (id and target of the test rows) to grade, then run "
        f"`haste competitions validate {directory}`",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
