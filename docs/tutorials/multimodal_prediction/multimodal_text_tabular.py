# %% [markdown]
# # Regression on text and numbers together
#
# A table can mix free text with numeric and categorical columns, and the label can be a number. Here we predict
# a penguin's body mass (grams) from its bill and flipper measurements and a short field note written in words.
# The predictor encodes the note with a small pretrained language model, the measurements with a tabular
# encoder, and fuses both; the problem type (regression) is inferred from the numeric label.

# %%
# AutoGluon: multimodal_prediction/multimodal_text_tabular
import tempfile

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from benchmarks.datasets import penguins

train, test = penguins()


def with_note(table):
    """The measurements, and species, island and sex written as one sentence."""
    table = table.dropna(subset=["body_mass_g", "sex"]).copy()
    table["note"] = table["sex"] + " " + table["species"] + " penguin seen on " + table["island"] + " island"
    return table[["note", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]]


train, test = with_note(train), with_note(test)
train.head(3)

# %% [markdown]
# ## Fit
# `column_types` can state a column's type when inference would choose another: the notes repeat a handful of
# sentences, which would otherwise look like a category.

# %%
predictor = MultiModalPredictor(label="body_mass_g", path=tempfile.mkdtemp() + "/penguins")
predictor.fit(train, time_limit=40, column_types={"note": "text"}, hyperparameters={"optim.max_epochs": 8})
print(predictor.problem_type, predictor.column_types)

# %% [markdown]
# ## Evaluate and predict
# With no `metrics`, automm reports its regression defaults (RMSE, MAE and R²) where AutoGluon-MM reports only
# the `eval_metric`.

# %%
print(predictor.evaluate(test))
predictions = predictor.predict(test)
plt.scatter(test["body_mass_g"], predictions, s=10)
plt.plot([2500, 6500], [2500, 6500], color="grey")
plt.xlabel("true body mass (g)")
plt.ylabel("predicted body mass (g)")
plt.show()

# %% [markdown]
# ## Embeddings
# Each row's fused representation, for search or for another model.

# %%
print(predictor.extract_embedding(test.head(4)).shape)
