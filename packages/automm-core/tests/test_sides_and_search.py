"""Generic pieces task packages build on: dict-of-columns input, the Config.task section, top-k search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from automm.core.config import Config, NoTaskConfig
from automm.core.data.batch import Processors
from automm.core.data.ingest import read_table
from automm.core.data.sides import SidedProcessors
from automm.core.data.tabular import NumericalProcessor
from automm.core.embedding import top_k_cosine
from automm.core.errors import ConfigError, InputError
from automm.core.models.network import spec_from_json


@dataclass(frozen=True)
class ExampleTaskConfig:
    threshold: float = 0.5
    enabled: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.threshold <= 1:
            raise ConfigError("task.threshold must be in [0, 1]")


def test_dict_of_columns_is_a_table() -> None:
    table = read_table({"q": ["a", "b"], "r": np.array(["c", "d"])})
    assert table.shape == (2, 2)


def test_dict_of_unequal_columns_names_each_length() -> None:
    with pytest.raises(InputError, match="'q' has 2, 'r' has 3"):
        read_table({"q": ["a", "b"], "r": ["c", "d", "e"]})


def test_task_section_takes_dotted_overrides_and_round_trips() -> None:
    config = Config(task=ExampleTaskConfig()).override({"task.threshold": "0.25", "task.enabled": True})
    assert config.task == ExampleTaskConfig(0.25, True)
    assert Config.from_dict(config.to_dict(), ExampleTaskConfig()) == config
    with pytest.raises(ConfigError, match="task.threshold"):
        config.override({"task.threshold": 2.0})
    with pytest.raises(ConfigError, match="Did you mean"):
        config.override({"task.treshold": 0.1})


def test_without_a_task_section_task_keys_are_unknown() -> None:
    assert Config().task == NoTaskConfig()
    with pytest.raises(ConfigError, match="Unknown hyperparameter 'task.threshold'"):
        Config().override({"task.threshold": 0.1})


def test_sided_processors_collate_each_side_from_the_same_rows() -> None:
    rows = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0]})
    sides = SidedProcessors({"left": Processors(numerical=NumericalProcessor.fit(rows, ["a"])),
                             "right": Processors(numerical=NumericalProcessor.fit(rows, ["b"]))})
    batch = sides.collate(rows, targets=np.arange(3))
    assert list(batch.sides) == ["left", "right"] and len(batch) == 3
    np.testing.assert_allclose(batch.sides["left"].numerical, batch.sides["right"].numerical, atol=1e-6)
    assert sides.columns == ["a", "b"]


def test_unknown_network_kind_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="Unknown network kind 'mystery'"):
        spec_from_json({"kind": "mystery"})
    assert spec_from_json({"output_size": 3}).output_size == 3  # files from before kinds existed


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_top_k_over_chunks_equals_top_k_over_the_whole_corpus(chunk: int) -> None:
    rng = np.random.default_rng(chunk)
    queries, corpus = rng.normal(size=(5, 16)), rng.normal(size=(300, 16))
    scores, positions = top_k_cosine(queries, [corpus[i : i + chunk] for i in range(0, 300, chunk)], 10)
    unit = corpus / np.linalg.norm(corpus, axis=1, keepdims=True)
    cosine = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ unit.T
    np.testing.assert_array_equal(positions, np.argsort(-cosine, axis=1)[:, :10])
    np.testing.assert_allclose(scores, np.take_along_axis(cosine, positions, axis=1), rtol=1e-5)


def test_top_k_over_an_empty_corpus_is_empty() -> None:
    scores, positions = top_k_cosine(np.ones((3, 4)), [], 5)
    assert scores.shape == (3, 0) and positions.shape == (3, 0)


@pytest.mark.parametrize("freeze", [True, False])
def test_frozen_batchnorm_keeps_its_running_statistics_while_training(freeze: bool) -> None:
    import timm
    import torch
    from torch import nn

    from automm.core.data.batch import Batch
    from automm.core.models.encoders import ImageEncoder

    encoder = ImageEncoder(timm.create_model("test_efficientnet", pretrained=False, num_classes=0), freeze)
    encoder.train()
    norms = [m for m in encoder.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    before = [m.running_mean.clone() for m in norms]
    encoder(Batch(image_pixels=torch.randn(4, 1, 3, 32, 32) * 3 + 1, image_mask=torch.ones(4, 1, dtype=torch.bool)))
    unchanged = all(torch.equal(a, m.running_mean) for a, m in zip(before, norms))
    assert norms and unchanged == freeze
    assert all(m.training != freeze for m in norms) and encoder.backbone.training
