"""The runner's line protocol: JSON events on stdout, mirrored durably to progress.jsonl."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO


class EventLog:
    def __init__(self, progress_path: Path | None, attempt: int, stdout: TextIO = sys.stdout) -> None:
        self.progress_path = progress_path
        self.attempt = attempt
        self.stdout = stdout

    def emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, **fields}
        self.stdout.write(json.dumps(record) + "\n")
        self.stdout.flush()
        if self.progress_path is not None:
            # fsync per line: after a crash the file shows exactly what the attempt completed.
            with open(self.progress_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({**record, "attempt": self.attempt}) + "\n")
                f.flush()
                os.fsync(f.fileno())
