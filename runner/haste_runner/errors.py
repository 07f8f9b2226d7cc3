"""Error kinds that map onto the runner's exit-code contract."""

# Exit code for failures caused by the job, the solution or the submission (not the platform).
USER_FAULT_EXIT = 2


class SolutionError(Exception):
    """The job or solution is at fault: unknown template, bad params, fingerprint mismatch..."""


class SubmissionError(Exception):
    """A submission file is malformed or does not match the answers."""
