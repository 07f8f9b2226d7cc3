"""Each pipeline feature step on small data: fitted on training rows only, applied to new rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_sample_images, load_wine

from haste_runner.competition import ImageSpec
from haste_runner.errors import SolutionError
from haste_runner.pipeline.base import Context
from haste_runner.pipeline.columns import DataColumns
from haste_runner.pipeline.features import FeaturePipeline
from haste_runner.pipeline.image import Pixels
from haste_runner.pipeline.sequence import Kmer, Positional, is_sequence
from haste_runner.pipeline.spec import parse
from haste_runner.pipeline.tabular import (
    DateTime,
    Frequency,
    Impute,
    OneHot,
    Ordinal,
    Scale,
    TargetEncoding,
    TextStats,
)
from haste_runner.pipeline.text import Tfidf
from haste_runner.pipeline.timeseries import detect_season


def ctx(
    task: str = "regression",
    classes: np.ndarray | None = None,
    text: tuple[str, ...] = (),
    image: ImageSpec | None = None,
) -> Context:
    return Context(task, classes, 0, DataColumns(text, image, "series_id", "timestamp", "value", None))


def step(cls: type, **options: object) -> object:
    """A step with the spec defaults zod declares filled in."""
    spec = parse({"version": 1, "features": [{"kind": cls.kind, **options}], "model": {"template": "ridge"}})
    return cls(spec["features"][0])


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    frame = load_wine(as_frame=True).frame
    rng = np.random.default_rng(0)
    frame = frame.mask(rng.random(frame.shape) < 0.1)  # 10 % missing cells
    return frame.drop(columns=["target"]).assign(target=load_wine().target)


def test_impute_fills_with_training_medians_and_flags_missing(wine: pd.DataFrame) -> None:
    train, test = wine.iloc[:120].drop(columns="target"), wine.iloc[120:].drop(columns="target")
    s = step(Impute)
    out, _ = s.fit_apply(train, wine.target[:120].to_numpy(), ctx())
    assert not out[s.columns].isna().any().any()
    assert out["alcohol"][train.alcohol.isna()].eq(train.alcohol.median()).all()
    assert (out["alcohol__missing"] == train.alcohol.isna()).all()
    applied, _ = s.apply(test)
    # the training median, not the test's
    assert applied["alcohol"][test.alcohol.isna()].eq(train.alcohol.median()).all()


def test_scale_standardises_on_training_rows(wine: pd.DataFrame) -> None:
    train = wine.drop(columns="target").fillna(0.0)
    s = step(Scale)
    out, _ = s.fit_apply(train, None, ctx())
    assert np.allclose(out[s.columns].mean(), 0.0, atol=1e-9)
    assert np.allclose(out[s.columns].std(ddof=0), 1.0)
    robust, _ = step(Scale, method="robust").fit_apply(train, None, ctx())
    assert np.isclose(robust["alcohol"].median(), 0.0)


def _categories(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    city = rng.integers(0, 200, n)  # high cardinality: each city has its own effect
    colour = rng.choice(["red", "green", None], n)
    y = np.sin(city) * 3 + (colour == "red") + rng.normal(0, 0.3, n)
    return pd.DataFrame({"city": [f"c{c}" for c in city], "colour": colour}), y


def test_one_hot_ordinal_frequency_choose_by_cardinality() -> None:
    frame, y = _categories(500)
    oh = step(OneHot, max_categories=10)
    out, _ = oh.fit_apply(frame, y, ctx())
    assert oh.columns == ["colour"]  # city has 200 levels
    assert {"colour__is_red", "colour__is_green", "colour__is___missing__"} <= set(out.columns)
    unseen, _ = oh.apply(pd.DataFrame({"city": ["c1"], "colour": ["blue"]}))
    assert unseen.filter(like="colour__is").to_numpy().sum() == 0
    ordinal, _ = step(Ordinal).fit_apply(frame, y, ctx())
    assert ordinal["city__ord"].nunique() == frame.city.nunique()
    freq_step = step(Frequency)
    freq, _ = freq_step.fit_apply(frame, y, ctx())
    assert np.isclose(freq.loc[0, "city__freq"], (frame.city == frame.city[0]).mean())
    new, _ = freq_step.apply(pd.DataFrame({"city": ["never-seen"], "colour": ["red"]}))
    assert new.loc[0, "city__freq"] == 0.0


def test_target_encoding_is_out_of_fold_on_training_rows() -> None:
    frame, y = _categories(2000)
    te = step(TargetEncoding)
    assert te.select(frame, ctx()) == ["city"]  # only the high-cardinality column by default
    oof, _ = te.fit_apply(frame, y, ctx())
    full, _ = te.apply(frame)
    # A row's out-of-fold encoding never saw its own target, so it differs from the full-data one...
    assert not np.allclose(oof["city__te0"], full["city__te0"])
    # ...and still carries the signal (city effect) without leakage: correlation with y well above 0.
    assert np.corrcoef(oof["city__te0"], y)[0, 1] > 0.8
    # Pure noise categories: out-of-fold encodings do not correlate with the target (in-sample ones would).
    rng = np.random.default_rng(1)
    noise = pd.DataFrame({"id": [f"u{i}" for i in rng.integers(0, 400, 2000)]})
    target = rng.normal(size=2000)
    enc_oof, _ = step(TargetEncoding, smoothing=0).fit_apply(noise, target, ctx())
    in_sample = step(TargetEncoding, smoothing=0)
    in_sample.fit(noise, target, ctx())
    enc_in, _ = in_sample.apply(noise)
    assert np.corrcoef(enc_in["id__te0"], target)[0, 1] > 0.3  # ~1/sqrt(5 rows per id): leakage
    assert abs(np.corrcoef(enc_oof["id__te0"], target)[0, 1]) < 0.15


def test_target_encoding_multiclass_has_a_column_per_class_but_one() -> None:
    frame, _ = _categories(600)
    y = np.array(["a", "b", "c"])[np.arange(600) % 3]
    out, _ = step(TargetEncoding).fit_apply(frame, y, ctx("multiclass", np.array(["a", "b", "c"])))
    assert {"city__te0", "city__te1"} <= set(out.columns) and "city__te2" not in out.columns


def test_datetime_parts() -> None:
    frame = pd.DataFrame({"when": ["2024-01-06", "2024-03-15 13:30:00", None]})
    s = step(DateTime, parts=["year", "month", "dayofweek", "hour", "is_weekend"])
    out, _ = s.fit_apply(frame, None, ctx())
    assert s.columns == ["when"]
    assert out["when__month"].tolist()[:2] == [1.0, 3.0]
    assert out["when__is_weekend"].tolist()[:2] == [1.0, 0.0]  # 2024-01-06 is a Saturday
    assert out["when__hour"].tolist()[1] == 13.0
    assert np.isnan(out["when__year"].iloc[2])


def test_text_in_a_table_tfidf_and_length_features() -> None:
    frame = pd.DataFrame(
        {
            "title": ["cheap pills now", "meeting at noon", "cheap watches"],
            "body": ["BUY 100 now!!!", "see you there", "only 5 left"],
            "price": [1.0, None, 3.0],
        }
    )
    c = ctx(text=("title", "body"))
    stats, _ = step(TextStats).fit_apply(frame, None, c)
    assert stats["body__digits"].iloc[0] == pytest.approx(3 / 14)
    assert stats["title__words"].tolist() == [3.0, 3.0, 2.0]
    pipe = FeaturePipeline(
        parse(
            {
                "version": 1,
                "features": [
                    {"kind": "tfidf", "analyzer": "word"},
                    {"kind": "tfidf", "analyzer": "char_wb", "ngram_range": [2, 3]},
                    {"kind": "impute"},
                ],
                "model": {"template": "ridge"},
            }
        )["features"]
    )
    X = pipe.fit_transform(frame, np.zeros(3), c)
    word_vocab = sum(len(v.vocabulary_) for v in pipe.steps[0].vectorisers.values())
    char_vocab = sum(len(v.vocabulary_) for v in pipe.steps[1].vectorisers.values())
    # numeric columns (price + its missing flag) then one block per text column and analyzer
    assert X.shape == (3, 2 + word_vocab + char_vocab)
    assert pipe.output == ["price", "price__missing"]


def test_tfidf_empty_vocabulary_is_a_solution_error() -> None:
    frame = pd.DataFrame({"t": ["a", "b"]})
    with pytest.raises(SolutionError, match="tfidf.*column 't'"):
        step(Tfidf, min_df=5).fit_apply(frame, None, ctx(text=("t",)))


def test_positional_one_hot_and_kmers() -> None:
    frame = pd.DataFrame({"seq": ["ACGTA", "AAGTC", "CCCCC"]})
    assert is_sequence(frame.seq) and not is_sequence(pd.Series(["a few words here", "more words"]))
    pos = step(Positional)
    _, (block,) = pos.fit_apply(frame, None, ctx())
    assert block.shape == (3, 5 * 4)  # 5 positions x alphabet ACGT
    assert block.sum(axis=1).tolist() == [[5.0]] * 3  # one symbol per position
    # position 0 is 'A' in rows 0 and 1: column (0 * 4 + index of 'A')
    assert block[:, 0].toarray().ravel().tolist() == [1.0, 1.0, 0.0]
    kmer = step(Kmer, k=[2])
    _, (counts,) = kmer.fit_apply(frame, None, ctx())
    assert counts[2, kmer.vocab["seq"]["CC"]] == 4.0
    _, (unseen,) = kmer.apply(pd.DataFrame({"seq": ["TTTTT"]}))
    assert unseen.sum() == 0


def test_pixels_with_three_channels() -> None:
    # Real RGB photos bundled with scikit-learn, cut into 8x8 patches, written as channel-last pixel columns.
    china = load_sample_images().images[0][:16, :16]
    patches = china.reshape(2, 8, 2, 8, 3).transpose(0, 2, 1, 3, 4).reshape(4, 8 * 8 * 3)
    columns = [f"p{i}" for i in range(8 * 8 * 3)]
    frame = pd.DataFrame(patches, columns=columns).assign(other=1.0)
    layout = ImageSpec(8, 8, 3, "hwc", tuple(columns))
    s = step(Pixels)
    out, _ = s.fit_apply(frame, None, ctx(image=layout))
    planes = s.planes(frame)
    assert planes.shape == (4, 3, 8, 8)
    assert planes.max() <= 1.0
    assert np.allclose(planes[0, :, 0, 0], china[0, 0] / patches.max())  # pixel (0,0)'s R, G, B, scaled
    assert "other" in out.columns and out.shape[1] == 1 + 192
    with pytest.raises(SolutionError, match="no image pixel columns"):
        step(Pixels).fit_apply(frame, None, ctx())


def test_season_7_detected_on_a_synthetic_daily_series() -> None:
    rng = np.random.default_rng(3)
    days = np.arange(3 * 365)
    weekly = np.array([0, 1, 1.5, 1, 0.5, -2, -2.5])[days % 7]
    series = [10 + 0.01 * days + weekly * (1 + k / 10) + rng.normal(0, 0.5, len(days)) for k in range(5)]
    assert detect_season(series) == 7
    assert detect_season([rng.normal(size=400)]) == 1  # white noise: no season
    monthly = [np.sin(2 * np.pi * np.arange(240) / 12) * 5 + rng.normal(0, 0.5, 240)]
    assert detect_season(monthly) == 12


def test_forecasts_are_clipped_to_the_metrics_range() -> None:
    from haste_runner.pipeline.timeseries import StatisticalForecaster

    falling = [np.linspace(10, 1, 30)]  # drift carries it below zero within 10 steps
    model = StatisticalForecaster(parse({"version": 1, "model": {"template": "drift"}}), None)
    assert model.forecast(falling, 10)[0].min() < 0
    model.metric_name = "rmsle"
    assert model.forecast(falling, 10)[0].min() == 0.0
