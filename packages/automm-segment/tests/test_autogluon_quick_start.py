"""AutoGluon-MM's semantic-segmentation quick start (image_segmentation/beginner_semantic_seg.ipynb) as written.

Each block is a notebook cell's code with only the import lines changed. Deliberate differences, all in data
and model size: the data are composited images laid out as the tutorial's leaf_disease_segmentation folder
(make_autogluon_layout, for the download cell); ``"model.sam.checkpoint_name"`` names a tiny randomly initialised
SAM file (no SAM weights offline) in place of "facebook/sam-vit-base", and ``TINY_SAM`` adds automm's
``task.image_size`` and AutoGluon's ``optim.max_epochs`` so it runs in seconds; the plots go to matplotlib's
Agg backend.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

from automm.segment.testing.composite import make_autogluon_layout
from automm.segment.testing.tiny_sam import save_tiny_sam

from .conftest import IMAGE_SIZE, OPTIONS


def test_beginner_semantic_seg_runs_with_only_the_imports_changed(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    # cell 2 (download): the composited stand-in
    download_dir = './ag_automm_tutorial'
    make_autogluon_layout(download_dir, 12, 4, 4, **OPTIONS)
    checkpoint = str(save_tiny_sam(tmp_path / "sam_vit_tiny.pth"))
    TINY_SAM = {"task.image_size": 64, "optim.max_epochs": 1}  # noqa: N806
    assert IMAGE_SIZE == 96

    # cell 4
    import pandas as pd
    dataset_path = os.path.join(download_dir, 'leaf_disease_segmentation')
    train_data = pd.read_csv(f'{dataset_path}/train.csv', index_col=0)
    val_data = pd.read_csv(f'{dataset_path}/val.csv', index_col=0)
    test_data = pd.read_csv(f'{dataset_path}/test.csv', index_col=0)
    image_col = 'image'
    label_col = 'label'

    # cell 5
    def path_expander(path, base_folder):
        path_l = path.split(';')
        return ';'.join([os.path.abspath(os.path.join(base_folder, path)) for path in path_l])

    for per_col in [image_col, label_col]:
        train_data[per_col] = train_data[per_col].apply(lambda ele: path_expander(ele, base_folder=dataset_path))
        val_data[per_col] = val_data[per_col].apply(lambda ele: path_expander(ele, base_folder=dataset_path))
        test_data[per_col] = test_data[per_col].apply(lambda ele: path_expander(ele, base_folder=dataset_path))

    # cells 9 and 10
    from automm.segment import SemanticSegmentationVisualizer
    visualizer = SemanticSegmentationVisualizer()
    visualizer.plot_image(test_data.iloc[0]['image'])
    visualizer.plot_image(test_data.iloc[0]['label'])

    # cell 13
    from automm.core import MultiModalPredictor
    predictor_zero_shot = MultiModalPredictor(
        problem_type="semantic_segmentation",
        label=label_col,
        hyperparameters={
            "model.sam.checkpoint_name": checkpoint, **TINY_SAM,
        },
        num_classes=1,  # forground-background segmentation
    )
    # cells 15, 16 and 19
    pred_zero_shot = predictor_zero_shot.predict({'image': [test_data.iloc[0]['image']]})
    visualizer.plot_mask(pred_zero_shot)
    scores = predictor_zero_shot.evaluate(test_data, metrics=["iou"])
    assert list(scores) == ["iou"] and pred_zero_shot[0].shape == (IMAGE_SIZE, IMAGE_SIZE)

    # cell 22
    import uuid
    save_path = f"./tmp/{uuid.uuid4().hex}-automm_semantic_seg"
    predictor = MultiModalPredictor(
        problem_type="semantic_segmentation",
        label="label",
        hyperparameters={
            "model.sam.checkpoint_name": checkpoint, **TINY_SAM,
        },
        path=save_path,
    )
    predictor.fit(
        train_data=train_data,
        tuning_data=val_data,
        time_limit=180,  # seconds
    )
    # cells 25, 28, 29 and 32
    scores = predictor.evaluate(test_data, metrics=["iou"])
    pred = predictor.predict({'image': [test_data.iloc[0]['image']]})
    visualizer.plot_mask(pred)
    loaded_predictor = MultiModalPredictor.load(save_path)
    assert loaded_predictor.evaluate(test_data, metrics=["iou"]) == scores
