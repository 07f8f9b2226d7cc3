"""A retried attempt resumes from the newest valid checkpoint: the heartbeat's or a newer one on disk."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from haste_runner.events import EventLog
from haste_runner.train import Job, run

PARAMS = {"epochs": 4, "trees_per_epoch": 5}


def _job(competition: Path, workdir: Path, **extra) -> dict:
    return {
        "competitionDir": str(competition),
        "template": "random_forest",
        "params": PARAMS,
        "seed": 1,
        "folds": 3,
        "workdir": str(workdir),
        "resumeFrom": None,
        "checkpointEvery": 1,
        "attempt": 1,
        **extra,
    }


def _run(job: dict) -> list[dict]:
    out = io.StringIO()
    run(Job.from_dict(job), EventLog(None, job["attempt"], out))
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture(scope="module")
def finished(competitions: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """A completed run: its workdir keeps epoch-3.pkl and epoch-4.pkl."""
    workdir = tmp_path_factory.mktemp("finished")
    events = _run(_job(competitions / "breast-cancer", workdir))
    assert sorted(p.name for p in (workdir / "checkpoints").iterdir()) == ["epoch-3.pkl", "epoch-4.pkl"]
    return workdir, events


def _copy(finished: tuple[Path, list[dict]], tmp_path: Path) -> Path:
    workdir = tmp_path / "step"
    shutil.copytree(finished[0] / "checkpoints", workdir / "checkpoints")
    return workdir


def _resumed_from(events: list[dict]) -> int:
    assert events[0]["event"] == "start"
    return events[0]["resumedFromEpoch"]


def test_a_newer_checkpoint_on_disk_beats_the_heartbeats(competitions: Path, finished, tmp_path: Path) -> None:
    workdir = _copy(finished, tmp_path)
    hint = workdir / "checkpoints" / "epoch-3.pkl"  # the last one the throttled heartbeat carried
    events = _run(_job(competitions / "breast-cancer", workdir, resumeFrom=str(hint), attempt=2))
    assert _resumed_from(events) == 4
    assert events[-1]["cvScore"] == finished[1][-1]["cvScore"]


def test_a_retry_without_a_heartbeat_checkpoint_still_finds_one(competitions: Path, finished, tmp_path: Path) -> None:
    workdir = _copy(finished, tmp_path)
    assert _resumed_from(_run(_job(competitions / "breast-cancer", workdir, attempt=2))) == 4


def test_a_first_attempt_never_picks_up_leftovers(competitions: Path, finished, tmp_path: Path) -> None:
    workdir = _copy(finished, tmp_path)
    assert _resumed_from(_run(_job(competitions / "breast-cancer", workdir))) == 0


def test_invalid_candidates_are_skipped_for_the_next_older(
    competitions: Path, finished, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = _copy(finished, tmp_path)
    ckpts = workdir / "checkpoints"
    (ckpts / "epoch-4.pkl").write_bytes(b"not a pickle")  # torn / tampered
    os.symlink(finished[0] / "checkpoints" / "epoch-4.pkl", ckpts / "epoch-9.pkl")  # valid content, but a link
    outside = tmp_path / "elsewhere" / "epoch-7.pkl"  # a hint outside the workdir
    outside.parent.mkdir()
    shutil.copy(finished[0] / "checkpoints" / "epoch-4.pkl", outside)
    events = _run(_job(competitions / "breast-cancer", workdir, resumeFrom=str(outside), attempt=3))
    assert _resumed_from(events) == 3
    err = capsys.readouterr().err
    assert "epoch-9.pkl skipped: a symbolic link" in err
    assert "epoch-7.pkl skipped: outside the step's workdir" in err
    assert "epoch-4.pkl skipped: unreadable" in err
    assert events[-1]["cvScore"] == finished[1][-1]["cvScore"]


def test_checkpoints_of_another_run_are_not_resumed(
    competitions: Path, finished, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = _copy(finished, tmp_path)
    events = _run(
        _job(
            competitions / "breast-cancer",
            workdir,
            seed=2,
            attempt=2,
            resumeFrom=str(workdir / "checkpoints" / "epoch-4.pkl"),
        )
    )
    assert _resumed_from(events) == 0
    assert events[-1]["event"] == "result"
    assert "from a different run" in capsys.readouterr().err
