"""Time-series built-ins from statsmodels' bundled data sets, in long format.

Each builder returns rows `(series_id, timestamp, value)` sorted by series then time; timestamps are
ISO dates (`YYYY-MM-DD`, the period's first day) or years as integers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from statsmodels import datasets as sm_datasets

from .bundled import package_dir

MACRO_SERIES = ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "pop")


def _long(series_id: str, timestamps: list, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"series_id": series_id, "timestamp": timestamps, "value": np.asarray(values, dtype=float)})


def co2_monthly() -> pd.DataFrame:
    # Weekly Mauna Loa CO2 (1958-2001) -> monthly means; the few empty months are interpolated.
    weekly = sm_datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    return _long("mauna-loa", [d.strftime("%Y-%m-%d") for d in monthly.index], np.round(monthly.to_numpy(), 3))


def sunspots() -> pd.DataFrame:
    data = sm_datasets.sunspots.load_pandas().data
    return _long("sun", data["YEAR"].astype(int).tolist(), data["SUNACTIVITY"].to_numpy())


def elnino() -> pd.DataFrame:
    # Monthly sea surface temperature (Nino 1+2 region), 1950-2010, as one series.
    data = sm_datasets.elnino.load_pandas().data
    months = data.columns[1:]
    stamps = [f"{int(y)}-{m:02d}-01" for y in data["YEAR"] for m in range(1, len(months) + 1)]
    return _long("nino12", stamps, data[months].to_numpy().reshape(-1))


def macro_quarterly() -> pd.DataFrame:
    # Eight US quarterly macro series (1959Q1-2009Q3), forecast jointly.
    data = sm_datasets.macrodata.load_pandas().data
    stamps = [f"{int(y)}-{3 * (int(q) - 1) + 1:02d}-01" for y, q in zip(data["year"], data["quarter"])]
    return pd.concat([_long(name, stamps, data[name].to_numpy()) for name in MACRO_SERIES], ignore_index=True)


# EOP 20 C04 columns kept (name, column index, unit scale): the pole's position and its rates, the length of day
# and the celestial pole offsets. UT1-UTC is left out: leap seconds make it jump by 1 s.
EOP_SERIES = (
    ("pole_x_mas", 5, 1e3),
    ("pole_y_mas", 6, 1e3),
    ("dX_mas", 8, 1e3),
    ("dY_mas", 9, 1e3),
    ("pole_x_rate_mas", 10, 1e3),
    ("pole_y_rate_mas", 11, 1e3),
    ("lod_ms", 12, 1e3),
)
EOP_LAST_DAY = "2026-09-29"  # fixed: later releases of astropy-iers-data append days, the data set stays put
EOP_DAYS = 5600


def eop_daily() -> pd.DataFrame:
    # Daily Earth orientation parameters (IERS EOP 20 C04, Paris Observatory) as bundled in astropy-iers-data: the
    # last EOP_DAYS days up to EOP_LAST_DAY of seven series, in milliarcseconds (per day for the rates) and
    # milliseconds, rounded to the file's precision.
    path = package_dir("astropy_iers_data") / "data" / "eopc04.1962-now"
    rows = [line.split() for line in path.read_text().splitlines() if line[:1].isdigit()]
    dates = [f"{int(r[0]):04d}-{int(r[1]):02d}-{int(r[2]):02d}" for r in rows]
    end = dates.index(EOP_LAST_DAY) + 1
    stamps = dates[end - EOP_DAYS : end]
    values = np.array([[float(x) for x in r] for r in rows[end - EOP_DAYS : end]])
    return pd.concat(
        [_long(name, stamps, np.round(values[:, col] * scale, 4)) for name, col, scale in EOP_SERIES], ignore_index=True
    )


BUILDERS: dict[str, Callable[[], pd.DataFrame]] = {
    "co2-monthly": co2_monthly,
    "sunspots": sunspots,
    "elnino-sst": elnino,
    "us-macro": macro_quarterly,
    "eop-daily": eop_daily,
}
