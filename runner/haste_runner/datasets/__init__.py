"""Raw tables for the built-in competitions, one module per domain.

Every builder reads only files that ship inside installed packages (the sklearn, statsmodels and
scikit-image wheels; Debian's dataset-fashion-mnist and fortunes packages) and returns a
DataFrame in a deterministic order. Nothing here touches the network.

Classification/regression builders return features plus a `target` column. Forecasting builders
return long-format rows `(series_id, timestamp, value)` sorted by series then time.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from . import tabular, text, timeseries, vision

BUILDERS: dict[str, Callable[[], pd.DataFrame]] = {
    **tabular.BUILDERS,
    **vision.BUILDERS,
    **text.BUILDERS,
    **timeseries.BUILDERS,
}
