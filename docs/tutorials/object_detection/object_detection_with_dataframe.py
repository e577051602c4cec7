# %% [markdown]
# # Detection data as a DataFrame
#
# Besides COCO files and VOC folders, a detector trains on a plain table: one row per image, an `image` path
# column and a `rois` column holding that image's boxes as `[x1, y1, x2, y2, class_name]` lists. This page reads a
# COCO file into that table with `from_coco`, trains and evaluates from tables (with `sample_data_path` given as a
# DataFrame), and writes a table back out as a COCO file with `object_detection_df_to_coco`.

# %%
# AutoGluon: object_detection/data_preparation/object_detection_with_dataframe.ipynb
import json
import os
import tempfile

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from automm.detect import from_coco, object_detection_df_to_coco  # AutoGluon: autogluon.multimodal.utils...
from automm.detect.testing.composite import make_autogluon_layout

workdir = tempfile.mkdtemp(prefix="automm_detection_dataframe_")
root = make_autogluon_layout(workdir, 32, 8, image_size=(96, 96), object_size=(16, 32), max_objects=3,
                             classes=[0, 1, 7], background="all", seed=2)
train_df = from_coco(root / "Annotations" / "trainval_cocoformat.json")
test_df = from_coco(root / "Annotations" / "test_cocoformat.json")
print(train_df.columns.tolist())
print(train_df.iloc[0]["rois"])

# %% [markdown]
# The boxes per image, counted by class, show what the table holds.

# %%
counts = train_df["rois"].explode().dropna().map(lambda box: box[4]).value_counts()
counts.plot.bar(title="boxes per class in train_df")
plt.show()

# %% [markdown]
# `sample_data_path=train_df` takes the class list from the table (in order of first appearance). The tiny
# untrained backbone below only keeps the page fast.

# %%
predictor = MultiModalPredictor(
    problem_type="object_detection",
    sample_data_path=train_df,
    path=os.path.join(workdir, "model"),
    hyperparameters={"task.backbone": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
                     "task.min_score": 0.0, "optim.max_epochs": 2, "optim.batch_size": 8, "optim.lr": 1e-3},
)
predictor.fit(train_df)
print(predictor.class_labels)
print({k: round(v, 3) for k, v in predictor.evaluate(test_df).items() if k in ("map", "map_50")})
print(predictor.predict(test_df.drop(columns=["rois", "label"])).head(2))

# %% [markdown]
# `object_detection_df_to_coco(table, save_path=...)` returns the COCO dict and writes it when the path ends in
# `.json`; its `file_name`s are the table's (absolute) paths, so it reads back from any folder.

# %%
coco = object_detection_df_to_coco(test_df, save_path=os.path.join(workdir, "test_again.json"))
print(len(coco["images"]), len(coco["annotations"]), coco["categories"])
again = from_coco(os.path.join(workdir, "test_again.json"))
print(again["rois"].tolist() == test_df["rois"].tolist(), json.dumps(coco["annotations"][0]))
