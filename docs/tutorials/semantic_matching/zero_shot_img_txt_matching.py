# %% [markdown]
# # Zero-shot image-text matching
#
# A CLIP model puts images and sentences in one embedding space, so before any training it can find the picture
# a sentence describes, or the sentence that fits a picture. This page embeds a handful of images and captions
# with an `image_text_similarity` predictor that was never fitted, searches one side with the other through
# `semantic_search`, and scores image-caption pairs with `predict` / `predict_proba`. With a network, write
# `MultiModalPredictor(problem_type="image_text_similarity", presets="high_quality")` to load
# `openai/clip-vit-base-patch32` (AutoGluon-MM loads CLIP by default; automm's default `medium_quality` model
# joins MiniLM-L6 and EfficientNet-Lite0 through projection heads that need a fit, and warns when used zero-shot).
# Offline there are no CLIP weights, so this page builds a **tiny CLIP with random weights** from a config: the
# calls are the real ones, the rankings are those of an untrained model.

# %%
# AutoGluon: semantic_matching/zero_shot_img_txt_matching.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import make_tiny_clip_model, make_tiny_text_model
from automm.match import semantic_search
from benchmarks.datasets import fashion_mnist

workdir = Path(tempfile.mkdtemp(prefix="automm_zero_shot_img_txt_"))
_, pictures = fashion_mnist(0, 10, image_dir=workdir / "images")
image_paths = pictures["image"].tolist()
texts = [f"a small grey photo of a {label.lower()}" for label in pictures["label"]]
offline_clip = {"model.text.checkpoint": str(make_tiny_clip_model(workdir / "clip",
                                                                  make_tiny_text_model(workdir / "text")))}

# %% [markdown]
# ## Embeddings of lists
#
# With no `query=` / `response=`, the predictor takes plain lists: a list of image paths is embedded by the image
# encoder, a list of sentences by the text encoder. `as_tensor=True` returns torch tensors, as in AutoGluon-MM.

# %%
predictor = MultiModalPredictor(problem_type="image_text_similarity", hyperparameters=offline_clip,
                                path=workdir / "matcher")
image_embeddings = predictor.extract_embedding(image_paths, as_tensor=True)
text_embeddings = predictor.extract_embedding(texts, as_tensor=True)
print(image_embeddings.shape, text_embeddings.shape)

# %% [markdown]
# ## Text to image and image to text
#
# `semantic_search` takes embeddings (or data) for each side and returns, per query, the top hits as
# `{"response_id": position, "score": similarity}`, best first.

# %%
hits = semantic_search(matcher=predictor, query_embeddings=text_embeddings[6][None,],
                       response_embeddings=image_embeddings, top_k=5)
print(texts[6])
print(hits)
back = semantic_search(matcher=predictor, query_embeddings=image_embeddings[4][None,],
                       response_embeddings=text_embeddings, top_k=5)
print(pictures["label"][4], "->", texts[back[0][0]["response_id"]])

# %%
figure, axes = plt.subplots(1, 5, figsize=(12, 3))
for axis, hit in zip(axes, hits[0]):
    axis.imshow(Image.open(image_paths[hit["response_id"]]), cmap="gray")
    axis.set_title(f"{hit['score']:.3f}")
    axis.axis("off")
figure.suptitle(f"top images for: {texts[6]!r} (random offline CLIP)")
plt.show()

# %% [markdown]
# ## Scoring pairs
#
# Naming the two columns with `query=` and `response=` lets `predict` / `predict_proba` score image-caption pairs
# given as a dict (or a DataFrame); whether a pair matches is a threshold on their similarity.

# %%
pairs = MultiModalPredictor(query="abc", response="xyz", problem_type="image_text_similarity",
                            hyperparameters=offline_clip, path=workdir / "pairs")
print(pairs.predict({"abc": [image_paths[4]], "xyz": [texts[3]]}))
print(pairs.predict_proba({"abc": [image_paths[4]], "xyz": [texts[3]]}))
