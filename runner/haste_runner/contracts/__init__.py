"""Contracts owned by the TypeScript zod schemas (schemas/contracts.ts), enforced here through the JSON
Schema files exported from them (`npm run contracts:export`), so each rule is written once.

Problems are reported the way the TypeScript side reports them: the field's dotted path, what was found,
and the fix (the schema node's `description`, which zod's `.meta()` writes from one table of fixes).
A `oneOf` whose branches each fix one property to a constant (zod's discriminated union) is resolved by
that property, so the problems come from the branch the value chose, not from every branch at once;
any other union is explained by the branch the value came closest to.
"""

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


def _closest(error: ValidationError) -> list[ValidationError]:
    """For a value matching no branch of a union without a constant key: the errors of the branch it
    came closest to, or, when every branch rejects the same key (`template`, `version`), one error
    listing what the branches accept there."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if not branches:
        return [error]
    keys = [next((e for e in errs if e.validator in ("const", "enum")), None) for errs in branches.values()]
    if all(keys) and len({tuple(e.absolute_path) for e in keys}) == 1:
        values = (e.validator_value if e.validator == "enum" else [e.validator_value] for e in keys)
        first = keys[0]
        return [
            ValidationError(
                f"got {_show(first.instance)}, expected one of "
                f"{', '.join(_show(v) for v in dict.fromkeys(v for vs in values for v in vs))}",
                validator="enum",
                path=first.absolute_path,
                instance=first.instance,
                validator_value=[],
            )
        ]
    # Closest: no missing required key, no missed constant, fewest errors, no enum miss, deepest.
    return min(
        branches.values(),
        key=lambda errs: (
            sum(e.validator == "required" for e in errs),
            sum(e.validator == "const" for e in errs),
            len(errs),
            sum(e.validator == "enum" for e in errs),
            -max(len(e.absolute_path) for e in errs),
        ),
    )


def _show(value: Any) -> str:
    return json.dumps(value, default=str)


def _with_fix(what: str, schema: Any) -> str:
    fix = schema.get("description") if isinstance(schema, dict) else None
    return f"{what}; {fix}" if fix else what


def _discriminator(branches: list[Any]) -> str | None:
    """The property every branch pins to a constant (zod's discriminated union key), if any."""
    if not branches or not all(isinstance(b, dict) and isinstance(b.get("properties"), dict) for b in branches):
        return None
    for key, prop in branches[0]["properties"].items():
        if "const" in prop and all("const" in b["properties"].get(key, {}) for b in branches):
            consts = [json.dumps(b["properties"][key]["const"]) for b in branches]
            if len(set(consts)) == len(consts):  # a shared constant (a version) tells no branch apart
                return key
    return None


def _explain(error: ValidationError) -> list[tuple[list[Any], str]]:
    path = list(error.absolute_path)
    instance, schema = error.instance, error.schema
    if error.validator in ("oneOf", "anyOf"):
        branches = error.validator_value
        key = _discriminator(branches)
        if key is not None and not isinstance(instance, dict):
            return [(path, _with_fix(f"got {type(instance).__name__} {_show(instance)}, expected a mapping", schema))]
        if key is not None:
            chosen = [
                i for i, b in enumerate(branches) if key in instance and b["properties"][key]["const"] == instance[key]
            ]
            if chosen:
                return [p for e in error.context or [] if e.relative_schema_path[0] == chosen[0] for p in _explain(e)]
            options = ", ".join(_show(b["properties"][key]["const"]) for b in branches)
            what = "missing" if key not in instance else f"got {_show(instance[key])}, expected one of {options}"
            described = schema if "description" in schema else branches[0]["properties"][key]
            return [(path + [key], _with_fix(what, described))]
        return [p for e in _closest(error) for p in _explain(e)]
    if error.validator == "required":
        missing = [k for k in error.validator_value if isinstance(instance, dict) and k not in instance]
        return [(path + [k], _with_fix("missing", schema.get("properties", {}).get(k, {}))) for k in missing]
    if error.validator == "additionalProperties":
        known = list(schema.get("properties", {}))
        extra = [k for k in instance if k not in known]
        return [
            (path + [k], f"unknown key {_show(k)}: remove or rename (keys here: {', '.join(known)})") for k in extra
        ]
    if error.validator == "const":
        what = f"got {_show(instance)}, expected {_show(error.validator_value)}"
    elif error.validator == "enum" and not error.validator_value:
        what = error.message
    elif error.validator == "enum":
        what = f"got {_show(instance)}, expected one of {', '.join(_show(v) for v in error.validator_value)}"
    elif error.validator == "pattern":
        what = f"got {_show(instance)}"
    else:
        what = error.message
    return [(path, _with_fix(what, schema))]


def problems(name: str, value: Any) -> list[tuple[str, str]]:
    """Every violation of contract `name` as (dotted field path, message with the fix), in a stable order."""
    found: list[tuple[str, str]] = []
    for error in _validator(name).iter_errors(value):
        for path, message in _explain(error):
            item = (".".join(str(p) for p in path), message)
            if item not in found:
                found.append(item)
    return sorted(found, key=lambda p: p[0])
