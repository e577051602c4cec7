# %% [markdown]
# # Continuous training
#
# Training rarely ends once. New labelled rows arrive and the model should learn from them; a long fit gets
# killed and should carry on; a backbone fine-tuned on one task can start the next one. This tutorial does the
# first and the last on fine-food reviews, with AutoGluon-MM's spellings (`fit(save_path=...)`, `dump_model`),
# and shows the call for the second.

# %%
# AutoGluon: advanced_topics/continuous_training
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from benchmarks.datasets import fine_foods

work = Path(tempfile.mkdtemp())
reviews, test = fine_foods()
first, more, other_task = reviews.iloc[:100], reviews.iloc[100:200], reviews.iloc[200:300]
test = test.sample(100, random_state=0)
settings = {"optim.max_epochs": 1}

# %% [markdown]
# ## 1. Fit again on new rows
# A second `fit` continues from the current weights. `save_path` writes the updated predictor to a new folder,
# so the first one stays as it was.

# %%
predictor = MultiModalPredictor(label="score", path=work / "v1", verbosity=1)
predictor.fit(first, hyperparameters=settings, time_limit=30)
scores = {"v1": predictor.evaluate(test, metrics=["roc_auc"])["roc_auc"]}
updated = MultiModalPredictor.load(work / "v1", verbosity=1)
updated.fit(more, time_limit=30, save_path=work / "v2")
scores["v2"] = updated.evaluate(test, metrics=["roc_auc"])["roc_auc"]
print(updated.path, scores)

# %% [markdown]
# ## 2. Resume a killed fit
# A fit saves a checkpoint as it goes. If the process dies, `MultiModalPredictor.load(path, resume=True)` followed
# by `fit(...)` on the same data continues from the last checkpoint instead of starting again.
#
# ## 3. Start another task from the fine-tuned backbone
# `dump_model` writes the text backbone as a Hugging Face folder (`hf_text/`). A new predictor takes it as its
# `model.text.checkpoint` (AutoGluon-MM: `model.hf_text.checkpoint_name`).

# %%
dumped = updated.dump_model(save_path=work / "dump")
print([path.name for path in dumped])
follow_up = MultiModalPredictor(label="score", path=work / "from_dump", verbosity=1,
                                hyperparameters={"model.text.checkpoint": str(work / "dump" / "hf_text"), **settings})
follow_up.fit(other_task, time_limit=30)
scores["from dump"] = follow_up.evaluate(test, metrics=["roc_auc"])["roc_auc"]

# %%
plt.bar(list(scores), list(scores.values()))
plt.ylabel("test ROC AUC")
plt.show()
