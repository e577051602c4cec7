# %% [markdown]
# # Few-shot classification
#
# With only a handful of labelled rows per class, fine-tuning a network has little to learn from.
# `problem_type="few_shot_classification"` instead embeds each row with a frozen pretrained model and fits a
# linear SVM on the embeddings. This page trains one on ten reviews per class, compares it with ordinary
# fine-tuning on the same rows, and reports both with AutoGluon-MM's metric names (`acc`, `f1_macro`).

# %%
# AutoGluon: advanced_topics/few_shot_learning.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from benchmarks.datasets import fine_foods

train_all, test_all = fine_foods()
shots = 10
train = train_all.groupby("score").sample(shots, random_state=0)[["review", "score"]].reset_index(drop=True)
test = test_all.sample(200, random_state=0)[["review", "score"]].reset_index(drop=True)
workdir = Path(tempfile.mkdtemp(prefix="automm_few_shot_"))
print(train["score"].value_counts())

# %% [markdown]
# ## The few-shot classifier
#
# `eval_metric="acc"` is the metric the SVM's regularisation is chosen by (cross-validated on the few rows) and
# the first one `evaluate()` reports.

# %%
few_shot = MultiModalPredictor(problem_type="few_shot_classification", label="score", eval_metric="acc",
                               path=workdir / "few_shot", verbosity=1)
few_shot.fit(train)
few_shot_scores = few_shot.evaluate(test, metrics=["acc", "f1_macro"])
print(few_shot_scores)

# %% [markdown]
# ## Fine-tuning on the same rows
#
# The usual classifier fine-tunes the text backbone. (AutoGluon-MM's `problem_type="classification"` is
# automm's binary or multiclass; leaving it out infers it from the labels.)

# %%
fine_tuned = MultiModalPredictor(label="score", eval_metric="acc", path=workdir / "fine_tuned", verbosity=1)
fine_tuned.fit(train, time_limit=20)
fine_tuned_scores = fine_tuned.evaluate(test, metrics=["acc", "f1_macro"])
print(fine_tuned_scores)

# %%
labels = list(few_shot_scores)
width = 0.35
positions = range(len(labels))
plt.bar([p - width / 2 for p in positions], [few_shot_scores[m] for m in labels], width, label="few-shot SVM")
plt.bar([p + width / 2 for p in positions], [fine_tuned_scores[m] for m in labels], width, label="fine-tuned")
plt.xticks(list(positions), labels)
plt.ylabel("score on 200 test reviews")
plt.legend()
plt.show()
