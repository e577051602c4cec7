# %% [markdown]
# # Image classification: paths, bytes and base64 alike
#
# An image column may hold file paths, the files' raw bytes, or their base64 text, and a predictor reads all
# three whatever the column was trained on. This page trains a clothing classifier on Fashion-MNIST images given
# as PNG paths, then evaluates and predicts on the same images given as bytes, extracts embeddings, saves and
# reloads the predictor, and shows what happens to a row whose image cannot be read.

# %%
# AutoGluon: image_prediction/beginner_image_cls.ipynb
import base64
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from automm.core import MultiModalPredictor
from benchmarks.datasets import fashion_mnist

workdir = Path(tempfile.mkdtemp(prefix="automm_image_cls_"))
train, test = fashion_mnist(n_train=400, n_test=100, image_dir=workdir / "images", seed=0)
classes = ["Trouser", "Bag", "Sneaker", "Dress"]  # four of the ten classes keep the fit short
train = train[train["label"].isin(classes)].reset_index(drop=True)
test = test[test["label"].isin(classes)].reset_index(drop=True)
print(train.head(3))
print(train["label"].value_counts().to_dict())

# %% [markdown]
# The `image` column holds paths. The same test images as raw bytes (AutoGluon-MM's `shopee_dataset(...,
# is_bytearray=True)` gives that form) and as base64 text:

# %%
test_bytes = test.assign(image=[Path(p).read_bytes() for p in test["image"]])
test_base64 = test.assign(image=[base64.b64encode(Path(p).read_bytes()).decode() for p in test["image"]])
print(type(test_bytes["image"][0]), len(test_bytes["image"][0]), "bytes;", test_base64["image"][0][:24], "...")

# %% [markdown]
# ## Training on paths
#
# The default preset (`medium_quality`) fine-tunes EfficientNet-Lite0; the 28-pixel images are enlarged to 96
# pixels rather than the preset's 224 to keep this fit short. `time_limit` is in seconds.

# %%
predictor = MultiModalPredictor(label="label", path=workdir / "model", verbosity=1,
                                hyperparameters={"model.image.image_size": 96, "optim.max_epochs": 4})
predictor.fit(train, time_limit=30)
print(predictor.column_types)

# %% [markdown]
# ## Evaluating on paths and on bytes
#
# The column was detected as `image_path`; bytes and base64 cells in it are decoded as images, so the three
# scores are the same.

# %%
for name, rows in (("paths", test), ("bytes", test_bytes), ("base64", test_base64)):
    print(name, predictor.evaluate(rows, metrics=["accuracy"]))

# %% [markdown]
# ## Predicting one image
#
# `predict` and `predict_proba` take a dict of columns as well as a DataFrame; for a dict they return numpy arrays,
# as AutoGluon-MM does (`proba[0]` is the first row).

# %%
image_path, image_bytes = test["image"][0], test_bytes["image"][0]
print("true label:", test["label"][0])
print(predictor.predict({"image": [image_path]}))
print(predictor.predict({"image": [image_bytes]}))
proba = predictor.predict_proba({"image": [image_bytes]})
print(proba.round(3))

# %%
predicted = predictor.predict(test_bytes.head(8))
figure, axes = plt.subplots(1, 8, figsize=(14, 2.4))
for axis, path, truth, guess in zip(axes, test["image"], test["label"], predicted):
    axis.imshow(Image.open(path), cmap="gray")
    axis.set_title(f"{guess}\n(true: {truth})", fontsize=8, color="green" if guess == truth else "red")
    axis.axis("off")
plt.show()

# %% [markdown]
# ## Embeddings
#
# `extract_embedding` gives each row's vector, the same from a path or from bytes.

# %%
from_path = predictor.extract_embedding({"image": [image_path]})
from_bytes = predictor.extract_embedding({"image": [image_bytes]})
print(from_path.shape, abs(from_path - from_bytes).max())

# %% [markdown]
# ## Unreadable images
#
# A row whose image cannot be read (a missing file, bytes that are not an image) is predicted from its other
# columns, and a warning names the row and the reason; when no row has a readable image, predict refuses.
# AutoGluon-MM fills such an image with zeros without a per-row message.

# %%
broken = test.head(4).copy()
broken.loc[1, "image"] = str(workdir / "no_such_file.png")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(predictor.predict(broken))
print(caught[0].message)

# %% [markdown]
# ## Save and load
#
# `fit` saved the predictor in its `path`; `load` reads it back.

# %%
loaded = MultiModalPredictor.load(workdir / "model")
print(np.abs(loaded.predict_proba({"image": [image_path]}) - proba).max())  # numpy for a dict, as AutoGluon-MM
