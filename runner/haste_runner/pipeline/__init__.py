"""Solutions as pipeline specs (schemas/pipeline.ts, docs/pipelines.md), executed by the `pipeline`
template (templates/pipeline.py) through the ordinary CV / checkpoint machinery.

Modules: `spec` (validation, defaults), `columns` (which columns are text / pixels / series keys),
feature steps per domain (`tabular`, `text`, `sequence`, `image`; `timeseries` also holds the
forecasters), `features` (steps -> matrix), `target`, `model` (a template grown per epoch with early
stopping), `validation` (the CV classes), `ensemble` and `artifacts` (the out-of-fold predictions
every step leaves behind).
"""
