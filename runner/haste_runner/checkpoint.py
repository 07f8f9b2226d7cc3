"""Atomic, fingerprinted training checkpoints: workdir/checkpoints/epoch-<e>.pkl."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cv import FoldState
from .errors import SolutionError

KEEP = 2  # newest checkpoints kept on disk
NAME = re.compile(r"^epoch-(\d+)\.pkl$")


@dataclass
class Checkpoint:
    fingerprint: str
    epoch: int
    folds: list[FoldState]


def fingerprint(template: str, params: dict[str, Any], seed: int, folds: int, train_sha256: str) -> str:
    """Identity of a training run: resuming is only valid into the exact same run."""
    payload = json.dumps({"template": template, "params": params, "seed": seed, "folds": folds,
                          "train": train_sha256}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write tmp + fsync + rename, then prune, so a crash never leaves a torn checkpoint."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"epoch-{checkpoint.epoch}.pkl"
    tmp = directory / f".epoch-{checkpoint.epoch}.pkl.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(checkpoint, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(directory)
    _prune(directory, checkpoint.epoch)
    return path


def _prune(directory: Path, current: int) -> None:
    # Keep the checkpoint just written and the newest one before it. Files from later epochs
    # are leftovers of an earlier attempt that this (resumed) attempt is about to redo.
    epochs = sorted(int(m.group(1)) for p in directory.iterdir() if (m := NAME.match(p.name)))
    older = [e for e in epochs if e < current]
    keep = {current, *older[-(KEEP - 1):]}
    for e in epochs:
        if e not in keep:
            (directory / f"epoch-{e}.pkl").unlink(missing_ok=True)


def load(path: Path, expected_fingerprint: str) -> Checkpoint:
    """Load a checkpoint; a fingerprint mismatch means the job changed and is a solution error."""
    with open(path, "rb") as f:
        checkpoint = pickle.load(f)
    if not isinstance(checkpoint, Checkpoint):
        raise ValueError(f"{path} is not a HASTE checkpoint")
    if checkpoint.fingerprint != expected_fingerprint:
        raise SolutionError(
            f"checkpoint {path} belongs to a different run (template, params, seed, folds or train.csv changed)"
        )
    return checkpoint
