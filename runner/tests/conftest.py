"""Shared fixtures: competitions prepared once per session, and a CLI runner for train jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from haste_runner.prepare import DEFAULT_DEFINITIONS, prepare_one

RUNNER_DIR = Path(__file__).resolve().parents[1]


def runner_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(RUNNER_DIR)}


@dataclass
class CliResult:
    rc: int
    events: list[dict]
    stderr: str


def _parse(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def run_cli(module: str, *args: str) -> CliResult:
    """Run a CLI in a fresh interpreter (needed for exit codes, kills and process settings)."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env=runner_env(), timeout=120
    )
    return CliResult(proc.returncode, _parse(proc.stdout), proc.stderr)


def run_main(main: Callable[[list[str]], int], capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """Run a CLI's main() in-process: same code path, without paying for a new interpreter."""
    rc = main(list(args))
    captured = capsys.readouterr()
    return CliResult(rc, _parse(captured.out), captured.err)


def run_train(tmp_path: Path, job: dict, name: str = "job.json") -> CliResult:
    path = tmp_path / name
    path.write_text(json.dumps(job))
    return run_cli("haste_runner.train", "--job", str(path))


@pytest.fixture(scope="session")
def competitions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("competitions")
    for definition in sorted(DEFAULT_DEFINITIONS.iterdir()):
        prepare_one(definition, out)
    return out
