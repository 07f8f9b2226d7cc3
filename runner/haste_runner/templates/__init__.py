"""The template catalogue: one module per domain (tabular, vision, text, timeseries).

Every template trains incrementally so a run can be checkpointed after any epoch and resumed
with a bit-identical outcome (see base.py).
"""

from __future__ import annotations

from typing import Any

from ..errors import SolutionError
from . import pipeline, tabular, text, timeseries, vision
from .base import Template
from .vision import torch_available

TEMPLATES: dict[str, Template] = {
    t.name: t for module in (tabular, vision, text, timeseries, pipeline) for t in module.TEMPLATES
}

__all__ = ["TEMPLATES", "Template", "get_template", "torch_available"]


def get_template(name: Any) -> Template:
    if not isinstance(name, str) or name not in TEMPLATES:
        raise SolutionError(f"unknown template {name!r}; available: {sorted(TEMPLATES)}")
    return TEMPLATES[name]
