# %% [markdown]
# # Semantic segmentation: zero-shot SAM, then fine-tuning
#
# Segment Anything (SAM) predicts a foreground mask before any training. With `num_classes=1` and a SAM checkpoint,
# a predictor segments and scores images straight away (SAM's single mask of the whole image); `fit` then adapts
# SAM to the data with LoRA. No SAM weights ship offline, so this page builds a tiny randomly initialised SAM file
# in place of `"facebook/sam-vit-base"` (its zero-shot masks are noise; with the real checkpoint they are SAM's)
# and composited images with 0/255 masks, laid out as AutoGluon-MM's leaf-disease CSVs.

# %%
# AutoGluon: image_segmentation/beginner_semantic_seg.ipynb
import os
import tempfile

import matplotlib.pyplot as plt
import pandas as pd

from automm.core import MultiModalPredictor
from automm.segment import SemanticSegmentationVisualizer  # AutoGluon: from autogluon.multimodal.utils import ...
from automm.segment.testing.composite import make_autogluon_layout
from automm.segment.testing.tiny_sam import save_tiny_sam

workdir = tempfile.mkdtemp(prefix="automm_semantic_seg_")
dataset_path = str(make_autogluon_layout(workdir, 16, 4, 4, image_size=(96, 96), object_size=(24, 48),
                                         max_objects=3, background="all", seed=0))
sam_checkpoint = str(save_tiny_sam(os.path.join(workdir, "sam_vit_tiny.pth")))  # real: "facebook/sam-vit-base"
train_data = pd.read_csv(f"{dataset_path}/train.csv", index_col=0)
val_data = pd.read_csv(f"{dataset_path}/val.csv", index_col=0)
test_data = pd.read_csv(f"{dataset_path}/test.csv", index_col=0)
for frame in (train_data, val_data, test_data):
    for column in ("image", "label"):
        frame[column] = [os.path.abspath(os.path.join(dataset_path, p)) for p in frame[column]]
print(train_data.head(2))

# %% [markdown]
# `SemanticSegmentationVisualizer` shows an image, a mask file, or a predicted mask over the current axes.

# %%
visualizer = SemanticSegmentationVisualizer()
plt.subplot(1, 2, 1)
visualizer.plot_image(test_data.iloc[0]["image"])
plt.subplot(1, 2, 2)
visualizer.plot_image(test_data.iloc[0]["label"])
plt.show()

# %% [markdown]
# Zero-shot: `num_classes=1` (foreground / background) and the SAM checkpoint; `predict` and `evaluate` work before
# any `fit`. `task.image_size` shrinks SAM's input from 1024 pixels for this CPU.

# %%
predictor_zero_shot = MultiModalPredictor(
    problem_type="semantic_segmentation",
    label="label",
    hyperparameters={"model.sam.checkpoint_name": sam_checkpoint, "task.image_size": 64},
    num_classes=1,
    path=os.path.join(workdir, "zero_shot"),
)
pred_zero_shot = predictor_zero_shot.predict({"image": [test_data.iloc[0]["image"]]})
visualizer.plot_image(test_data.iloc[0]["image"])
visualizer.plot_mask(pred_zero_shot)
print("zero-shot", predictor_zero_shot.evaluate(test_data, metrics=["iou"]))

# %% [markdown]
# Fine-tuning trains LoRA adapters on SAM's image encoder and its mask decoder; `tuning_data` picks the best
# checkpoint. One epoch keeps this page short.

# %%
save_path = os.path.join(workdir, "fine_tuned")
predictor = MultiModalPredictor(
    problem_type="semantic_segmentation",
    label="label",
    hyperparameters={"model.sam.checkpoint_name": sam_checkpoint, "task.image_size": 64, "optim.max_epochs": 1},
    path=save_path,
)
predictor.fit(train_data=train_data, tuning_data=val_data, time_limit=60)
scores = predictor.evaluate(test_data, metrics=["iou"])
print("fine-tuned", scores)
pred = predictor.predict({"image": [test_data.iloc[0]["image"]]})
visualizer.plot_image(test_data.iloc[0]["image"])
visualizer.plot_mask(pred)

# %% [markdown]
# The saved predictor loads back and scores the same.

# %%
loaded_predictor = MultiModalPredictor.load(save_path)
print(loaded_predictor.evaluate(test_data, metrics=["iou"]) == scores)
