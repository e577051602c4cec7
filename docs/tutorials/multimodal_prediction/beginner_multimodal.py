# %% [markdown]
# # Images and text in one table
#
# Each row below pairs a Fashion-MNIST picture with a product review, and the label needs both: is the item
# apparel or footwear/bags (from the image), and did the review give the top score (from the text)? One
# `MultiModalPredictor` reads the image paths, the review and the word count together. We fit it, evaluate it,
# predict from a plain dict of columns the way AutoGluon-MM does, take the rows' embeddings, and save and reload it.

# %%
# AutoGluon: multimodal_prediction/beginner_multimodal
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from automm.core import MultiModalPredictor
from benchmarks.datasets import mixed_table

work = Path(tempfile.mkdtemp())
train, test = mixed_table(160, 60, work / "images")
train.head(3)

# %% [markdown]
# ## Fit
# Column types are inferred: `image` holds paths to PNG files, `review` is text, `review_words` a number. The
# small image size keeps this example fast on a CPU.

# %%
predictor = MultiModalPredictor(label="label", path=work / "predictor")
predictor.fit(train, time_limit=45, hyperparameters={"optim.max_epochs": 2, "model.image.image_size": 96})
print(predictor.column_types)

# %% [markdown]
# ## Evaluate and predict
# A dict of columns is accepted too. As in AutoGluon-MM, predictions for a dict (or list) come back as numpy
# arrays, so `probabilities[0]` is the first row; pass `as_pandas=True` for a DataFrame.

# %%
print(predictor.evaluate(test, metrics=["accuracy", "f1_macro"]))
rows = test.drop(columns="label").head(3).to_dict("list")
probabilities = predictor.predict_proba(rows)
print(predictor.classes, probabilities[0])
print(predictor.predict_proba(rows, as_pandas=True))

# %% [markdown]
# ## Embeddings
# `extract_embedding` gives the fused representation of each row; a two-dimensional projection shows whether
# the classes separate.

# %%
embeddings = predictor.extract_embedding(test)
centred = embeddings - embeddings.mean(axis=0)
projection = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
for label in sorted(test["label"].unique()):
    mask = (test["label"] == label).to_numpy()
    plt.scatter(projection[mask, 0], projection[mask, 1], label=label, s=12)
plt.legend(fontsize=7)
plt.title("row embeddings, first two principal components")
plt.show()

# %% [markdown]
# ## Save and load
# `fit` already saved the predictor under `predictor.path` (a `pathlib.Path`); `load` reads it back offline.

# %%
loaded = MultiModalPredictor.load(predictor.path)
assert (loaded.predict(test) == predictor.predict(test)).all()
