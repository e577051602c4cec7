# %% [markdown]
# # Zero-shot image classification with CLIP
#
# A CLIP model embeds images and sentences in one space, so an image can be classified against class names it
# was never trained on: the class whose sentence lies closest to the image wins. In automm, as in AutoGluon-MM,
# this is `problem_type="zero_shot_image_classification"`: no `fit()`, just `predict_proba(images, candidates)`.
# With a network the predictor loads `openai/clip-vit-base-patch32` (ViT-L/14 with `presets="best_quality"`).
# This page runs offline, where no CLIP weights exist, so it builds a **tiny CLIP with random weights** from a
# config: every call below is the real one, but the probabilities are those of an untrained model. With a
# network, drop the `hyperparameters=` argument and the same code classifies with the pretrained CLIP.

# %%
# AutoGluon: image_prediction/clip_zeroshot.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import make_tiny_clip_model, make_tiny_text_model
from benchmarks.datasets import fashion_mnist

workdir = Path(tempfile.mkdtemp(prefix="automm_clip_zeroshot_"))
_, photos = fashion_mnist(0, 10, image_dir=workdir / "images")
tiny_clip = make_tiny_clip_model(workdir / "tiny_clip", make_tiny_text_model(workdir / "tiny_text"))

# %% [markdown]
# ## One image, four candidate sentences
#
# AutoGluon-MM writes `MultiModalPredictor(problem_type="zero_shot_image_classification")`; so does automm. The
# images go in a column named `image`, the candidates in a column named `text` (both may also be plain lists).

# %%
predictor = MultiModalPredictor(problem_type="zero_shot_image_classification", path=workdir / "predictor",
                                hyperparameters={"model.text.checkpoint": str(tiny_clip)})  # offline only
first = photos["image"][0]
candidates = ["This is a T-shirt", "This is a trouser", "This is a sneaker", "This is a bag"]
probabilities = predictor.predict_proba({"image": [first]}, {"text": candidates})
print("true class:", photos["label"][0])
print("label probabilities:", probabilities.round(3))

# %% [markdown]
# `predict` with the same candidates gives the position of the best one per image. A dict or list input gives
# numpy arrays, a DataFrame gives pandas objects indexed like it (as in AutoGluon-MM).

# %%
names = sorted(photos["label"].unique())
best = predictor.predict(photos[["image"]], candidate_data={"text": [f"a photo of a {n}" for n in names]})
print(best.map(dict(enumerate(names))).to_frame("predicted").assign(true=photos["label"]))

# %% [markdown]
# ## The probabilities, image by image
#
# The plot shows each image with the probability of every candidate class. With the random offline CLIP the
# bars are close to uniform; a pretrained CLIP puts most of the mass on the right class.

# %%
table = predictor.predict_proba(photos[["image"]].head(4), candidate_data=[f"a photo of a {n}" for n in names])
figure, axes = plt.subplots(2, 4, figsize=(12, 5))
for column, (row, path) in enumerate(zip(table.index, photos["image"].head(4))):
    axes[0, column].imshow(Image.open(path), cmap="gray")
    axes[0, column].set_title(photos["label"][row])
    axes[0, column].axis("off")
    axes[1, column].barh(names, table.loc[row].to_numpy())
    axes[1, column].tick_params(labelsize=6)
figure.tight_layout()
plt.show()
