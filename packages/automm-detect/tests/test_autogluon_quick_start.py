"""AutoGluon-MM's detection quick start (object_detection/quick_start/quick_start_coco.ipynb) as written.

Each block is a notebook cell's code with only the import lines changed. Deliberate differences, all in data,
model size and the machine: the data are composited images laid out as the tutorial's tiny_motorbike folder
(make_autogluon_layout, for the download cells 9 and 35); the constructor adds ``hyperparameters=TINY`` (a tiny
timm backbone at a 64-pixel input, two epochs) so the fit takes seconds on a CPU; cell 23's ``set_num_gpus``
runs where the predictor has it (another branch of issue 19 adds it); ``display`` is not called.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from automm.detect.testing.composite import make_autogluon_layout

from .conftest import IMAGE_SIZE, TINY


def test_quick_start_coco_runs_with_only_the_imports_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # cell 5
    from automm.core import MultiModalPredictor  # noqa: I001 (the notebook's cell order)
    # cell 7
    import os
    import time

    # cell 9 (download): the composited stand-in
    download_dir = "./tiny_motorbike_coco"
    make_autogluon_layout(download_dir, 40, 32, image_size=(IMAGE_SIZE, IMAGE_SIZE), object_size=(16, 32),
                          max_objects=3, classes=[0, 1, 7], background="all")
    data_dir = os.path.join(download_dir, "tiny_motorbike")
    train_path = os.path.join(data_dir, "Annotations", "trainval_cocoformat.json")
    test_path = os.path.join(data_dir, "Annotations", "test_cocoformat.json")
    # cell 11
    presets = "medium_quality"
    # cell 13
    import uuid

    model_path = f"./tmp/{uuid.uuid4().hex}-quick_start_tutorial_temp_save"

    predictor = MultiModalPredictor(
        problem_type="object_detection",
        sample_data_path=train_path,
        presets=presets,
        path=model_path,
        hyperparameters=TINY,
    )
    # cells 15 to 21
    start = time.time()
    predictor.fit(train_path)  # Fit
    train_end = time.time()
    print("This finetuning takes %.2f seconds." % (train_end - start))
    predictor.evaluate(test_path)
    eval_end = time.time()
    print("The evaluation takes %.2f seconds." % (eval_end - train_end))
    # cells 23 and 25
    new_predictor = MultiModalPredictor.load(model_path)
    if hasattr(new_predictor, "set_num_gpus"):
        new_predictor.set_num_gpus(1)
    new_predictor.evaluate(test_path)
    # cell 27
    pred = predictor.predict(test_path)
    print(len(pred))  # Number of predictions
    print(pred[:3])   # Sample of first 3 predictions
    assert len(pred) == 32
    # cell 29
    pred = predictor.predict(test_path, save_results=True, as_coco=False)
    pred = predictor.predict(test_path, save_results=True, as_coco=True, result_save_path="./results.json")
    assert (Path(model_path) / "result.txt").is_file() and Path("results.json").is_file()
    # cell 33
    from automm.detect import ObjectDetectionVisualizer

    conf_threshold = 0.4  # Specify a confidence threshold to filter out unwanted boxes
    image_result = pred.iloc[30]

    img_path = image_result.image  # Select an image to visualize

    visualizer = ObjectDetectionVisualizer(img_path)  # Initialize the Visualizer
    out = visualizer.draw_instance_predictions(image_result, conf_threshold=conf_threshold)  # Draw detections
    visualized = out.get_image()  # Get the visualized image

    from PIL import Image
    img = Image.fromarray(visualized, 'RGB')
    assert img.size == (IMAGE_SIZE, IMAGE_SIZE)
    # cell 35 (download): a test image copied into the working directory
    test_image = shutil.copy(pred.iloc[0].image, "street_small.jpg")
    # cell 37
    import json

    # create a input file for demo
    data = {"images": [{"id": 0, "width": -1, "height": -1, "file_name": test_image}], "categories": []}
    os.mkdir("input_data_for_demo")
    input_file = "input_data_for_demo/demo_annotation.json"
    with open(input_file, "w+") as f:
        json.dump(data, f)

    pred_test_image = predictor.predict(input_file)
    print(pred_test_image)
    # cell 39
    pred_test_image = predictor.predict([test_image])
    print(pred_test_image)
    alone, in_batch = pred_test_image["bboxes"].iloc[0], pred["bboxes"].iloc[0]  # scores differ by batch rounding
    assert [(b["class"], b["bbox"]) for b in alone][:5] == [(b["class"], b["bbox"]) for b in in_batch][:5]
    assert Image.open(test_image).size == (IMAGE_SIZE, IMAGE_SIZE)
