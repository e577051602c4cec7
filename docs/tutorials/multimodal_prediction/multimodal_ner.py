# %% [markdown]
# # Named-entity recognition with text and images
#
# A NER predictor tags one text column, and it can read the row's other columns too: here each tweet comes with
# a picture, encoded by an image backbone and added to every token's state before tagging. No tweet-and-photo
# data set is available offline, so the pictures are stand-ins: one of scikit-learn's two sample photos, picked
# by whether the tweet names a place (a planted hint, as a photo of a landmark would hint at a location). The
# tagged column is marked `text_ner` in `column_types`, AutoGluon-MM's spelling.

# %%
# AutoGluon: multimodal_prediction/multimodal_ner.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image
from sklearn.datasets import load_sample_images

from automm.classify.ner import visualize_ner
from automm.core import MultiModalPredictor
from benchmarks.datasets import twitter_ner

workdir = Path(tempfile.mkdtemp(prefix="automm_mm_ner_"))
photos = []
for n, pixels in enumerate(load_sample_images().images):  # a temple in China, a flower
    photos.append(str(workdir / f"photo_{n}.jpg"))
    Image.fromarray(pixels).resize((96, 64)).save(photos[-1])


def with_pictures(frame):
    """The tweets as ``text_snippet`` with a picture path per row (the temple when a place is named)."""
    names_place = frame["entity_annotations"].map(lambda spans: any(s["entity_group"] == "geo-loc" for s in spans))
    return frame.rename(columns={"text": "text_snippet"}).assign(image=[photos[0] if p else photos[1]
                                                                        for p in names_place])


train_all, test_all = twitter_ner()
train = with_pictures(train_all.sample(240, random_state=0).reset_index(drop=True))
test = with_pictures(test_all.sample(80, random_state=0).reset_index(drop=True))
example = train[train["image"] == photos[0]].iloc[0]
print(example)

# %%
plt.imshow(Image.open(example["image"]))
plt.axis("off")
plt.title("the row's picture")
plt.show()
visualize_ner(example["text_snippet"], example["entity_annotations"])

# %% [markdown]
# ## Training
#
# `column_types` marks the text to tag (`text_ner`) and the picture column (`image_path`); the image backbone is
# the default preset's EfficientNet-Lite0, run at 64 pixels here to keep the fit short.

# %%
predictor = MultiModalPredictor(problem_type="ner", label="entity_annotations", path=workdir / "model",
                                verbosity=1, hyperparameters={"model.image.image_size": 64})
predictor.fit(train, column_types={"text_snippet": "text_ner", "image": "image_path"}, time_limit=40)
print(predictor.column_types)

# %% [markdown]
# ## Evaluation and prediction

# %%
print(predictor.evaluate(test, metrics=["overall_recall", "overall_precision", "overall_f1"]))
row = test.drop(columns="entity_annotations").head(1)
predictions = predictor.predict(row)
print("Tweet:", row["text_snippet"][0])
for entity in predictions[0]:
    print(f"{row['text_snippet'][0][entity['start']:entity['end']]!r} -> {entity['entity_group']}")

# %% [markdown]
# ## Reloading
#
# The predictor is saved in its `path`; `load` reads it back, the image column included.

# %%
reloaded = MultiModalPredictor.load(workdir / "model")
print(reloaded.predict(row)[0] == predictions[0])
