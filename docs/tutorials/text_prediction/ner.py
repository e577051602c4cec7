# %% [markdown]
# # Named-entity recognition
#
# Named-entity recognition finds the spans of a text that name something (a person, a place, a company) and
# labels each with its entity group. Labels are given per row as a list of character spans,
# `{"entity_group", "start", "end"}`, the format AutoGluon-MM uses. This page looks at annotated tweets with
# `visualize_ner`, fine-tunes a small English model on 300 of them, evaluates it with seqeval's scores,
# predicts the entities of a new sentence with their scores and per-token probabilities, and reloads the model.

# %%
# AutoGluon: text_prediction/ner.ipynb
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.classify.ner import visualize_ner  # AutoGluon-MM: from autogluon.multimodal.utils import visualize_ner
from automm.core import MultiModalPredictor
from benchmarks.datasets import twitter_ner

train_all, test_all = twitter_ner()
train = train_all.sample(300, random_state=0).reset_index(drop=True)
test = test_all.sample(100, random_state=0).reset_index(drop=True)
workdir = Path(tempfile.mkdtemp(prefix="automm_ner_"))
print(train.head(3))

# %% [markdown]
# ## The annotation format
#
# Each entity is a character span of the text. `visualize_ner(sentence, annotations)` returns the sentence as
# HTML with each span highlighted; a notebook renders it, `print` shows the markup. B-/I- prefixes (BIO tags)
# may be used in `entity_group` and are dropped in the display.

# %%
sentence = "Ada Lovelace was born in London and worked with Charles Babbage ."
annotations = [{"entity_group": "person", "start": 0, "end": 12}, {"entity_group": "geo-loc", "start": 25, "end": 31},
               {"entity_group": "person", "start": 48, "end": 63}]
print(json.dumps(annotations))
visualize_ner(sentence, annotations)

# %%
row = train[train["entity_annotations"].map(len) >= 2].iloc[0]
for entity in row["entity_annotations"]:
    print(entity["entity_group"], "->", row["text"][entity["start"]:entity["end"]])
print(visualize_ner(row["text"], row["entity_annotations"])[:300], "...")

# %% [markdown]
# ## Training
#
# `problem_type="ner"` with the label column of spans; the tagged text column is found (the only text column
# here) or named with `column_types={"text": "text_ner"}`, as in AutoGluon-MM. The default preset fine-tunes
# all-MiniLM-L6-v2. AutoGluon-MM picks the backbone with `model.ner_text.checkpoint_name`; automm's key is
# `model.text.checkpoint`.

# %%
predictor = MultiModalPredictor(problem_type="ner", label="entity_annotations", path=workdir / "model",
                                verbosity=1)
predictor.fit(train, column_types={"text": "text_ner"}, time_limit=30)

# %% [markdown]
# ## Evaluation
#
# seqeval's entity-level scores: an entity counts as found when its group and both ends match.

# %%
scores = predictor.evaluate(test, metrics=["overall_recall", "overall_precision", "overall_f1"])
print(scores)
plt.bar(list(scores), list(scores.values()))
plt.ylim(0, 1)
plt.title("Entity-level scores on 100 held-out tweets (30 s of training)")
plt.show()

# %% [markdown]
# ## Prediction and visualisation
#
# `predict` gives each row's entities with a score (the mean probability of their tokens' tags).

# %%
sentence = "Going to see Taylor Swift at Madison Square Garden in New York tonight !"
predictions = predictor.predict({"text": [sentence]})
print("Predicted entities:", predictions[0])
visualize_ner(sentence, predictions[0])

# %% [markdown]
# ## Probabilities
#
# `predict_proba` gives, per row, each token's probability of every BIO tag (`O`, `B-group`, `I-group`) with
# its character span.

# %%
proba = predictor.predict_proba({"text": [sentence]})
first = proba[0][0]
print(sentence[first["start"]:first["end"]], first["entity_group"])
print({tag: round(p, 3) for tag, p in sorted(first["probability"].items(), key=lambda kv: -kv[1])[:4]})

# %% [markdown]
# ## Reloading and training further
#
# `load` reads the saved predictor; `fit` on it continues training the same model, in its folder.

# %%
reloaded = MultiModalPredictor.load(workdir / "model")
reloaded.fit(train, time_limit=10)
print(reloaded.evaluate(test, metrics=["overall_f1"]))
