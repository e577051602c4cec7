# %% [markdown]
# # Several label columns
#
# Sometimes a row has more than one thing to predict. AutoGluon-MM predicts one label column per predictor, so
# its recipe is one predictor per column (or one column that joins the labels). automm does that too, and also
# takes a list of label columns in one predictor: several 0/1 columns make a `multilabel` problem, several
# numeric columns a `multi_output_regression`, sharing one network. We try both on the Palmer penguins.

# %%
# AutoGluon: advanced_topics/multiple_label_columns
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from benchmarks.datasets import penguins

work = Path(tempfile.mkdtemp())
train, test = (table.dropna().reset_index(drop=True) for table in penguins())
for table in (train, test):
    table["is_male"] = (table["sex"] == "male").astype(int)
    table["is_gentoo"] = (table["species"] == "Gentoo").astype(int)
features = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]

# %% [markdown]
# ## One predictor per label (AutoGluon-MM's recipe)
# Each predictor sees the features and its own label only.

# %%
separate = {}
for label in ("is_male", "is_gentoo"):
    predictor = MultiModalPredictor(label=label, path=work / label, verbosity=1)
    separate[label] = predictor.fit(train[[*features, label]], time_limit=15)
    print(label, predictor.evaluate(test[[*features, label]], metrics=["accuracy"]))

# %% [markdown]
# ## One predictor for both
# `label` is a list; `predict` returns one column per label and `predictor.label` gives the list back.

# %%
both = MultiModalPredictor(label=["is_male", "is_gentoo"], path=work / "both", verbosity=1)
both.fit(train[[*features, "is_male", "is_gentoo"]], time_limit=15)
print(both.problem_type, both.label)
predictions = both.predict(test[features])
accuracy = {label: float((predictions[label] == test[label]).mean()) for label in both.label}
print(accuracy)

# %%
plt.bar(["is_male\nseparate", "is_male\njoint", "is_gentoo\nseparate", "is_gentoo\njoint"],
        [float((separate["is_male"].predict(test[features]) == test["is_male"]).mean()), accuracy["is_male"],
         float((separate["is_gentoo"].predict(test[features]) == test["is_gentoo"]).mean()), accuracy["is_gentoo"]])
plt.ylabel("test accuracy")
plt.ylim(0, 1)
plt.show()
