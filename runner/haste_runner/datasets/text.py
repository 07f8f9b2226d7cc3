"""Text built-ins from Debian's fortune cookie databases: one text column `text` plus `target`.

Files are read from /usr/share/games/fortunes (packages `fortunes`, `fortunes-min`, `fortunes-de`,
`fortunes-it`, `fortunes-es`; infra/setup.sh installs them). A database is a text file whose
entries are separated by lines holding a single `%`. Entries are whitespace-normalised to one line;
texts that occur in more than one database are dropped, so every label is unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .bundled import package_dir

FORTUNES_DIR = Path("/usr/share/games/fortunes")

# Databases of the `fortunes` package (English), minus art/ascii-art (pictures, not prose) and
# translate-me (a placeholder).
ENGLISH = (
    "computers",
    "cookie",
    "debian",
    "definitions",
    "disclaimer",
    "drugs",
    "education",
    "ethnic",
    "food",
    "fortunes",
    "goedel",
    "humorists",
    "kids",
    "knghtbrd",
    "law",
    "linux",
    "linuxcookie",
    "literature",
    "love",
    "magic",
    "medicine",
    "men-women",
    "miscellaneous",
    "news",
    "paradoxum",
    "people",
    "perl",
    "pets",
    "platitudes",
    "politics",
    "pratchett",
    "riddles",
    "science",
    "songs-poems",
    "sports",
    "startrek",
    "tao",
    "wisdom",
    "work",
    "zippy",
)
TOPICS = ("people", "definitions", "cookie", "computers", "songs-poems", "politics", "work", "science")
COMPUTING = ("computers", "linux", "linuxcookie", "perl", "debian")
ITALIAN = (
    "adams",
    "computer",
    "definizioni",
    "formiche",
    "italia",
    "itatrek",
    "jackfr",
    "leggi",
    "luke",
    "luttazzi",
    "norm",
    "paolotedeschi",
    "zuse",
)
MIN_PER_SOURCE = 100
PER_LANGUAGE = 4000
LANGUAGE_SEED = 5  # fixed forever


def _read_database(path: Path) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: install Debian's fortunes, fortunes-de, fortunes-it and "
            "fortunes-es packages (infra/setup.sh does)"
        )
    # Prefer the UTF-8 twin (`.u8`) where the package ships one.
    u8 = path.with_name(path.name + ".u8")
    raw = (u8 if u8.exists() else path).read_bytes().decode("utf-8", errors="replace")
    raw = re.sub(r".\x08", "", raw)  # overstrike (bold/underline) sequences
    entries = []
    for entry in re.split(r"^%\s*$", raw, flags=re.MULTILINE):
        text = " ".join(entry.split())
        if len(text) >= 10:
            entries.append(text)
    return entries


def _frame(sources: dict[str, list[Path]]) -> pd.DataFrame:
    """Entries labelled by source; texts appearing under two labels (or twice) are dropped."""
    rows = [(text, label) for label, paths in sources.items() for p in paths for text in _read_database(p)]
    frame = pd.DataFrame(rows, columns=["text", "target"])
    return frame[~frame["text"].duplicated(keep=False)].reset_index(drop=True)


def _english(names: tuple[str, ...]) -> dict[str, list[Path]]:
    return {name: [FORTUNES_DIR / name] for name in names}


def fortune_topics() -> pd.DataFrame:
    return _frame(_english(TOPICS))


def fortune_sources() -> pd.DataFrame:
    frame = _frame(_english(ENGLISH))
    counts = frame["target"].value_counts()
    return frame[frame["target"].isin(counts[counts >= MIN_PER_SOURCE].index)].reset_index(drop=True)


def fortune_computing() -> pd.DataFrame:
    frame = _frame(_english(ENGLISH))
    frame["target"] = frame["target"].isin(COMPUTING).astype("int64")
    return frame


def fortune_language() -> pd.DataFrame:
    # A seeded sample of at most PER_LANGUAGE entries per language keeps the classes balanced.
    german = sorted(p for p in (FORTUNES_DIR / "de").iterdir() if p.is_file() and p.suffix not in (".dat", ".u8"))
    spanish = sorted((FORTUNES_DIR / "es").glob("*.fortunes"))
    frame = _frame(
        {
            "en": [FORTUNES_DIR / n for n in ENGLISH],
            "de": german,
            "it": [FORTUNES_DIR / "it" / n for n in ITALIAN],
            "es": spanish,
        }
    )
    rand = np.random.RandomState(LANGUAGE_SEED)
    keep = np.concatenate(
        [
            np.sort(rand.choice(idx, min(PER_LANGUAGE, len(idx)), replace=False))
            for idx in (np.flatnonzero(frame["target"].to_numpy() == lang) for lang in ("en", "de", "it", "es"))
        ]
    )
    return frame.iloc[np.sort(keep)].reset_index(drop=True)


SAX_ALPHABET = "abcdefgh"


def power_demand_sax() -> pd.DataFrame:
    # UCR's ItalyPowerDemand (aeon's bundled copy; train and test files merged): 24 hourly electricity demand
    # values of one day in Italy in 1997, already z-normalised, class 1 = October-March, 2 = April-September.
    # Each day is written as a SAX word (Lin et al. 2003): every hour's value becomes one of 8 letters cut at the
    # standard normal's octiles, so a row is a fixed-length 24-letter string. Which hour is high says the season,
    # so where a letter stands matters, not only which letters occur.
    from scipy.stats import norm

    cuts = norm.ppf(np.arange(1, len(SAX_ALPHABET)) / len(SAX_ALPHABET))
    folder = package_dir("aeon") / "datasets" / "data" / "ItalyPowerDemand"
    words, labels = [], []
    for part in ("TRAIN", "TEST"):
        lines = (folder / f"ItalyPowerDemand_{part}.ts").read_text().splitlines()
        for line in lines[next(i for i, x in enumerate(lines) if x.strip() == "@data") + 1 :]:
            if not line.strip():
                continue
            values, label = line.rsplit(":", 1)
            codes = np.searchsorted(cuts, np.array(values.split(","), dtype=float))
            words.append("".join(SAX_ALPHABET[k] for k in codes))
            labels.append("winter" if label.strip() == "1" else "summer")
    return pd.DataFrame({"day": words, "target": labels})


BUILDERS: dict[str, Callable[[], pd.DataFrame]] = {
    "fortune-topics": fortune_topics,
    "fortune-sources": fortune_sources,
    "fortune-computing": fortune_computing,
    "fortune-language": fortune_language,
    "power-demand-sax": power_demand_sax,
}
