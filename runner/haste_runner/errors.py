"""Error kinds that map onto the runner's exit-code contract, and where a fault comes from.

A failure is classified by *where it was raised*, not by its message:
- inside the solution (its params, its feature steps, its model's fit / predict, the metric on its
  predictions, pickling its state): the solution's fault, exit 2, never retried — retrying the same
  code on the same data fails the same way;
- while loading the competition folder (competition.yaml, train.csv, test.csv): the user's data is at
  fault, exit 2;
- anywhere else (the runner's own files: job, progress log, checkpoints, submission; a crash; a
  signal): the platform's fault, exit 1, retried.
The one exception inside the first two: an OSError whose errno says the *environment* failed (EIO,
a full disk, a stale network mount...) is the platform's, wherever it was raised.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

# Exit code for failures caused by the job, the solution, the competition or the submission (not the platform).
USER_FAULT_EXIT = 2

# errno values that describe the machine, not the code that ran into them: transient or host-level.
ENVIRONMENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "EIO",
        "ENOSPC",
        "EDQUOT",
        "ESTALE",
        "ENOMEM",
        "EAGAIN",
        "EBUSY",
        "ETIMEDOUT",
        "ENFILE",
        "EMFILE",
        "ECONNRESET",
        "ECONNABORTED",
        "ENETDOWN",
        "ENETUNREACH",
        "EHOSTUNREACH",
        "EREMOTEIO",
        "ENOLINK",
    )
    if hasattr(errno, name)
)


class SolutionError(Exception):
    """The job or solution is at fault: unknown template, bad params, a model that fails on this data,
    predictions the metric cannot score... Exit 2, reported as kind `solution`."""

    kind = "solution"


class CompetitionError(SolutionError):
    """The competition folder is at fault: competition.yaml invalid, a data file missing or unreadable.
    Exit 2 like a solution error (no retry can fix it), reported as kind `competition`."""

    kind = "competition"


class SubmissionError(Exception):
    """A submission file is malformed or does not match the answers."""


def is_environment_fault(e: BaseException) -> bool:
    """An OSError the host caused (I/O error, disk full, stale mount): worth a retry wherever it came from."""
    return isinstance(e, OSError) and e.errno in ENVIRONMENT_ERRNOS


@contextmanager
def _fault_of(kind: type[SolutionError], what: str) -> Iterator[None]:
    """Whatever the code inside raises becomes a `kind` naming `what`, unless the host failed (retried)."""
    try:
        yield
    except SolutionError:
        raise
    except Exception as e:
        if is_environment_fault(e):
            raise
        raise kind(f"{what}: {_describe(e)}") from e


def solution_code(what: str) -> AbstractContextManager[None]:
    """Runs code on the solution's behalf: whatever it raises becomes a SolutionError naming `what`.

    Exception, not BaseException: KeyboardInterrupt stays a signal; SystemExit from user code is
    caught where that code is imported (templates/tabular.py).
    """
    return _fault_of(SolutionError, what)


def competition_data(what: str) -> AbstractContextManager[None]:
    """Loads or reads the competition's own files: a failure is the competition's (exit 2)."""
    return _fault_of(CompetitionError, what)


def _describe(e: BaseException) -> str:
    if isinstance(e, MemoryError):
        return "MemoryError: ran out of memory"
    text = str(e).strip()
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
