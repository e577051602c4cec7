"""What a smaller student needs: the first N layers of a pretrained text backbone; rows that find their teacher data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from automm.core.config import Config
from automm.core.console import describe_model
from automm.core.data.batch import Processors
from automm.core.data.loaders import make_loader
from automm.core.data.tabular import NumericalProcessor
from automm.core.errors import ConfigError
from automm.core.models.network import NetworkSpec, load_text_backbone


def test_num_layers_keeps_the_first_pretrained_layers(tiny_text_model: Path) -> None:
    full = load_text_backbone(tiny_text_model, pretrained=True)
    short = load_text_backbone(tiny_text_model, pretrained=True, num_layers=1)
    assert short.config.num_hidden_layers == 1 and len(short.encoder.layer) == 1
    kept, original = short.encoder.layer[0].state_dict(), full.encoder.layer[0].state_dict()
    assert all(torch.equal(kept[name], original[name]) for name in original)


def test_fit_summary_names_the_kept_layers() -> None:
    spec = NetworkSpec(output_size=2, text={"pooling": "mean", "num_layers": 2})
    assert describe_model(spec, Config()).endswith("all-MiniLM-L6-v2 (first 2 layers)")


def test_num_layers_beyond_the_backbone_is_refused(tiny_text_model: Path) -> None:
    with pytest.raises(ConfigError, match="has 2 layers; use at most 2"):
        load_text_backbone(tiny_text_model, pretrained=True, num_layers=3)


def test_training_batches_carry_their_row_positions() -> None:
    table = pd.DataFrame({"x": [float(i) for i in range(10)]})
    processors = Processors(numerical=NumericalProcessor.fit(table, ["x"], "standard"))
    seen = []
    for batch in make_loader(table, processors, batch_size=4, train=True):
        values = torch.from_numpy(processors.numerical.transform(table))[batch.rows]
        assert torch.equal(batch.numerical, values)
        seen += batch.rows.tolist()
    assert len(set(seen)) == len(seen) == 8 and set(seen) <= set(range(10))  # the last partial batch dropped
    assert all(batch.rows is None for batch in make_loader(table, processors, batch_size=4))
