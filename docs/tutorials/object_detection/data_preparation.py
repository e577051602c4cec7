# %% [markdown]
# # Preparing detection data: VOC folders and COCO files
#
# AutoGluon-MM asks for COCO files and ships a `voc2coco` command to convert Pascal VOC folders first. automm reads
# both formats directly: a VOC folder (`Annotations/*.xml` + `JPEGImages/`, optionally a split file under
# `ImageSets/Main/`) is passed to `fit`, `evaluate` and `predict` as it is, with no conversion step. Where a COCO
# file is still wanted (for another tool), `object_detection_df_to_coco` writes one from any source read as a table.

# %%
# AutoGluon: object_detection/data_preparation/convert_data_to_coco_format
# AutoGluon: object_detection/data_preparation/voc_to_coco
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from automm.detect import object_detection_df_to_coco, read_detection_data
from automm.detect.testing.composite import coco_to_voc, make_composited_detection

workdir = Path(tempfile.mkdtemp(prefix="automm_detection_data_"))
coco_json = make_composited_detection(workdir / "coco", 24, image_size=(96, 96), object_size=(16, 32),
                                      max_objects=3, classes=[0, 1, 7], background="all", seed=3)
voc = coco_to_voc(coco_json, workdir / "VOC")
print(sorted(p.name for p in voc.iterdir()), sorted(os.listdir(voc / "Annotations"))[:2])
print((voc / "Annotations" / sorted(os.listdir(voc / "Annotations"))[0]).read_text()[:300])

# %% [markdown]
# The VOC folder as the table every source becomes: `image` and `rois`.

# %%
table = read_detection_data(str(voc), "train_data")
print(table.head(2))

# %% [markdown]
# Training straight from the VOC folder (a tiny untrained backbone keeps this fast):

# %%
predictor = MultiModalPredictor(problem_type="object_detection", path=str(workdir / "model"),
                                hyperparameters={"task.backbone": "test_efficientnet", "model.image.pretrained": False,
                                                 "task.image_size": 64, "task.min_score": 0.0, "optim.max_epochs": 1,
                                                 "optim.batch_size": 8})
predictor.fit(str(voc))
print(predictor.class_labels, round(predictor.evaluate(str(voc))["map"], 3))

# %% [markdown]
# The same data as a COCO file, the format AutoGluon-MM's converter writes:

# %%
coco = object_detection_df_to_coco(table, save_path=str(workdir / "voc_as_coco.json"))
print(coco["categories"], coco["images"][0]["width"], coco["annotations"][0]["bbox"])
sizes = [b[2] - b[0] for boxes in table["rois"] for b in boxes]
plt.hist(sizes, bins=10)
plt.title("box widths (pixels)")
plt.show()
