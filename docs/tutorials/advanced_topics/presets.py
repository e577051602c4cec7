# %% [markdown]
# # Presets: quality against time
#
# A preset is a named bundle of hyperparameters: `medium_quality` (small, fast backbones), `high_quality`
# (larger ones) and `best_quality` (an ensemble of several variants), each with an `_hpo` variant that adds a
# hyperparameter search. This page fits a review classifier under a tight time limit, alone and as an ensemble,
# with `eval_metric="acc"` as the metric each fit tracks (and ensemble selection weighs members by), compares their
# ROC-AUC on held-out reviews, and prints what each preset sets with `get_presets`.

# %%
# AutoGluon: advanced_topics/presets.ipynb
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from automm.core.hpo.options import get_presets  # AutoGluon-MM: autogluon.multimodal.utils.presets
from benchmarks.datasets import fine_foods

train_all, test_all = fine_foods()
train = train_all.sample(200, random_state=0)[["review", "score"]].reset_index(drop=True)
test = test_all.sample(100, random_state=0)[["review", "score"]].reset_index(drop=True)
workdir = Path(tempfile.mkdtemp(prefix="automm_presets_"))

# %% [markdown]
# ## Fitting with a preset
#
# Offline, only presets whose checkpoints are installed can fit: here `medium_quality` (MiniLM-L6 for text).
# `high_quality` and `best_quality` name larger backbones that a machine with network access downloads once.
# What `best_quality` adds on top of its backbones, an ensemble of variants weighted on the validation rows, can be
# tried on the medium backbone with `use_ensemble=True`.

# %%
scores = {}
for name, extra in (("medium_quality", {}), ("medium_quality + ensemble", {"use_ensemble": True})):
    predictor = MultiModalPredictor(label="score", eval_metric="acc", presets="medium_quality",
                                    path=workdir / name.replace(" + ", "_"), verbosity=1, **extra)
    predictor.fit(train, time_limit=15)
    scores[name] = predictor.evaluate(test, metrics=["roc_auc"])["roc_auc"]
    print(name, "tracked", predictor.fit_summary["validation_metric"], "test roc_auc", round(scores[name], 3))

# %%
plt.bar(list(scores), list(scores.values()))
plt.ylabel("ROC-AUC on 100 test reviews")
plt.title("Under a 15 s time limit")
plt.show()

# %% [markdown]
# ## What a preset sets
#
# `get_presets(problem_type, presets)` returns the preset's hyperparameters (dotted keys) and, for an `_hpo`
# preset, its search settings; the search space joins the hyperparameters. automm's presets are per problem type,
# so name one: AutoGluon-MM's `problem_type="default"` is refused with the list of problem types.

# %%
hyperparameters, tune_kwargs = get_presets(problem_type="binary", presets="high_quality")
print({k: v for k, v in hyperparameters.items() if k.startswith(("model.text", "optim.lr", "optim.max_epochs"))})
print(tune_kwargs)

# %%
hyperparameters, tune_kwargs = get_presets(problem_type="binary", presets="high_quality_hpo")
print({k: v for k, v in hyperparameters.items() if isinstance(v, dict)})  # the search space
print(json.dumps(tune_kwargs, indent=2))
