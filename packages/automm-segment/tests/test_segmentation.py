"""Segmentation through core's MultiModalPredictor: masks at each image's size, metrics, files, ONNX, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError, InputError
from automm.segment.metrics import SegmentationMetric

from .conftest import TINY


def test_predict_gives_a_class_map_at_each_images_own_size(fitted, test_table: pd.DataFrame, tmp_path: Path) -> None:
    odd = []
    for name, size in (("wide.png", (150, 40)), ("dot.png", (1, 1))):
        Image.open(test_table["image"].iloc[0]).resize(size).save(tmp_path / name)
        odd.append(str(tmp_path / name))
    rows = pd.concat([test_table, pd.DataFrame({"image": odd})], ignore_index=True)
    masks = fitted.predict(rows.drop(columns="label"))
    assert list(masks.index) == list(rows.index)
    for mask, path in zip(masks, rows["image"]):
        width, height = Image.open(path).size
        assert mask.shape == (height, width) and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}


def test_predict_proba_is_one_column_per_class_summing_to_one(fitted, test_table: pd.DataFrame) -> None:
    proba = fitted.predict_proba(test_table.head(3))
    assert list(proba.columns) == ["0", "255"]
    masks = fitted.predict(test_table.head(3))
    for (_, row), mask in zip(proba.iterrows(), masks):
        np.testing.assert_allclose(row["0"] + row["255"], 1.0, atol=2e-3)
        np.testing.assert_array_equal(mask, (row["255"] >= 0.5).astype(np.uint8))


def test_evaluate_names_the_anchor_metrics(fitted, test_table: pd.DataFrame) -> None:
    scores = fitted.evaluate(test_table, metrics=["iou", "ber", "sm", "em", "fm", "mae"])
    assert list(scores) == ["iou", "ber", "sm", "em", "fm", "mae"]
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    with pytest.raises(ConfigError, match="Unknown segmentation metric 'dice'"):
        fitted.evaluate(test_table, metrics=["dice"])


def test_metrics_match_a_direct_computation() -> None:
    rng = np.random.default_rng(0)
    masks = [rng.integers(0, 2, (20, 30)) for _ in range(3)]
    foreground = [np.clip(m * 0.7 + rng.random(m.shape) * 0.5, 0, 1) for m in masks]
    metric = SegmentationMetric(2, ["iou", "ber", "mae", "accuracy"])
    metric.update([np.stack([1 - f, f]) for f in foreground], masks)
    found = metric.compute()
    predicted = np.concatenate([(f >= 0.5).ravel() for f in foreground])
    truth = np.concatenate([m.ravel() for m in masks])
    tp, fp = np.sum(predicted & (truth == 1)), np.sum(predicted & (truth == 0))
    fn, tn = np.sum(~predicted & (truth == 1)), np.sum(~predicted & (truth == 0))
    assert found["iou"] == pytest.approx(tp / (tp + fp + fn), abs=1e-6)
    assert found["ber"] == pytest.approx(1 - 0.5 * (tp / (tp + fn) + tn / (tn + fp)), abs=1e-6)
    assert found["accuracy"] == pytest.approx((tp + tn) / truth.size)
    # pysodmetrics' MAE is on the 0-255 rounded map, per image, averaged over images
    mae = np.mean([np.abs(np.round(f * 255) / 255 - m).mean() for f, m in zip(foreground, masks)])
    assert found["mae"] == pytest.approx(mae, abs=2e-3)
    perfect = SegmentationMetric(4, ["iou", "accuracy"])
    target = rng.integers(0, 4, (10, 10))
    perfect.update([np.eye(4)[target].transpose(2, 0, 1)], [target])
    assert perfect.compute() == {"iou": 1.0, "accuracy": 1.0}


def test_save_results_writes_pngs_in_the_training_encoding(fitted, test_table: pd.DataFrame, tmp_path: Path) -> None:
    paths = fitted.predict(test_table.head(3), save_results=str(tmp_path / "masks"))
    masks = fitted.predict(test_table.head(3))
    for path, mask in zip(paths, masks):
        written = np.asarray(Image.open(path))
        np.testing.assert_array_equal(written, mask * 255)  # the training masks were 0 / 255


def test_visualize_blends_the_mask_over_the_image(fitted, test_table: pd.DataFrame, tmp_path: Path) -> None:
    import automm.segment

    image = test_table["image"].iloc[0]
    out = automm.segment.visualize(fitted, image, tmp_path / "overlay.png")
    drawn, original = np.asarray(Image.open(out)).astype(int), np.asarray(Image.open(image).convert("RGB")).astype(int)
    mask = fitted.predict(pd.DataFrame({"image": [image]})).iloc[0]
    assert drawn.shape == original.shape
    assert np.abs(drawn[mask == 0] - original[mask == 0]).max() <= 1  # background untouched
    if mask.any():
        assert np.abs(drawn[mask == 1] - original[mask == 1]).mean() > 5


def test_reload_in_a_new_offline_process_gives_identical_masks(fitted, test_table: pd.DataFrame,
                                                               tmp_path: Path) -> None:
    script = ("import sys, numpy as np, pandas as pd\nfrom automm.core import MultiModalPredictor\n"
              "p = MultiModalPredictor.load(sys.argv[1])\n"
              "masks = p.predict(pd.DataFrame({'image': sys.argv[3:]}))\n"
              "np.savez(sys.argv[2], *list(masks))\n")
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "", "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script, str(fitted.path), str(tmp_path / "m.npz"), *test_table["image"]],
                   check=True, env=env, timeout=300)
    again = np.load(tmp_path / "m.npz")
    for i, mask in enumerate(fitted.predict(test_table)):
        np.testing.assert_array_equal(again[f"arr_{i}"], mask)


def test_onnx_graph_gives_the_same_masks(fitted, test_table: pd.DataFrame, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import onnxruntime

    import automm.segment
    from automm.segment.network import probabilities
    from automm.segment.outputs import class_map

    path = automm.segment.export_onnx(fitted, tmp_path / "segmenter.onnx")
    batch = fitted.state.processors.collate(test_table[["image"]])
    logits = onnxruntime.InferenceSession(str(path)).run(None, {"images": batch.images.numpy()})[0]
    equal = total = 0
    for row_logits, valid, size, mask in zip(logits, batch.valid, batch.sizes, fitted.predict(test_table)):
        onnx_mask = class_map(probabilities(torch.from_numpy(row_logits), valid, size).numpy(), 0.5)
        equal, total = equal + int((onnx_mask == mask).sum()), total + mask.size
    assert equal / total >= 0.999


def test_multiclass_masks(multiclass_folder: Path, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", hyperparameters=TINY,
                                    path=tmp_path / "multi")
    predictor.fit(str(multiclass_folder / "train.csv"), tuning_data=str(multiclass_folder / "test.csv"), seed=0)
    assert predictor.state.task.codec.values == (0, 1, 2, 3)
    masks = predictor.predict(str(multiclass_folder / "test.csv"))
    assert all(set(np.unique(m)) <= {0, 1, 2, 3} for m in masks)
    scores = predictor.evaluate(str(multiclass_folder / "test.csv"))
    assert list(scores) == ["iou", "accuracy"] and 0 <= scores["iou"] <= 1
    assert list(predictor.predict_proba(str(multiclass_folder / "test.csv")).columns) == ["0", "1", "2", "3"]
    with pytest.raises(ConfigError, match="binary masks only"):
        predictor.evaluate(str(multiclass_folder / "test.csv"), metrics=["sm"])


def test_bad_training_data_is_refused_before_training(train_table: pd.DataFrame, tmp_path: Path) -> None:
    settings = {"problem_type": "semantic_segmentation", "label": "label", "hyperparameters": TINY}
    small = tmp_path / "small.png"
    Image.open(train_table["label"].iloc[2]).resize((40, 30)).save(small)
    resized = train_table.copy()
    resized.loc[2, "label"] = str(small)
    with pytest.raises(InputError, match=r"small\.png' is 40x30 px but image '.*train_00003\.jpg' is 96x96"):
        MultiModalPredictor(**settings, path=tmp_path / "a").fit(resized)
    missing = train_table.copy()
    missing.loc[4, "label"] = str(tmp_path / "gone.png")
    with pytest.raises(InputError, match=r"gone\.png.*does not exist"):
        MultiModalPredictor(**settings, path=tmp_path / "b").fit(missing)
    (tmp_path / "notes.jpg").write_text("not an image")
    text = train_table.copy()
    text.loc[1, "image"] = str(tmp_path / "notes.jpg")
    with pytest.raises(InputError, match=r"notes\.jpg' \(row 1\) cannot be read"):
        MultiModalPredictor(**settings, path=tmp_path / "e").fit(text)
    numbers = train_table.assign(label=range(len(train_table)))
    with pytest.raises(InputError, match="not a mask image path.*multiclass"):
        MultiModalPredictor(**settings, path=tmp_path / "c").fit(numbers)
    unseen = train_table.head(10).copy()
    odd = np.asarray(Image.open(unseen["label"].iloc[0])).copy()
    odd[0, 0] = 7
    Image.fromarray(odd).save(tmp_path / "odd.png")
    fitted = MultiModalPredictor(**settings, path=tmp_path / "d").fit(train_table, seed=0)
    unseen.loc[0, "label"] = str(tmp_path / "odd.png")
    with pytest.raises(InputError, match=r"odd\.png.*\[7\]"):
        fitted.evaluate(unseen)


def test_autogluon_quick_start_arguments(binary_folder: Path, tmp_path: Path) -> None:
    """AutoGluon-MM's segmentation quick start: label=, tuning_data=, time_limit=, evaluate(metrics=["iou"])."""
    train = pd.read_csv(binary_folder / "train.csv")
    expand = lambda frame: frame.apply(lambda col: col.map(lambda p: str(binary_folder / p)))  # its path_expander
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", hyperparameters=TINY,
                                    path=str(tmp_path / "ag"))
    predictor.fit(train_data=expand(train.head(16)), tuning_data=expand(train.tail(8)), time_limit=120)
    scores = predictor.evaluate(expand(pd.read_csv(binary_folder / "test.csv")), metrics=["iou"])
    assert list(scores) == ["iou"]
    assert predictor.predict(expand(train.head(1))).iloc[0].shape == (96, 96)


def test_autogluon_sam_checkpoint_name_selects_sam_with_lora_and_reloads_without_it(
        train_table: pd.DataFrame, test_table: pd.DataFrame, tmp_path: Path) -> None:
    from automm.segment.testing.tiny_sam import save_tiny_sam

    checkpoint = save_tiny_sam(tmp_path / "sam_vit_tiny.pth")
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "sam"),
                                    hyperparameters={"model.sam.checkpoint_name": str(checkpoint),
                                                     "task.image_size": 64, "optim.max_epochs": 1,
                                                     "optim.batch_size": 8, "env.eval_batch_size": 8})
    predictor.fit(train_table.head(16), tuning_data=train_table.tail(8))
    config = predictor.state.config
    assert config.task.resolved_backend == "sam" and config.optim.peft == "lora"
    masks = predictor.predict(test_table.head(3))
    assert all(m.shape == (96, 96) for m in masks)
    checkpoint.unlink()  # the saved predictor must not need the checkpoint
    reloaded = MultiModalPredictor.load(predictor.path)
    for again, mask in zip(reloaded.predict(test_table.head(3)), masks):
        np.testing.assert_array_equal(again, mask)
    explicit = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "full"),
                                   hyperparameters={"model.sam.checkpoint_name": str(save_tiny_sam(checkpoint)),
                                                    "optim.peft": "none", "task.image_size": 64,
                                                    "optim.max_epochs": 1})
    explicit.fit(train_table.head(8), tuning_data=train_table.tail(4))
    assert explicit.state.config.optim.peft == "none"  # an explicit choice is kept


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_fit_resumes_and_finishes(binary_folder: Path, tmp_path: Path) -> None:
    from automm.core.testing.killed_fit import kill_fit_after_first_checkpoint

    settings = {**TINY, "optim.max_epochs": 10, "optim.batch_size": 4, "optim.checkpoint_every_n_steps": 2,
                "optim.patience": 100}
    path = tmp_path / "segmenter"
    train_csv, test_csv = str(binary_folder / "train.csv"), str(binary_folder / "test.csv")
    kill_fit_after_first_checkpoint({"problem_type": "semantic_segmentation", "label": "label", "path": str(path),
                                     "hyperparameters": settings}, train_csv)
    resumed = MultiModalPredictor.load(path, resume=True)
    resumed.fit(train_csv)
    assert 0 < resumed.fit_summary["resumed_from_step"] < resumed.fit_summary["steps"]
    for again, mask in zip(MultiModalPredictor.load(path).predict(test_csv), resumed.predict(test_csv)):
        np.testing.assert_array_equal(again, mask)


def test_conv_lora_trains_adapters_only_and_survives_save_load_and_onnx(
        train_table: pd.DataFrame, test_table: pd.DataFrame, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import onnxruntime

    import automm.segment
    from automm.segment.testing.tiny_sam import save_tiny_sam, tiny_sam

    checkpoint = save_tiny_sam(tmp_path / "sam_vit_tiny.pth")
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "conv"),
                                    hyperparameters={"model.sam.checkpoint_name": str(checkpoint),
                                                     "optim.peft": "conv_lora", "optim.lora_rank": 4,
                                                     "task.image_size": 64, "optim.max_epochs": 1,
                                                     "optim.lr": 1e-2, "optim.top_k": 1})
    predictor.fit(train_table.head(16), tuning_data=train_table.tail(8))
    weights = predictor.state.net.state_dict()
    pretrained = tiny_sam(64).state_dict()
    torch.testing.assert_close(weights["model.backbone.blocks.0.attn.qkv.base.weight"],
                               pretrained["image_encoder.blocks.0.attn.qkv.weight"])  # frozen
    torch.testing.assert_close(weights["model.backbone.blocks.1.mlp.lin1.weight"],
                               pretrained["image_encoder.blocks.1.mlp.lin1.weight"])
    assert weights["model.backbone.blocks.0.attn.qkv.conv_lora.up.weight"].abs().sum() > 0  # trained
    reloaded = MultiModalPredictor.load(predictor.path)
    masks = predictor.predict(test_table.head(3))
    for again, mask in zip(reloaded.predict(test_table.head(3)), masks):
        np.testing.assert_array_equal(again, mask)
    path = automm.segment.export_onnx(predictor, tmp_path / "conv.onnx")
    batch = predictor.state.processors.collate(test_table[["image"]].head(3))
    logits = onnxruntime.InferenceSession(str(path)).run(None, {"images": batch.images.numpy()})[0]
    with torch.inference_mode():
        expected = predictor.state.net.model(batch.images).numpy()
    np.testing.assert_allclose(logits, expected, atol=1e-4)


def test_conv_lora_needs_sam(train_table: pd.DataFrame, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "x"),
                                    hyperparameters={**TINY, "optim.peft": "conv_lora"})
    with pytest.raises(ConfigError, match="conv_lora.*SAM"):
        predictor.fit(train_table.head(8))


def test_predictors_saved_by_core_0_4_with_conv_lora_and_zero_shot_still_load() -> None:
    """0.4 kept conv_lora in core's optim.peft and the task's pretrained-weights decision as ``zero_shot``."""
    from automm.core.config import Config
    from automm.segment.config import SegmentConfig
    from automm.segment.masks import MaskCodec
    from automm.segment.task import SegmentationTask

    saved = Config(task=SegmentConfig(checkpoint="sam.pth")).to_dict()
    saved["optim"]["peft"] = "conv_lora"
    del saved["task"]["conv_lora"]
    config = Config.from_dict(saved, SegmentConfig())
    assert config.task.conv_lora and config.optim.peft == "none"
    state = {"problem_type": "semantic_segmentation", "codec": MaskCodec.any_binary().to_json(), "zero_shot": True}
    assert SegmentationTask.from_json(state).keep_pretrained_if_better
    assert SegmentationTask.from_json(SegmentationTask.from_json(state).to_json()).keep_pretrained_if_better
