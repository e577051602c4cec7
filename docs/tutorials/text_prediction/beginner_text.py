# %% [markdown]
# # Text classification and regression in a few lines
#
# This tutorial fits a text model on product reviews twice: first to tell great reviews from the others, then to
# predict a number from the review text. Along the way it shows how `eval_metric=` picks the metric a fit tracks
# (validation score, early stopping, which checkpoints are kept) and how `evaluate()` reports AutoGluon-MM's
# metric names (`acc`, `f1`, `rmse`, `pearsonr`, `spearmanr`), keyed as you spell them.

# %%
# AutoGluon: text_prediction/beginner_text.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from automm.core import MultiModalPredictor
from benchmarks.datasets import fine_foods

train_all, test_all = fine_foods()
train = train_all.sample(240, random_state=0)[["review", "score"]].reset_index(drop=True)
test = test_all.sample(100, random_state=0)[["review", "score"]].reset_index(drop=True)
workdir = Path(tempfile.mkdtemp(prefix="automm_beginner_text_"))
print(train.head())

# %% [markdown]
# ## Classification
#
# `score` is "great" or "other", so the problem type is inferred as binary. `eval_metric="acc"` (AutoGluon's
# alias of `accuracy`) makes accuracy the validation metric: the fit keeps the checkpoints with the best
# validation accuracy instead of the binary default, ROC-AUC.

# %%
classifier = MultiModalPredictor(label="score", eval_metric="acc", path=workdir / "classifier", verbosity=1)
classifier.fit(train, time_limit=20)
print("tracked during fit:", classifier.fit_summary["validation_metric"])

# %% [markdown]
# `evaluate()` without `metrics` reports the eval metric first, then the task's other default metrics. With
# `metrics=[...]` it reports exactly those, under the names you used.

# %%
print(classifier.evaluate(test))
scores = classifier.evaluate(test, metrics=["acc", "f1"])
print(scores)

# %% [markdown]
# Predictions come back in the label's own values; probabilities have one column per class.

# %%
sentences = ["absolutely delicious, my kids ask for it every week", "arrived stale and tasted like cardboard"]
examples = test.head(2).assign(review=sentences)
print(classifier.predict(examples))
print(classifier.predict_proba(examples))

# %% [markdown]
# A saved predictor keeps its metrics: loaded again, it still reports accuracy first.

# %%
reloaded = MultiModalPredictor.load(workdir / "classifier")
print(reloaded.eval_metric, list(reloaded.evaluate(test))[:2])

# %% [markdown]
# ## Regression
#
# Any numeric column can be the label. Here, as a small self-contained example, the model predicts the length
# of a review (log of its word count) from its text. `eval_metric="rmse"` is tracked (smaller is better), and
# `evaluate()` also reports the correlations AutoGluon-MM names `pearsonr` and `spearmanr`.

# %%
def with_length(frame):
    return frame[["review"]].assign(length=np.log1p(frame["review"].str.split().str.len()))


regressor = MultiModalPredictor(label="length", eval_metric="rmse", path=workdir / "regressor", verbosity=1)
regressor.fit(with_length(train), time_limit=20)
regression_test = with_length(test)
print(regressor.evaluate(regression_test, metrics=["rmse", "pearsonr", "spearmanr"]))

# %%
predicted = regressor.predict(regression_test)
plt.scatter(regression_test["length"], predicted, s=12)
plt.xlabel("log(1 + words), true")
plt.ylabel("predicted")
plt.title("Review length predicted from the text")
plt.show()

# %% [markdown]
# AutoGluon-MM's `as_pandas=False` gives numpy arrays instead of pandas objects.

# %%
print(classifier.predict(examples, as_pandas=False))
print(classifier.predict_proba(examples, as_pandas=False))
