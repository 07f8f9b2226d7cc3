"""Out-of-fold and test predictions every training step leaves in its workdir, so an ensemble of
earlier steps needs no retraining:

- `oof.npy`: the fold models' predictions of their held-out rows (regression / forecasting: values;
  classification: probabilities per class, columns in `classes` order), row i = `oof_target.npy[i]`;
- `oof_target.npy`: the truth of those rows (class index for classification);
- `oof_folds.npy`: the fold each row was held out in;
- `test_pred.npy`: the test predictions before finalising (probabilities for classification), in
  submission.csv row order;
- `artifact.json`: what makes two steps' predictions comparable (train.csv hash, seed, folds, a hash
  of the fold assignment), the classes and the positive class, the metric and the CV score.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SolutionError

META = "artifact.json"
FILES = ("oof.npy", "oof_target.npy", "oof_folds.npy", "test_pred.npy")


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def folds_hash(folds: np.ndarray, target: np.ndarray) -> str:
    h = hashlib.sha256(np.ascontiguousarray(folds, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(target, dtype=np.float64).tobytes())
    return h.hexdigest()


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write(workdir: Path, cv: Any, meta: dict[str, Any]) -> None:
    """`cv`: a validation object after its final scores() and predict_test() (they cache what is written)."""
    oof, target, folds = cv.oof()
    _save(workdir / "oof.npy", np.asarray(oof, dtype=float))
    _save(workdir / "oof_target.npy", np.asarray(target, dtype=float))
    _save(workdir / "oof_folds.npy", np.asarray(folds, dtype=np.int64))
    _save(workdir / "test_pred.npy", np.asarray(cv.test_raw, dtype=float))
    classes = getattr(cv, "classes", None)
    positive = getattr(cv, "positive", None)
    info = {
        "version": 1,
        **meta,
        "rows": int(len(target)),
        "foldsHash": folds_hash(folds, target),
        "classes": None if classes is None else [_plain(c) for c in classes],
        "positive": _plain(positive),
    }
    tmp = workdir / (META + ".tmp")
    tmp.write_text(json.dumps(info, sort_keys=True), encoding="utf-8")
    os.replace(tmp, workdir / META)


@dataclass
class Member:
    label: str
    info: dict[str, Any]
    oof: np.ndarray
    target: np.ndarray
    folds: np.ndarray
    test: np.ndarray
    submission_ids: np.ndarray


def read(label: str, directory: Path, id_column: str) -> Member:
    import pandas as pd

    meta = directory / META
    if not meta.is_file():
        raise SolutionError(f"ensemble member {label!r}: no {META} in {directory} (did that step finish?)")
    info = json.loads(meta.read_text(encoding="utf-8"))
    arrays = [np.load(directory / name, allow_pickle=False) for name in FILES]
    ids = pd.read_csv(directory / "submission.csv", keep_default_na=False, na_values=[""])[id_column].to_numpy()
    return Member(label, info, *arrays, ids)
