# %% [markdown]
# # Object detection quick start: COCO files in, boxes out
#
# This walk-through trains a detector on a small COCO-format dataset laid out the way AutoGluon-MM's quick start
# ships its data (an `Annotations/` folder of JSON files whose `file_name`s point into `JPEGImages/`), scores it
# with COCO mAP, reloads it, writes its predictions to disk and draws them. The images are composited offline
# (digit glyphs pasted on photos), so it runs anywhere in under a minute; only the import lines differ from
# AutoGluon-MM's notebook, and the extra hyperparameters just shrink the model for a CPU.

# %%
# AutoGluon: object_detection/quick_start/quick_start_coco.ipynb
import json
import os
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor  # AutoGluon: from autogluon.multimodal import MultiModalPredictor
from automm.detect import ObjectDetectionVisualizer  # AutoGluon: from autogluon.multimodal.utils import ...
from automm.detect.testing.composite import make_autogluon_layout

workdir = tempfile.mkdtemp(prefix="automm_detect_quick_start_")
data_dir = str(make_autogluon_layout(workdir, 32, 12, image_size=(96, 96), object_size=(16, 32), max_objects=3,
                                     classes=[0, 1, 7], background="all", seed=0))
train_path = os.path.join(data_dir, "Annotations", "trainval_cocoformat.json")
test_path = os.path.join(data_dir, "Annotations", "test_cocoformat.json")
print(sorted(os.listdir(data_dir)), json.loads(Path(train_path).read_text())["images"][0]["file_name"])

# %% [markdown]
# `sample_data_path` fixes the class list (and COCO category ids) from an annotation file. `medium_quality` is a
# torchvision Faster R-CNN on the offline ImageNet EfficientNet-Lite0. So that this page runs in seconds on a CPU we
# swap in timm's tiny untrained test backbone at a 64-pixel input and train two epochs: the boxes will be poor.
# Drop the `task.*` / `model.image.*` overrides (and give a `time_limit`) for a real model.

# %%
model_path = os.path.join(workdir, "quick_start_model")
predictor = MultiModalPredictor(
    problem_type="object_detection",
    sample_data_path=train_path,
    presets="medium_quality",
    path=model_path,
    hyperparameters={"task.backbone": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
                     "task.min_score": 0.0, "optim.max_epochs": 2, "optim.batch_size": 8, "optim.lr": 1e-3},
)
start = time.time()
predictor.fit(train_path)
print(f"fit took {time.time() - start:.1f} s; classes: {predictor.class_labels}")

# %%
scores = predictor.evaluate(test_path)
print({name: round(value, 3) for name, value in scores.items() if name in ("map", "map_50", "map_75")})

# %% [markdown]
# A saved predictor loads back with `MultiModalPredictor.load` and scores the same.

# %%
reloaded = MultiModalPredictor.load(model_path)
print(round(reloaded.evaluate(test_path)["map"], 4) == round(scores["map"], 4))

# %% [markdown]
# `predict` returns one row per image: its path and a list of `{"class", "class_id", "bbox", "score"}` boxes.
# `save_results=True` also writes them under the predictor's folder: `result.json` (COCO results, ids as in the
# annotation file) or, with `as_coco=False`, `result.txt` (the table as CSV); `result_save_path` picks the file.

# %%
pred = predictor.predict(test_path)
print(len(pred), pred["bboxes"].iloc[0][:2])
predictor.predict(test_path, save_results=True, as_coco=False)
pred = predictor.predict(test_path, save_results=True, as_coco=True,
                         result_save_path=os.path.join(workdir, "results.json"))
print(sorted(os.listdir(model_path))[:8], json.loads(Path(workdir, "results.json").read_text())[0])

# %% [markdown]
# `ObjectDetectionVisualizer` draws the boxes of one prediction row that score at least `conf_threshold`.

# %%
figure, axes = plt.subplots(1, 3, figsize=(9, 3))
for axis, index in zip(axes, (0, 1, 2)):
    row = pred.iloc[index]
    drawn = ObjectDetectionVisualizer(row.image).draw_instance_predictions(row, conf_threshold=0.05).get_image()
    axis.imshow(drawn)
    axis.set_axis_off()
plt.tight_layout()
plt.show()

# %% [markdown]
# A new image needs no annotation file: a list of paths works, and so does a COCO file with only `images`
# (its `file_name`s relative to the JSON's parent folder, as for training data).

# %%
print(predictor.predict([pred.iloc[0].image])["bboxes"].iloc[0][:1])
