"""Contracts owned by the TypeScript zod schemas (schemas/contracts.ts), enforced here through the JSON
Schema files exported from them (`npm run contracts:export`), so each rule is written once."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

_DIR = Path(__file__).resolve().parent


@cache
def _validator(name: str) -> Draft202012Validator:
    with open(_DIR / f"{name}.schema.json", encoding="utf-8") as f:
        return Draft202012Validator(json.load(f))


def problems(name: str, value: Any) -> list[tuple[str, str]]:
    """Every violation of contract `name` as (dotted field path, message), in a stable order."""
    errors = sorted(_validator(name).iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    return [(".".join(str(p) for p in e.absolute_path) or "(root)", e.message) for e in errors]
