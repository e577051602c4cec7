# %% [markdown]
# # Image-text matching
#
# An image-text matcher embeds pictures and sentences in one space, so a sentence can retrieve the pictures it
# describes and a picture the sentences that describe it. This page evaluates such a retrieval in both
# directions before training (`evaluate` with `query_data=`, `response_data=` and `cutoffs=`), fine-tunes on
# image-caption pairs, evaluates again, then scores pairs, extracts embeddings and searches with
# `semantic_search`. The pairs are Fashion-MNIST pictures with a sentence naming their class.
#
# AutoGluon-MM's default image-text model is CLIP; in automm write `presets="high_quality"` for
# `openai/clip-vit-base-patch32` (the default `medium_quality` model joins MiniLM-L6 and EfficientNet-Lite0 with
# projection heads that need a fit, and warns when used before one). Offline there are no CLIP weights, so this
# page builds a **tiny CLIP with random weights** from a config: the "before fit" numbers are those of an
# untrained model, and the short fit below starts from scratch.

# %%
# AutoGluon: semantic_matching/image_text_matching.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import make_tiny_clip_model, make_tiny_text_model
from automm.match import semantic_search
from benchmarks.datasets import fashion_mnist

workdir = Path(tempfile.mkdtemp(prefix="automm_image_text_"))
train, test = fashion_mnist(200, 50, image_dir=workdir / "images")
image_col, text_col = "image", "caption"
train_data = pd.DataFrame({image_col: train["image"], text_col: "a photo of a " + train["label"].str.lower()})
test_data = pd.DataFrame({image_col: test["image"], text_col: "a photo of a " + test["label"].str.lower()})
offline_clip = {"model.text.checkpoint": str(make_tiny_clip_model(workdir / "clip",
                                                                  make_tiny_text_model(workdir / "text")))}
print(train_data.head(3).to_string(max_colwidth=60))

# %% [markdown]
# ## Retrieval before training
#
# The corpus for each direction is the distinct images and the distinct captions of the test set; every test
# pair is a relevant (query, response) pair. `evaluate` ranks every response for every query and reports the
# predictor's `eval_metric` (here recall) at each cutoff.

# %%
test_image_data = pd.DataFrame({image_col: test_data[image_col].unique()})
test_text_data = pd.DataFrame({text_col: test_data[text_col].unique()})
test_data_with_label = test_data.assign(relevance=1)

predictor = MultiModalPredictor(query=text_col, response=image_col, problem_type="image_text_similarity",
                                eval_metric="recall", hyperparameters=offline_clip, path=workdir / "matcher")


def both_directions() -> pd.DataFrame:
    text_to_image = predictor.evaluate(test_data_with_label, query_data=test_text_data,
                                       response_data=test_image_data, label="relevance", cutoffs=[1, 5, 10])
    image_to_text = predictor.evaluate(test_data_with_label, query_data=test_image_data,
                                       response_data=test_text_data, label="relevance", cutoffs=[1, 5, 10])
    return pd.DataFrame({"text to image": text_to_image, "image to text": image_to_text})


before = both_directions()
print(before)

# %% [markdown]
# ## Fine-tuning on pairs
#
# Pairs without a label column are all matches; the model learns to rank each caption's image above the other
# images of the batch (and the other way round).

# %%
predictor.fit(train_data, time_limit=30, hyperparameters={"optim.max_epochs": 3})
after = both_directions()
print(after)

# %%
pd.concat({"before fit": before, "after fit": after}, axis=1).plot.bar(rot=0, ylabel="recall")
plt.title("Retrieval recall on the test pairs (tiny random CLIP offline)")
plt.show()

# %% [markdown]
# ## Pairs, embeddings and search
#
# `predict` tells whether each (caption, image) pair matches and `predict_proba` gives the probabilities.
# `extract_embedding` embeds whichever side the data holds; `semantic_search` finds the best images for a caption
# and the best captions for an image, returning positions in the response table.

# %%
print(predictor.predict(test_data.head(5)))
print(predictor.predict_proba(test_data.head(5)))
image_embeddings = predictor.extract_embedding({image_col: test_image_data[image_col][:5].tolist()})
text_embeddings = predictor.extract_embedding({text_col: test_text_data[text_col][:5].tolist()})
print(image_embeddings.shape, text_embeddings.shape)

text_to_image_hits = semantic_search(matcher=predictor, query_data=test_text_data.iloc[[3]],
                                     response_data=test_image_data, top_k=5)
image_to_text_hits = semantic_search(matcher=predictor, query_data=test_image_data.iloc[[6]],
                                     response_data=test_text_data, top_k=5)
print(test_text_data[text_col][3], "->", [hit["response_id"] for hit in text_to_image_hits[0]])
best_caption = test_text_data[text_col][image_to_text_hits[0][0]["response_id"]]
print(Path(test_image_data[image_col][6]).name, "->", best_caption)

# %%
figure, axes = plt.subplots(1, 5, figsize=(12, 3))
for axis, hit in zip(axes, text_to_image_hits[0]):
    axis.imshow(Image.open(test_image_data[image_col][hit["response_id"]]), cmap="gray")
    axis.set_title(f"{hit['score']:.2f}")
    axis.axis("off")
figure.suptitle(f"images found for {test_text_data[text_col][3]!r}")
plt.show()
