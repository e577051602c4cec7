# %% [markdown]
# # Evaluating detections against COCO annotations
#
# AutoGluon-MM's older detection tutorials evaluated a COCO-pretrained mmdet detector, loaded through
# `model.mmdet_image.checkpoint_name`, on the COCO 2017 validation annotations without training it. This
# tutorial covers the same ground in automm: what `evaluate` reports for a COCO annotation file, how those COCO
# numbers (computed as pycocotools computes them) react to boxes that are shifted or missed, and what happens
# to AutoGluon-MM's zero-shot spelling. The data are composited offline: scikit-learn's digit glyphs pasted on
# scikit-image photographs, written as a COCO JSON file.

# %%
# AutoGluon: object_detection/evaluation/detection_eval_fasterrcnn_coco
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from automm.core import AutoMMError, MultiModalPredictor
from automm.detect.metrics import score_detections
from automm.detect.testing.composite import make_composited_detection

folder = Path(tempfile.mkdtemp(prefix="automm-coco-"))
val_json = make_composited_detection(folder, 12, "digits", split_name="val", seed=3)
coco = json.loads(val_json.read_text())
print(len(coco["images"]), "images,", len(coco["annotations"]), "boxes, classes:",
      [c["name"] for c in coco["categories"]])

# %% [markdown]
# ## AutoGluon-MM's zero-shot evaluation, written for automm
#
# AutoGluon-MM's tutorial builds the predictor from an mmdet checkpoint name and evaluates at once. In automm the
# default detection preset (`medium_quality`, a torchvision Faster R-CNN on the offline EfficientNet-Lite0)
# starts from an ImageNet backbone, so it cannot detect before `fit`; COCO-pretrained zero-shot detection is
# `presets="high_quality"` (RT-DETR from the model hub). Both refusals below say what to write instead.

# %%
for hyperparameters in ({"model.mmdet_image.checkpoint_name": "faster_rcnn_r50_fpn_2x_coco", "env.num_gpus": -1},
                        None):
    try:
        predictor = MultiModalPredictor(problem_type="object_detection", hyperparameters=hyperparameters)
        predictor.evaluate(str(val_json))
    except AutoMMError as err:
        print(f"{type(err).__name__}: {err}\n")

# %% [markdown]
# ## What the COCO numbers measure
#
# `evaluate` on a detector returns COCO's twelve numbers (`map`, `map_50`, `map_75`, by object size, and the
# recalls `mar_1` / `mar_10` / `mar_100`) plus `map_<class>` per class; `automm.detect.metrics.score_detections`
# computes them for any list of detections. Scoring the annotations themselves gives 1.0; shifting every box by
# a few pixels, or dropping some, shows how quickly the strict thresholds (`map_75`) fall behind the lenient
# one (`map_50`).

# %%
names = [c["name"] for c in coco["categories"]]
truth = np.empty(len(coco["images"]), dtype=object)
for index, image in enumerate(coco["images"]):
    boxes = [[x, y, x + w, y + h, a["category_id"] - 1] for a in coco["annotations"] if a["image_id"] == image["id"]
             for x, y, w, h in [a["bbox"]]]
    truth[index] = np.asarray(boxes, np.float32).reshape(-1, 5)


def detections(shift: float = 0.0, keep: float = 1.0) -> list[dict[str, np.ndarray]]:
    """The ground truth as detections, every box moved right and down by ``shift`` pixels, the first ``keep``
    share of each image's boxes kept."""
    found = []
    for boxes in truth:
        kept = boxes[: int(np.ceil(len(boxes) * keep))]
        found.append({"boxes": kept[:, :4] + shift, "scores": np.ones(len(kept)), "labels": kept[:, 4]})
    return found


print({k: round(v, 3) for k, v in score_detections(detections(), truth, names, ["map", "map_50", "mar_100"]).items()})
print({k: round(v, 3) for k, v in score_detections(detections(keep=0.5), truth, names, ["map", "mar_100"]).items()})

# %%
shifts = [0, 1, 2, 3, 4, 6, 8, 10]
curves = {name: [score_detections(detections(s), truth, names, [name])[name] for s in shifts]
          for name in ("map_50", "map_75", "map")}
fig, ax = plt.subplots(figsize=(5, 3))
for name, values in curves.items():
    ax.plot(shifts, values, marker="o", label=name)
ax.set_xlabel("every box shifted by (pixels)")
ax.set_ylabel("score")
ax.legend()
plt.show()
