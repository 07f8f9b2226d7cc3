"""HASTE runner: competition preparation, epoch-based resumable training and grading."""
