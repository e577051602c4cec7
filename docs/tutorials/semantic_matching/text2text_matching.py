# %% [markdown]
# # Text-to-text matching
#
# A text matcher decides whether two texts belong together: a question and its answer, a claim and its
# evidence, two halves of one document. automm trains a bi-encoder: each side is embedded on its own and the
# pair is scored by the cosine of the two embeddings, so the embeddings can also be stored and searched later.
# Here the pairs are built from Amazon fine-food reviews: the first half of a review with its own second half
# is a match (label 1), with the second half of another review it is not (label 0). The pretrained MiniLM-L6
# sentence encoder (`medium_quality`) is scored before and after a short fit.

# %%
# AutoGluon: semantic_matching/text2text_matching.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from automm.core import MultiModalPredictor
from benchmarks.datasets import fine_foods


def halves(reviews: pd.Series, seed: int) -> pd.DataFrame:
    """Matching (1) and mismatched (0) pairs of review halves."""
    words = reviews.str.replace("<br />", " ").str.split()
    first, second = words.map(lambda w: " ".join(w[: len(w) // 2])), words.map(lambda w: " ".join(w[len(w) // 2 :]))
    shuffled = second.sample(frac=1, random_state=seed).to_numpy()
    pairs = pd.concat([pd.DataFrame({"premise": first, "hypothesis": second, "label": 1}),
                       pd.DataFrame({"premise": first, "hypothesis": shuffled, "label": 0})])
    return pairs.sample(frac=1, random_state=seed).reset_index(drop=True)


train_reviews, test_reviews = fine_foods()
short = lambda frame: frame["review"][frame["review"].str.split().str.len().between(20, 40)]  # noqa: E731
train_data, test_data = halves(short(train_reviews).head(48), 0), halves(short(test_reviews).head(30), 1)
print(train_data.head(3).to_string(max_colwidth=60))

# %% [markdown]
# ## The predictor
#
# `query=` and `response=` name the columns of each side; `match_label` is the label value that means "these
# belong together". AutoGluon-MM's `eval_metric="auc"` spelling is kept here.

# %%
predictor = MultiModalPredictor(problem_type="text_similarity", query="premise", response="hypothesis",
                                label="label", match_label=1, eval_metric="auc",
                                path=Path(tempfile.mkdtemp()) / "text2text")
print("before fit:", predictor.evaluate(test_data))
predictor.fit(train_data, time_limit=30, hyperparameters={"optim.max_epochs": 1, "model.text.max_length": 48})
print("after fit: ", predictor.evaluate(test_data))

# %% [markdown]
# ## Predictions and embeddings
#
# `predict` gives the label of each pair, `predict_proba` the probability of each label. `extract_embedding`
# embeds one side; which side is read from the columns of the data (AutoGluon-MM does the same), so a dict with
# only `premise` gives query embeddings and one with only `hypothesis` response embeddings.

# %%
pairs = test_data.head(4)
print(pd.concat([pairs, predictor.predict(pairs).rename("predicted"), predictor.predict_proba(pairs)], axis=1)
      .to_string(max_colwidth=40))
premise_embeddings = predictor.extract_embedding({"premise": pairs["premise"].tolist()})
hypothesis_embeddings = predictor.extract_embedding({"hypothesis": pairs["hypothesis"].tolist()})
print(premise_embeddings.shape, hypothesis_embeddings.shape)

# %% [markdown]
# ## How well the scores separate the pairs
#
# The histogram shows the predicted match probability of matching and mismatched test pairs.

# %%
probability = predictor.predict_proba(test_data)[1].to_numpy()
bins = np.linspace(0, 1, 21)
plt.hist(probability[test_data["label"] == 1], bins=bins, alpha=0.6, label="halves of one review")
plt.hist(probability[test_data["label"] == 0], bins=bins, alpha=0.6, label="halves of two reviews")
plt.xlabel("predicted match probability")
plt.legend()
plt.show()
