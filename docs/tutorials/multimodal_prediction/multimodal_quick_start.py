# %% [markdown]
# # Quick start: predict a label from a table of text
#
# A `MultiModalPredictor` fine-tunes a pretrained network on whatever columns a table has: text, images, numbers
# and categories. Here it learns whether an Amazon fine-food review gave the top score, from the review text and
# the product id, in a few seconds of training on a CPU. Code written for AutoGluon-MM runs after changing the
# import: `from autogluon.multimodal import MultiModalPredictor` becomes `from automm.core import ...`.

# %%
# AutoGluon: multimodal_prediction/multimodal-quick-start
import tempfile

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from benchmarks.datasets import fine_foods

train, test = fine_foods()
train, test = train.sample(200, random_state=0), test.sample(100, random_state=0)
train.head()

# %% [markdown]
# ## Fit
# `label` names the column to predict; the problem type (here binary) and each column's type are inferred.
# `time_limit` bounds the whole call in seconds.

# %%
predictor = MultiModalPredictor(label="score", path=tempfile.mkdtemp() + "/quick_start")
predictor.fit(train, time_limit=40, hyperparameters={"optim.max_epochs": 2})

# %% [markdown]
# ## Predict and evaluate
# `predict` gives labels, `predict_proba` one probability column per class; `evaluate` scores labelled rows with
# the metrics you name.

# %%
print(predictor.predict(test.head()))
probabilities = predictor.predict_proba(test)
print(predictor.evaluate(test, metrics=["roc_auc", "accuracy"]))

# %% [markdown]
# The probability of the positive class alone (`as_multiclass=False`) shows how well the two groups separate.

# %%
positive = predictor.predict_proba(test, as_multiclass=False)
for value in sorted(test["score"].unique()):
    plt.hist(positive[test["score"] == value], bins=20, alpha=0.6, label=f"true score: {value}")
plt.xlabel(f"P(score = {predictor.positive_class!r})")
plt.legend()
plt.show()
