"""Pipeline specs: the runner accepts exactly what the zod schema accepts and fills the same defaults
(tests/fixtures/pipeline-specs.json is also checked against zod by tests/unit/pipeline-spec.test.ts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from haste_runner.errors import SolutionError
from haste_runner.pipeline.spec import parse
from haste_runner.templates import get_template

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests" / "fixtures" / "pipeline-specs.json").read_text())


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: c["name"])
def test_valid_specs_parse_to_what_zod_parses(case: dict) -> None:
    parsed = parse(case["spec"])
    assert parsed == case["parsed"]
    # Round trip: the parsed spec is plain JSON and parses to itself.
    assert parse(json.loads(json.dumps(parsed))) == parsed


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda c: c["name"])
def test_invalid_specs_are_solution_errors_naming_the_field(case: dict) -> None:
    with pytest.raises(SolutionError, match=f"field '{re.escape(case['field'])}'"):
        parse(case["spec"])


def test_the_template_checks_model_params_with_the_models_own_rules() -> None:
    template = get_template("pipeline")
    with pytest.raises(SolutionError, match="template 'lightgbm' does not accept param 'depth'"):
        template.resolve({"version": 1, "model": {"template": "lightgbm", "params": {"depth": 3}}})
    spec = template.resolve({"version": 1, "model": {"template": "lightgbm", "params": {"epochs": 7}}})
    assert template.epochs(spec) == 7
    assert template.epochs(template.resolve({"version": 1, "model": {"template": "theta"}})) == 1


def test_docs_examples_are_valid_specs() -> None:
    text = (ROOT / "docs" / "pipelines.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    specs = [json.loads(b) for b in blocks if '"version"' in b]
    assert len(specs) >= 3
    for spec in specs:
        parse(spec)
