# %% [markdown]
# # Image-to-image matching
#
# An image matcher decides whether two pictures show the same kind of thing: two photos of one product, two
# scans of one document type. automm embeds each picture with the same image encoder and scores a pair by the
# cosine of the two embeddings. Here a pair of Fashion-MNIST pictures matches (label 1) when both show the same
# class of clothing and does not (label 0) otherwise. The encoder is the pretrained EfficientNet-Lite0 of the
# `medium_quality` preset; the page scores it before and after a short fit, then predicts and embeds.

# %%
# AutoGluon: semantic_matching/image2image_matching.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image

from automm.core import MultiModalPredictor
from benchmarks.datasets import fashion_mnist

workdir = Path(tempfile.mkdtemp(prefix="automm_image2image_"))
train, test = fashion_mnist(60, 30, image_dir=workdir / "images")


def pairs(images: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each picture with another of its class (1) and with one of another class (0)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, row in images.iterrows():
        same = images[(images["label"] == row["label"]) & (images["image"] != row["image"])]
        other = images[images["label"] != row["label"]]
        rows.append({"Image1": row["image"], "Image2": same["image"].iloc[rng.integers(len(same))], "Label": 1})
        rows.append({"Image1": row["image"], "Image2": other["image"].iloc[rng.integers(len(other))], "Label": 0})
    return pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)


train_data, test_data = pairs(train, 0), pairs(test, 1)
print(train_data.head(3).to_string(max_colwidth=50))

# %% [markdown]
# ## Before and after a short fit
#
# `query=` and `response=` name the image column of each side, `match_label` the label of matching pairs.
# The pictures are 28 pixels wide, so reading them at 64 pixels (instead of the preset's 224) loses nothing and
# keeps this page fast on a CPU.

# %%
predictor = MultiModalPredictor(problem_type="image_similarity", query="Image1", response="Image2",
                                label="Label", match_label=1, path=workdir / "matcher",
                                hyperparameters={"model.image.image_size": 64})
print("before fit:", predictor.evaluate(test_data))
predictor.fit(train_data, time_limit=30, hyperparameters={"optim.max_epochs": 1})
print("after fit: ", predictor.evaluate(test_data))

# %% [markdown]
# ## Predictions and embeddings
#
# `predict` gives each pair's label, `predict_proba` the probability of each label. `extract_embedding` reads
# the side from the columns of the data: a dict holding only `Image1` gives query embeddings.

# %%
shown = test_data.head(4)
print(pd.concat([shown, predictor.predict(shown).rename("predicted"), predictor.predict_proba(shown)], axis=1)
      .to_string(max_colwidth=30))
embeddings = predictor.extract_embedding({"Image1": shown["Image1"].tolist()})
print(embeddings.shape)

# %%
figure, axes = plt.subplots(2, 4, figsize=(10, 5))
probability = predictor.predict_proba(shown)[1]
for column, (_, row) in enumerate(shown.iterrows()):
    for line, side in enumerate(("Image1", "Image2")):
        axes[line, column].imshow(Image.open(row[side]), cmap="gray")
        axes[line, column].axis("off")
    axes[0, column].set_title(f"label {row['Label']}, p(match) {probability.iloc[column]:.2f}")
plt.show()
