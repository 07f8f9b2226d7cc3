"""The `cnn` vision template on CPU and on CUDA, through the real runner: prints seconds, scores and
the CPU/GPU ratio per competition.

Runs where Node is absent (a GPU host has only Python):

    PYTHONPATH=runner python bench/cnn_devices.py --competition DIR [--competition DIR ...]
        [--fashion-full IDX_DIR] [--epochs N] [--channels N] [--devices cpu,cuda] [--json OUT]

Each run is `python -m haste_runner.train --job ...` exactly as a GPU-queue slot starts it (one
CPU thread, OMP/BLAS pinned to 1), with CUDA_VISIBLE_DEVICES empty for `cpu` and `0` for `cuda`;
the submission is graded on the competition's hidden answers. `--fashion-full` first writes a
bring-your-own competition with all 70 000 Fashion-MNIST images at 28x28 (the official 60k/10k
split) from Debian's IDX files, so the GPU has work of a real size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from haste_runner import grade
from haste_runner.competition import ANSWERS_FILE, Competition, read_csv
from haste_runner.datasets.vision import FASHION_CLASSES, pixel_frame, read_idx


def write_fashion_full(idx_dir: Path, out: Path) -> Path:
    """A BYO competition folder: 60k train / 10k test 28x28 images, accuracy."""
    out.mkdir(parents=True, exist_ok=True)
    names = np.array(FASHION_CLASSES)
    splits = {
        "train": (read_idx("train-images-idx3-ubyte.gz", idx_dir), read_idx("train-labels-idx1-ubyte.gz", idx_dir)),
        "test": (read_idx("t10k-images-idx3-ubyte.gz", idx_dir), read_idx("t10k-labels-idx1-ubyte.gz", idx_dir)),
    }
    offset = 0
    for split, (images, labels) in splits.items():
        frame = pixel_frame(images.astype(np.int64), names[labels])
        frame.insert(0, "id", np.arange(offset, offset + len(frame)))
        offset += len(frame)
        if split == "train":
            frame.to_csv(out / "train.csv", index=False)
        else:
            frame.drop(columns="target").to_csv(out / "test.csv", index=False)
            frame[["id", "target"]].to_csv(out / ANSWERS_FILE, index=False)
    (out / "competition.yaml").write_text(
        "id: fashion-mnist-full\ntitle: Fashion-MNIST 28x28, official split\ndomain: vision\n"
        "task_type: multiclass\ntarget_column: target\nid_column: id\n"
        "metric: { name: accuracy, direction: maximize }\nbudget: { compute_seconds: 3600, max_steps: 8 }\n"
        "source: Debian package dataset-fashion-mnist (IDX files), all images, official split\n"
    )
    return out


def train_rows(competition: Path) -> int:
    # Pixel CSVs have one record a line: counting lines spares parsing 60k x 784 cells again.
    with open(competition / "train.csv", "rb") as f:
        return sum(1 for _ in f) - 1


def run_one(competition: Path, device: str, params: dict, folds: int, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    job = {
        "competitionDir": str(competition),
        "template": "cnn",
        "params": params,
        "seed": 0,
        "folds": folds,
        "workdir": str(workdir),
        "resumeFrom": None,
        "checkpointEvery": 0,
        "attempt": 1,
    }
    job_file = workdir / "job.json"
    job_file.write_text(json.dumps(job))
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "0" if device == "cuda" else "",
    }
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "haste_runner.train", "--job", str(job_file)], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    result = next((e for e in events if e["event"] == "result"), None)
    if proc.returncode != 0 or result is None:
        raise RuntimeError(f"{competition.name} on {device}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    comp = Competition.load(competition)
    answers = read_csv(competition / ANSWERS_FILE)
    graded = grade.score(comp, answers, grade.read_submission(Path(result["submission"]), comp, answers))
    return {
        "competition": comp.id,
        "device": device,
        "wallSeconds": round(wall, 2),
        "cpuSeconds": round(result["cpuSeconds"], 2),
        "cvScore": round(result["cvScore"], 4),
        "gradedScore": round(graded, 4),
        "epochs": result["epochs"],
        "folds": folds,
        "trainRows": train_rows(competition),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--competition", type=Path, action="append", default=[], help="prepared competition folder")
    parser.add_argument("--fashion-full", type=Path, help="folder with Fashion-MNIST's four IDX .gz files")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--devices", default="cpu,cuda")
    parser.add_argument("--json", type=Path, help="write the rows here too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="haste-cnn-bench-") as tmp:
        competitions = list(args.competition)
        if args.fashion_full:
            started = time.perf_counter()
            competitions.append(write_fashion_full(args.fashion_full, Path(tmp) / "fashion-mnist-full"))
            print(f"wrote fashion-mnist-full in {time.perf_counter() - started:.1f} s", flush=True)
        params = {"epochs": args.epochs, "channels": args.channels, "batch_size": args.batch_size}
        rows = []
        for competition in competitions:
            for device in args.devices.split(","):
                row = run_one(competition, device, params, args.folds, Path(tmp) / f"{competition.name}-{device}")
                rows.append(row)
                print(json.dumps(row), flush=True)
        frame = pd.DataFrame(rows)
        print(frame.to_string(index=False))
        wall = frame.pivot(index="competition", columns="device", values="wallSeconds")
        if {"cpu", "cuda"} <= set(wall.columns):
            for comp_id, r in wall.iterrows():
                print(f"{comp_id}: cpu {r['cpu']:.1f} s, cuda {r['cuda']:.1f} s, cpu/cuda {r['cpu'] / r['cuda']:.2f}x")
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
