"""Atomic, fingerprinted training checkpoints: workdir/checkpoints/epoch-<e>.pkl."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cv import FoldState
from .errors import solution_code

KEEP = 2  # newest checkpoints kept on disk
NAME = re.compile(r"^epoch-(\d+)\.pkl$")


@dataclass
class Checkpoint:
    fingerprint: str
    epoch: int
    folds: list[FoldState]


def fingerprint(template: str, params: dict[str, Any], seed: int, folds: int, train_sha256: str) -> str:
    """Identity of a training run: resuming is only valid into the exact same run."""
    payload = json.dumps(
        {"template": template, "params": params, "seed": seed, "folds": folds, "train": train_sha256}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write tmp + fsync + rename, then prune, so a crash never leaves a torn checkpoint."""
    # Pickling runs the models' own code (a custom solution's model may not pickle): the solution's
    # fault. Writing the bytes is the runner's own I/O: a failure there is the platform's.
    with solution_code("checkpointing the model state (pickle)"):
        data = pickle.dumps(checkpoint, protocol=pickle.HIGHEST_PROTOCOL)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"epoch-{checkpoint.epoch}.pkl"
    tmp = directory / f".epoch-{checkpoint.epoch}.pkl.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
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
    keep = {current, *older[-(KEEP - 1) :]}
    for e in epochs:
        if e not in keep:
            (directory / f"epoch-{e}.pkl").unlink(missing_ok=True)


def _epoch_of(path: Path) -> int | None:
    m = NAME.match(path.name)
    return int(m.group(1)) if m else None


def _candidates(directory: Path, hint: Path | None) -> list[Path]:
    """The heartbeat's checkpoint and every epoch-<e>.pkl in the directory, newest epoch first."""
    paths = {hint} if hint is not None else set()
    if directory.is_dir() and not directory.is_symlink():
        paths.update(p for p in directory.iterdir() if NAME.match(p.name))
    return sorted(paths, key=lambda p: _epoch_of(p) or -1, reverse=True)


def _unusable(path: Path, workdir: Path) -> str | None:
    """Why a candidate checkpoint must not be read: outside the workdir, a link, not a regular file."""
    try:
        parent = path.parent.resolve(strict=True)
        if not parent.is_relative_to(workdir.resolve()):
            return "outside the step's workdir"
        info = os.lstat(path)
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if _epoch_of(path) is None:
        return "not named epoch-<e>.pkl"
    return None


def newest_valid(directory: Path, hint: Path | None, workdir: Path, expected_fingerprint: str) -> Checkpoint | None:
    """The newest checkpoint to resume from: the heartbeat's (`hint`) or a newer one in `directory`.

    Heartbeats are throttled, so the newest checkpoint on disk can be newer than the last one the
    server recorded. A candidate is used only if it is a regular file inside the workdir (not a
    link), unpickles to a Checkpoint of the same run (fingerprint) and epoch; anything else is
    skipped with a note on stderr, and the next older one tried. None: start from scratch.
    """
    for path in _candidates(directory, hint):
        why = _unusable(path, workdir)
        if why is None:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
                with os.fdopen(fd, "rb") as f:
                    found = pickle.load(f)
            except Exception as e:  # noqa: BLE001 - a torn or foreign file is not this run's checkpoint
                why = f"unreadable ({type(e).__name__}: {e})"
            else:
                if not isinstance(found, Checkpoint):
                    why = "not a HASTE checkpoint"
                elif found.fingerprint != expected_fingerprint:
                    why = "from a different run (template, params, seed, folds or train.csv changed)"
                elif found.epoch != _epoch_of(path):
                    why = f"holds epoch {found.epoch}, not the epoch its name says"
                else:
                    return found
        print(f"checkpoint {path} skipped: {why}", file=sys.stderr)
    return None
