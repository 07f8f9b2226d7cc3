"""The data profile: what the specialist knows of a competition before training anything.

`python -m haste_runner.profile --competition DIR` prints one JSON object, valid against the contract
`profile` (schemas/profile.ts): column kinds and cardinalities, missingness, the target's shape, text
and symbol lengths, the image shape, series count, length, frequency and season. Column roles come
from the pipeline's one adapter (`pipeline/columns.py`), symbol sequences and dates from the same
tests the feature steps use, the season from the forecasters' own detector, so the profile says
what the pipeline will see. A broken folder exits 2 with `{"event":"error",...}`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .competition import TEST_FILE, TRAIN_FILE, Competition, read_csv
from .contracts import problems
from .errors import SolutionError
from .pipeline.columns import data_columns
from .pipeline.sequence import is_sequence
from .pipeline.tabular import is_date
from .pipeline.timeseries import detect_season

USER_FAULT_EXIT = 2


def _column(name: str, col: pd.Series, text: set[str]) -> dict[str, Any]:
    present = col.dropna()
    entry: dict[str, Any] = {
        "name": name,
        "missingShare": float(col.isna().mean()),
        "cardinality": int(present.nunique()),
    }
    if pd.api.types.is_numeric_dtype(col):
        entry["kind"] = "numeric"
        return entry
    values = present.astype(str)
    # ISO dates are fixed-length strings of a small alphabet too: the more specific test goes first.
    if is_date(col):
        entry["kind"] = "datetime"
    elif is_sequence(col):
        entry.update(
            kind="symbols",
            meanLength=float(values.str.len().mean()),
            alphabet=max(1, len(set("".join(values.head(2000))))),
        )
    elif name in text:
        entry.update(kind="text", meanLength=float(values.str.len().mean()) if len(values) else 0.0)
    else:
        entry["kind"] = "categorical"
    return entry


def _target(comp: Competition, y: pd.Series) -> dict[str, Any]:
    y = y.dropna()
    if comp.is_classification:
        shares = y.astype(str).value_counts(normalize=True)
        return {"classes": int(len(shares)), "minorityShare": float(shares.min()) if len(shares) else 0.0}
    values = pd.to_numeric(y, errors="coerce").dropna()
    if values.empty:
        return {}
    skew = float(values.skew()) if len(values) > 2 else 0.0
    return {"min": float(values.min()), "max": float(values.max()), "skew": 0.0 if np.isnan(skew) else skew}


def _series(
    comp: Competition, train: pd.DataFrame, series: str, time: str, value: str, frequency: str | None
) -> dict[str, Any]:
    """`frequency`: the competition's (stated, or inferred from the timestamps when it loaded)."""
    groups = train.sort_values([series, time]).groupby(series, sort=True)
    histories = [g[value].to_numpy(dtype=float) for _, g in groups]
    lengths = [len(h) for h in histories]
    season = comp.season_length or detect_season(histories)
    return {
        "count": len(histories),
        "minLength": min(lengths, default=0),
        "meanLength": float(np.mean(lengths)) if lengths else 0.0,
        "maxLength": max(lengths, default=0),
        "frequency": frequency,
        "season": int(season),
        "horizon": int(comp.horizon or 1),
    }


def profile(directory: Path) -> dict[str, Any]:
    comp = Competition.load(directory)
    train = read_csv(directory / TRAIN_FILE)
    test = read_csv(directory / TEST_FILE)
    features = train.drop(columns=[c for c in (comp.id_column, comp.target_column) if c in train.columns])
    roles = data_columns(comp, features)
    result: dict[str, Any] = {
        "version": 1,
        "taskType": comp.task_type,
        "metric": comp.metric_name,
        "rows": len(train),
        "testRows": len(test),
    }
    excluded = set(roles.image.columns) if roles.image else set()
    if comp.task_type == "forecasting":
        excluded |= {roles.series, roles.time, roles.value}
        value = roles.value if roles.value in train.columns else comp.target_column
        result["series"] = _series(comp, train, roles.series, roles.time, value, roles.frequency)
        y = train[value]
    else:
        y = train[comp.target_column]
    kept = [c for c in features.columns if c not in excluded]
    columns = [_column(c, features[c], set(roles.text)) for c in kept]
    result["columns"] = columns
    result["counts"] = {
        k: sum(c["kind"] == k for c in columns) for k in ("numeric", "categorical", "text", "symbols", "datetime")
    }
    result["maxCardinality"] = max((c["cardinality"] for c in columns if c["kind"] == "categorical"), default=0)
    result["missingShare"] = float(features[kept].isna().to_numpy().mean()) if kept and len(features) else 0.0
    result["target"] = _target(comp, y)
    if roles.image:
        result["image"] = {"height": roles.image.height, "width": roles.image.width, "channels": roles.image.channels}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haste_runner.profile", description=__doc__)
    parser.add_argument("--competition", required=True, type=Path, help="prepared competition folder")
    args = parser.parse_args(argv)
    try:
        result = profile(args.competition)
    except (OSError, ValueError, KeyError, SolutionError) as e:  # a broken folder or competition.yaml
        print(json.dumps({"event": "error", "kind": "competition", "message": f"{type(e).__name__}: {e}"}), flush=True)
        return USER_FAULT_EXIT
    found = problems("profile", result)
    if found:
        # The profile is ours, not the user's: a violation is a bug in this module, worth a loud crash.
        raise AssertionError("profile violates its contract: " + "; ".join(f"{p}: {m}" for p, m in found))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
