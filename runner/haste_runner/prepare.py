"""Prepare built-in competitions: `python -m haste_runner.prepare --out DIR [--only ID ...]`.

Writes <out>/<id>/{competition.yaml, description.md, train.csv, test.csv, answers.csv} and a
`.prepared.json` of their sha256 hashes. Re-running skips folders whose files still match.
Prints one JSON line per competition.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .competition import (
    ANSWERS_FILE,
    DESCRIPTION_FILE,
    SERIES_COLUMN,
    SPEC_FILE,
    TEST_FILE,
    TRAIN_FILE,
    Competition,
    sha256_file,
)
from .datasets import BUILDERS

SPLIT_SEED = 20240917  # fixed forever: changing it changes every competition's split
TEST_FRACTION = 0.25
MANIFEST = ".prepared.json"
DEFAULT_DEFINITIONS = Path(__file__).resolve().parents[2] / "competitions"


@dataclass(frozen=True)
class Prepared:
    id: str
    dir: Path
    files: dict[str, str]
    rows: dict[str, int]

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "dir": str(self.dir), "files": self.files, "rows": self.rows})


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    # Fixed line terminator and pandas' shortest round-trip float repr keep output byte-stable.
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def split(comp: Competition, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Shuffle, assign ids, and split into (train, test, answers), each sorted by id."""
    # Ids follow a seeded shuffle so they carry no information about the source row order
    # (e.g. Titanic's source is sorted by class and name).
    order = np.random.RandomState(SPLIT_SEED).permutation(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    frame = frame.rename(columns={"target": comp.target_column})
    frame.insert(0, comp.id_column, np.arange(len(frame), dtype=np.int64))
    stratify = frame[comp.target_column] if comp.is_classification else None
    train, test = train_test_split(frame, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=stratify)
    train = train.sort_values(comp.id_column)
    test = test.sort_values(comp.id_column)
    answers = test[[comp.id_column, comp.target_column]]
    return train, test.drop(columns=[comp.target_column]), answers


def split_forecasting(comp: Competition, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The last `horizon` points of every series are the test set; ids number rows by (series, time)."""
    assert comp.horizon is not None
    frame = frame.rename(columns={"value": comp.target_column}).reset_index(drop=True)
    position = frame.groupby(SERIES_COLUMN, sort=False).cumcount(ascending=False)
    is_test = (position < comp.horizon).to_numpy()
    train, test = frame[~is_test], frame[is_test]
    train.insert(0, comp.id_column, np.arange(len(train), dtype=np.int64))
    test.insert(0, comp.id_column, np.arange(len(train), len(frame), dtype=np.int64))
    answers = test[[comp.id_column, comp.target_column]]
    return train, test.drop(columns=[comp.target_column]), answers


def _definition_files(definition_dir: Path) -> dict[str, bytes]:
    names = [SPEC_FILE] + ([DESCRIPTION_FILE] if (definition_dir / DESCRIPTION_FILE).exists() else [])
    return {name: (definition_dir / name).read_bytes() for name in names}


def _up_to_date(out_dir: Path, definition: dict[str, bytes]) -> Prepared | None:
    manifest_path = out_dir / MANIFEST
    if not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text())
    files: dict[str, str] = manifest["files"]
    if not definition.keys() <= files.keys():
        return None
    for name, digest in files.items():
        path = out_dir / name
        if not path.exists() or sha256_file(path) != digest:
            return None
    # A changed definition (yaml/description) must trigger a rebuild.
    for name, data in definition.items():
        if (out_dir / name).read_bytes() != data:
            return None
    return Prepared(manifest["id"], out_dir, files, manifest["rows"])


def prepare_one(definition_dir: Path, out: Path) -> Prepared:
    comp = Competition.load(definition_dir)
    if comp.id != definition_dir.name:
        raise ValueError(f"{definition_dir}: folder name does not match id {comp.id!r}")
    if comp.id not in BUILDERS:
        raise ValueError(f"no data builder for competition {comp.id!r}; built-in: {sorted(BUILDERS)}")
    out_dir = out / comp.id
    definition = _definition_files(definition_dir)
    existing = _up_to_date(out_dir, definition)
    if existing is not None:
        return existing

    out_dir.mkdir(parents=True, exist_ok=True)
    frame = BUILDERS[comp.id]()
    train, test, answers = (split_forecasting if comp.task_type == "forecasting" else split)(comp, frame)
    contents = dict(definition)
    contents.update({TRAIN_FILE: _csv_bytes(train), TEST_FILE: _csv_bytes(test), ANSWERS_FILE: _csv_bytes(answers)})
    files: dict[str, str] = {}
    for name, data in contents.items():
        _write_atomic(out_dir / name, data)
        files[name] = sha256_file(out_dir / name)
    prepared = Prepared(comp.id, out_dir, files, {"train": len(train), "test": len(test)})
    # The manifest is written last, so an interrupted run is redone rather than trusted.
    manifest = {"id": comp.id, "files": files, "rows": prepared.rows}
    _write_atomic(out_dir / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    return prepared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haste_runner.prepare", description=__doc__)
    parser.add_argument("--out", required=True, type=Path, help="folder to write <id>/ folders into")
    parser.add_argument("--only", nargs="+", action="extend", metavar="ID", help="prepare only these ids")
    parser.add_argument(
        "--definitions", type=Path, default=DEFAULT_DEFINITIONS, help="folder of <id>/competition.yaml definitions"
    )
    args = parser.parse_args(argv)

    available = sorted(p.name for p in args.definitions.iterdir() if (p / SPEC_FILE).exists())
    wanted = args.only or available
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        print(f"unknown competition ids {unknown}; available: {available}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    for comp_id in wanted:
        print(prepare_one(args.definitions / comp_id, out).to_json(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
