# %% [markdown]
# # Fine-tuning a detector with AutoGluon-MM's hyperparameter names
#
# AutoGluon-MM picks a detector with `model.mmdet_image.checkpoint_name` and tunes training with `optim.*` keys.
# automm accepts those names: YOLOX and the other mmdet models run on automm's mmdet backend (an optional install),
# and without mmdet the Faster R-CNN, RetinaNet and FCOS families run on automm's own torchvision detectors. This
# page shows what each AutoGluon-MM name becomes, fine-tunes a RetinaNet on composited COCO data, reads the
# classes back and draws the boxes with `visualize_detection`.

# %%
# AutoGluon: object_detection/advanced/finetune_coco.ipynb
import os
import tempfile

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from automm.detect import visualize_detection
from automm.detect.checkpoint_names import resolve_checkpoint_name
from automm.detect.testing.composite import make_autogluon_layout

for name in ("yolox_s", "yolox_l", "dino-4scale_r50_8xb2-12e_coco", "retinanet", "faster_rcnn"):
    print(f"{name!r:34} -> backend, architecture = {resolve_checkpoint_name(name)}")

# %% [markdown]
# AutoGluon-MM's notebook writes `hyperparameters={"model.mmdet_image.checkpoint_name": "yolox_s", ...}`; with
# `pip install "automm-detect[mmdet]"` that runs YOLOX-S here too. Offline and without mmdet we ask for
# `"retinanet"`, and shrink the backbone and input so the page runs in seconds (an untrained tiny timm backbone:
# expect weak boxes). `optim.lr`, `optim.max_epochs` and `optim.patience` mean what they mean in AutoGluon-MM.

# %%
workdir = tempfile.mkdtemp(prefix="automm_finetune_coco_")
root = make_autogluon_layout(workdir, 32, 8, image_size=(96, 96), object_size=(16, 32), max_objects=3,
                             classes=[0, 1, 7], background="all", seed=1)
train_path = str(root / "Annotations" / "trainval_cocoformat.json")
test_path = str(root / "Annotations" / "test_cocoformat.json")

predictor = MultiModalPredictor(
    problem_type="object_detection",
    sample_data_path=train_path,
    path=os.path.join(workdir, "retinanet"),
    hyperparameters={"model.mmdet_image.checkpoint_name": "retinanet", "task.backbone": "test_efficientnet",
                     "model.image.pretrained": False, "task.image_size": 64, "task.min_score": 0.0},
)
predictor.fit(train_path, hyperparameters={"optim.lr": 1e-3, "optim.max_epochs": 2, "optim.batch_size": 8,
                                           "optim.patience": 3})
print(predictor.state.config.task.backend, predictor.state.config.task.architecture, predictor.class_labels)
print({k: round(v, 3) for k, v in predictor.evaluate(test_path).items() if k in ("map", "map_50")})

# %% [markdown]
# `visualize_detection(pred, classes, conf_threshold, folder)` draws every row's boxes scoring above the
# threshold, saves each picture under the folder by its image's name and returns them as arrays.

# %%
pred = predictor.predict(test_path)
pictures = visualize_detection(pred, predictor.class_labels, 0.05, os.path.join(workdir, "drawn"))
figure, axes = plt.subplots(1, 4, figsize=(10, 3))
for axis, picture in zip(axes, pictures):
    axis.imshow(picture)
    axis.set_axis_off()
plt.tight_layout()
plt.show()
print(sorted(os.listdir(os.path.join(workdir, "drawn")))[:4])
