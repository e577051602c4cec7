"""AutoGluon-MM's model methods: dump_model, optimize_for_inference and pretrained=False."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError
from automm.core.models.checkpoints import create_image_backbone
from automm.core.testing.tiny_models import tiny_hyperparameters


@pytest.fixture(scope="module")
def three_modalities(digits_table: pd.DataFrame, tiny_text_model: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> MultiModalPredictor:
    predictor = MultiModalPredictor(label="label", path=tmp_path_factory.mktemp("p") / "p", verbosity=0,
                                    hyperparameters=tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1}))
    return predictor.fit(digits_table.iloc[:64], column_types={"caption": "text"})


def _text_weights(predictor: MultiModalPredictor) -> dict[str, torch.Tensor]:
    return predictor.state.net.encoders["text"].backbone.state_dict()


def test_dump_model_writes_reusable_backbones(three_modalities: MultiModalPredictor, digits_table: pd.DataFrame,
                                              tiny_text_model: Path, tmp_path: Path) -> None:
    written = three_modalities.dump_model(save_path=tmp_path / "dump")
    assert written == [tmp_path / "dump" / "hf_text", tmp_path / "dump" / "timm_image"]
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in written[0].iterdir()}
    # AutoGluon-MM's continuous-training recipe: a new predictor starts from the dumped text backbone
    hyperparameters = {**tiny_hyperparameters(tiny_text_model), "model.text.checkpoint": str(written[0])}
    start = MultiModalPredictor(label="label", hyperparameters=hyperparameters)._new_state(
        digits_table.iloc[:32], None, None, {"caption": "text"})
    for name, tensor in _text_weights(three_modalities).items():
        torch.testing.assert_close(start.net.encoders["text"].backbone.state_dict()[name], tensor)
    # the image backbone: timm's layout, its weights file reusable as model.image.weights_path
    image = create_image_backbone("test_efficientnet", pretrained=True,
                                  weights_path=str(written[1] / "model.safetensors"))
    for name, tensor in three_modalities.state.net.encoders["image"].backbone.state_dict().items():
        torch.testing.assert_close(image.state_dict()[name], tensor)


def test_dump_model_of_a_tabular_predictor_is_refused(tmp_path: Path, iris: pd.DataFrame) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", verbosity=0)
    predictor.fit(iris, hyperparameters={"optim.max_epochs": 1})
    with pytest.raises(ConfigError, match="no text or image backbone"):
        predictor.dump_model(tmp_path / "dump")


def test_pretrained_false_starts_the_text_backbone_from_random_weights(digits_table: pd.DataFrame,
                                                                        tiny_text_model: Path) -> None:
    rows = digits_table.iloc[:32]
    built = {flag: MultiModalPredictor(label="label", pretrained=flag,
                                       hyperparameters=tiny_hyperparameters(tiny_text_model)
                                       )._new_state(rows, None, None, {"caption": "text"}) for flag in (True, False)}
    name = "embeddings.word_embeddings.weight"
    pretrained = built[True].net.encoders["text"].backbone.state_dict()[name]
    assert not torch.equal(built[False].net.encoders["text"].backbone.state_dict()[name], pretrained)


def test_pretrained_false_is_refused_where_the_task_builds_its_own_text_network(tiny_text_model: Path) -> None:
    rows = pd.DataFrame({"text": ["Alice lives in Paris", "Bob works at Acme"] * 4,
                         "entities": [[{"entity_group": "PER", "start": 0, "end": 5}]] * 8})
    predictor = MultiModalPredictor(label="entities", problem_type="named_entity_recognition", pretrained=False,
                                    hyperparameters={"model.text.checkpoint": str(tiny_text_model)})
    with pytest.raises(ConfigError, match="builds its own text network"):
        predictor._new_state(rows, None, None, None)


def test_optimize_for_inference_answers_with_onnxruntime(three_modalities: MultiModalPredictor,
                                                         digits_table: pd.DataFrame) -> None:
    rows = digits_table.iloc[100:110].drop(columns="label")
    expected = three_modalities.predict_proba(rows)
    runtime = three_modalities.optimize_for_inference(providers=["CPUExecutionProvider"])
    assert three_modalities._runtime is runtime
    np.testing.assert_allclose(three_modalities.predict_proba(rows).to_numpy(), expected.to_numpy(), atol=1e-4)
    assert three_modalities.predict(rows).tolist() == expected.idxmax(axis=1).tolist()
    three_modalities._runtime = None  # the module's other tests use the torch network
