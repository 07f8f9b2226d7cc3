"""Image feature step: pixel columns as images of any number of channels, reordered to one plane
per channel (channel-first, the layout convolutional models read) and scaled to [0, 1] (by the
training maximum when above 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SolutionError
from .base import Context, Step


class Pixels(Step):
    kind = "pixels"

    def select(self, frame: pd.DataFrame, ctx: Context) -> list[str]:
        return []  # the image layout names the columns

    def _fit(self, frame: pd.DataFrame, y: np.ndarray, ctx: Context) -> None:
        image = ctx.columns.image
        if image is None:
            raise SolutionError("feature step 'pixels': the data has no image pixel columns")
        self.image = image
        values = frame[list(image.columns)].to_numpy(dtype=float)
        top = float(np.nanmax(values)) if values.size else 1.0
        # auto: pixels above 1 (8-bit 0-255, or 0-16 like sklearn's digits) are divided by the training
        # maximum into [0, 1]; already-scaled pixels stay as they are.
        self.divisor = top if self.spec["scale"] == "auto" and top > 1.0 else 1.0

    def planes(self, frame: pd.DataFrame) -> np.ndarray:
        """(rows, channels, height, width)."""
        im = self.image
        values = frame[list(im.columns)].to_numpy(dtype=float) / self.divisor
        if im.layout == "chw":
            return values.reshape(-1, im.channels, im.height, im.width)
        return values.reshape(-1, im.height, im.width, im.channels).transpose(0, 3, 1, 2)

    def apply(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
        flat = self.planes(frame).reshape(len(frame), -1)
        rest = frame.drop(columns=list(self.image.columns))
        pixels = self.image.height * self.image.width
        names = [f"img_c{c}_{i}" for c in range(self.image.channels) for i in range(pixels)]
        return pd.concat([rest, pd.DataFrame(flat, index=frame.index, columns=names)], axis=1), []


STEPS = [Pixels]
