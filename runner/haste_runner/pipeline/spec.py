"""Validating a pipeline spec against the contract zod owns (schemas/pipeline.ts) and filling in its
defaults from the same exported JSON Schema, so neither rules nor defaults are written twice."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from .. import contracts
from ..errors import SolutionError


@cache
def _schema() -> dict[str, Any]:
    return contracts.schema("pipeline")


def _fill(schema: dict[str, Any], value: Any) -> Any:
    for key in ("anyOf", "oneOf"):
        if key in schema:  # the value is valid, so some branch matches: fill from that one
            branch = next(b for b in schema[key] if Draft202012Validator(b).is_valid(value))
            return _fill(branch, value)
    if isinstance(value, dict) and "properties" in schema:
        out = dict(value)
        for name, sub in schema["properties"].items():
            if name not in out and "default" in sub:
                out[name] = copy.deepcopy(sub["default"])
            if name in out:
                out[name] = _fill(sub, out[name])
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_fill(schema["items"], v) for v in value]
    if isinstance(value, list) and "prefixItems" in schema:
        return value
    return value


def parse(raw: Any) -> dict[str, Any]:
    """The spec with every default filled in; a SolutionError naming the first bad field otherwise."""
    problems = contracts.problems("pipeline", raw)
    if problems:
        field, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SolutionError(f"pipeline spec field {field!r}: {message}{more}")
    return _fill(_schema(), raw)


def property_defaults(name: str) -> dict[str, Any]:
    """The defaults of the optional object property `name` (e.g. `forecast`) when a spec leaves it out."""

    def find(node: Any) -> dict[str, Any] | None:
        if isinstance(node, dict):
            if name in node.get("properties", {}):
                return node["properties"][name]
            for v in node.values():
                if (hit := find(v)) is not None:
                    return hit
        elif isinstance(node, list):
            for v in node:
                if (hit := find(v)) is not None:
                    return hit
        return None

    sub = find(_schema())
    if sub is None:
        raise KeyError(f"the pipeline contract has no property {name!r}")
    return _fill(sub, {})
