"""Numeric columns: the quantile-normal transform, and the standard one older predictors were saved with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from automm.core.config import Config
from automm.core.data.tabular import NumericalProcessor
from automm.core.errors import ConfigError


def test_quantile_normal_makes_a_skewed_column_normal_and_tames_outliers() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.lognormal(10, 1.5, 3000)})
    processor = NumericalProcessor.fit(frame, ["income"])
    assert processor.rule == "quantile_normal" and len(processor.scores) == 100  # one knot per 30 rows
    out = processor.transform(frame)[:, 0]
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.1
    assert abs(pd.Series(out).skew()) < 0.25 < 5 < frame["income"].skew()
    extreme = processor.transform(pd.DataFrame({"income": [1e30, -1e30, np.nan]}))[:, 0]
    assert extreme[0] == pytest.approx(5.199, abs=1e-3) and extreme[1] == pytest.approx(-5.199, abs=1e-3)
    assert extreme[2] == pytest.approx(processor.transform(pd.DataFrame({"income": processor.medians}))[0, 0])


def test_a_tied_value_gets_the_middle_of_its_quantile_range() -> None:
    frame = pd.DataFrame({"flag": np.r_[np.zeros(900), np.ones(100)]})
    processor = NumericalProcessor.fit(frame, ["flag"])
    zero, one = processor.transform(pd.DataFrame({"flag": [0.0, 1.0]}))[:, 0]
    assert zero == pytest.approx(-0.126, abs=0.05)  # the normal quantile of 0.45 (interpolated), middle of 0..0.9
    assert one == pytest.approx(1.64, abs=0.1)  # ... and of 0.95, the middle of 0.9..1
    assert np.unique(processor.transform(frame)).size == 2


def test_saved_processors_round_trip_and_old_ones_standardise() -> None:
    frame = pd.DataFrame({"x": np.arange(50.0)})
    processor = NumericalProcessor.fit(frame, ["x"])
    saved = processor.to_json()
    assert saved["transform"] == "quantile_normal"
    assert NumericalProcessor.from_json(saved) == processor
    old = {"columns": ["x"], "medians": [24.5], "means": [24.5], "stds": [2.0], "clip": 10.0}  # written by 0.2
    np.testing.assert_allclose(NumericalProcessor.from_json(old).transform(pd.DataFrame({"x": [26.5]})), [[1.0]])
    with pytest.raises(ValueError, match="rule"):
        NumericalProcessor.from_json({**saved, "transform": "yeo_johnson"})


def test_the_transform_is_a_setting() -> None:
    config = Config().override({"model.tabular.numerical_transform": "standard"})
    processor = NumericalProcessor.fit(pd.DataFrame({"x": [1.0, 3.0]}), ["x"], config.model.tabular.numerical_transform)
    np.testing.assert_allclose(processor.transform(pd.DataFrame({"x": [3.0]})), [[1.0]])
    with pytest.raises(ConfigError, match="numerical_transform.*quantile_normal"):
        Config().override({"model.tabular.numerical_transform": "quantile"})


def test_training_batches_index_the_table_encoded_once(monkeypatch) -> None:
    from automm.core.data.batch import Processors
    from automm.core.data.loaders import RowCollator
    from automm.core.data.tabular import CategoricalProcessor

    frame = pd.DataFrame({"x": [1.0, None, 3.0, 4.0, 5.0], "colour": ["red", "blue", None, "red", "green"]})
    processors = Processors(numerical=NumericalProcessor.fit(frame, ["x"]),
                            categorical=CategoricalProcessor.fit(frame, ["colour"]))
    calls = []
    original = CategoricalProcessor.transform
    monkeypatch.setattr(CategoricalProcessor, "transform", lambda self, rows: calls.append(len(rows)) or
                        original(self, rows))
    collate = RowCollator(frame, processors, np.arange(5), train=True)
    batches = [collate([3, 0]), collate([4, 1, 2])]
    assert calls == [5]  # the whole table once, not once per batch
    for batch, rows in zip(batches, ([3, 0], [4, 1, 2])):
        expected = processors.collate(frame.iloc[rows], np.arange(5)[rows])
        assert torch.equal(batch.numerical, expected.numerical)
        assert torch.equal(batch.categorical, expected.categorical)
        assert torch.equal(batch.target, expected.target)


def test_auto_is_the_ft_transformer_for_plain_tables_and_the_mlp_beside_text(tiny_text_model) -> None:
    from transformers import AutoTokenizer

    from automm.core.building import tabular_model
    from automm.core.data.batch import Processors
    from automm.core.data.text import TextProcessor

    numbers = NumericalProcessor.fit(pd.DataFrame({"x": [1.0, 2.0]}), ["x"])
    text = TextProcessor(["review"], 16, AutoTokenizer.from_pretrained(str(tiny_text_model)))
    assert tabular_model("auto", Processors(numerical=numbers)) == "ft_transformer"
    assert tabular_model("auto", Processors(numerical=numbers, text=text)) == "mlp"
    assert tabular_model("mlp", Processors(numerical=numbers)) == "mlp"


def test_the_ft_transformer_runs_its_last_layer_for_the_cls_token_alone() -> None:
    """Only the [CLS] token's output is read after the last layer, so that layer runs for it alone (attending to
    every token): the features equal the whole last layer's [CLS] row, and every weight still trains."""
    from automm.core.data.batch import Batch
    from automm.core.models.encoders import FTTransformerTabularEncoder

    torch.manual_seed(0)
    encoder = FTTransformerTabularEncoder(num_numerical=3, cardinalities=[4, 2], hidden_size=16, num_layers=3,
                                          dropout=0.1, num_heads=2)
    batch = Batch(numerical=torch.randn(5, 3), categorical=torch.tensor([[1, 1], [0, 1], [3, 0], [2, 1], [0, 0]]))
    shapes: list[tuple[int, ...]] = []
    encoder.transformer.layers[-1].linear1.register_forward_hook(lambda _, args, out: shapes.append(args[0].shape))
    encoder.train()
    features, present = encoder(batch)
    assert shapes == [(5, 1, 16)]  # the last feed-forward ran for the [CLS] token alone
    features.sum().backward()
    assert present.all() and all(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.parameters())
    encoder.eval()
    with torch.no_grad():
        tokens = torch.cat([batch.numerical.unsqueeze(-1) * encoder.numeric_weight + encoder.numeric_bias,
                            encoder.embeddings(batch.categorical)], dim=1)
        tokens = torch.cat([encoder.cls.expand(5, -1, -1), tokens], dim=1)
        whole = encoder.norm(encoder.transformer(tokens)[:, 0])
        assert torch.allclose(encoder(batch)[0], whole, atol=1e-6)
