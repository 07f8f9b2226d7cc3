"""Contracts owned by the TypeScript zod schemas (schemas/contracts.ts), enforced here through the JSON
Schema files exported from them (`npm run contracts:export`), so each rule is written once."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

_DIR = Path(__file__).resolve().parent


@cache
def schema(name: str) -> dict[str, Any]:
    """The exported JSON Schema of contract `name` (do not modify: it is shared)."""
    with open(_DIR / f"{name}.schema.json", encoding="utf-8") as f:
        return json.load(f)


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def _specific(error: ValidationError) -> list[ValidationError]:
    """For a value matching no branch of a union, the errors of the branch it came closest to, so the
    message names the field instead of "is not valid under any of the given schemas"."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    # A discriminator (`kind`, `template`, `version`) that no branch accepts: one error listing what they do.
    keys = [next((e for e in errs if e.validator in ("const", "enum")), None) for errs in branches.values()]
    if all(keys) and len({tuple(e.absolute_path) for e in keys}) == 1:
        values = (e.validator_value if e.validator == "enum" else [e.validator_value] for e in keys)
        allowed = list(dict.fromkeys(v for vs in values for v in vs))
        first = keys[0]
        return [ValidationError(f"{first.instance!r} is not one of {allowed}", validator="enum",
                                path=first.absolute_path, instance=first.instance)]
    # Closest: no missing required key, no missed discriminator (const), fewest errors, no enum miss, deepest.
    closest = min(branches.values(), key=lambda errs: (
        sum(e.validator == "required" for e in errs), sum(e.validator == "const" for e in errs), len(errs),
        sum(e.validator == "enum" for e in errs), -max(len(e.absolute_path) for e in errs)))
    return [leaf for sub in closest for leaf in _specific(sub)]


def problems(name: str, value: Any) -> list[tuple[str, str]]:
    """Every violation of contract `name` as (dotted field path, message), in a stable order."""
    errors = [leaf for e in _validator(name).iter_errors(value) for leaf in _specific(e)]
    errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
    return [(".".join(str(p) for p in e.absolute_path) or "(root)", e.message) for e in errors]
