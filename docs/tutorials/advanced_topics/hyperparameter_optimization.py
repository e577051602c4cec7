# %% [markdown]
# # Hyperparameter optimization
#
# A search tries several settings and keeps the predictor that scores best on the validation rows. You mark the
# settings to search with Ray Tune sample objects (or automm's plain dict form) inside `hyperparameters`, and
# say how to search with `hyperparameter_tune_kwargs`: how many trials, which searcher picks the next settings,
# and which scheduler may stop a trial that trails. This page runs a three-trial search on a small table so it
# finishes in seconds; the same calls search an image or text backbone's settings.

# %%
# AutoGluon: advanced_topics/hyperparameter_optimization.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import ray
from ray import tune

from automm.core import MultiModalPredictor
from benchmarks.datasets import breast_cancer

train, test = breast_cancer()
train = train.sample(240, random_state=0).reset_index(drop=True)
label = "label"
workdir = Path(tempfile.mkdtemp(prefix="automm_hpo_"))
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)

# %% [markdown]
# ## The search space
#
# Fixed values and search spaces mix in one dict. The learning rate is drawn on a log scale, the tabular
# encoder's dropout uniformly and its architecture from a list.

# %%
hyperparameters = {
    "optim.lr": tune.loguniform(1e-4, 1e-2),
    "model.tabular.dropout": tune.uniform(0.0, 0.3),
    "model.tabular.model": tune.choice(["mlp", "ft_transformer"]),
    "optim.max_epochs": 3,
    "model.tabular.hidden_size": 32,
}

# %% [markdown]
# ## How to search
#
# The keys are AutoGluon-MM's: `searcher` ("random" or "bayes", Optuna's TPE), `scheduler` ("FIFO" runs every
# trial to its end, "ASHA" stops trailing ones), `num_trials`. `searcher_init_args` and `scheduler_init_args` go
# to the Ray searcher and scheduler as keyword arguments (here ASHA compares trials from their second validation
# on). `num_to_keep` above 0 keeps every trial's saved predictor in `<path>.hpo` (automm's `keep_trials=True`).

# %%
tune_kwargs = {"num_trials": 3, "searcher": "bayes", "scheduler": "ASHA",
               "scheduler_init_args": {"grace_period": 2}, "num_to_keep": 1}
predictor = MultiModalPredictor(label=label, path=workdir / "model", verbosity=1)
predictor.fit(train, hyperparameters=hyperparameters, hyperparameter_tune_kwargs=tune_kwargs, seed=0)
ray.shutdown()

# %% [markdown]
# ## The trials
#
# `fit_summary["hpo"]` records every trial's settings and validation score; the predictor is the best trial's.

# %%
search = predictor.fit_summary["hpo"]
trials = pd.DataFrame([{**t["config"], "score": t["score"], "status": t["status"]} for t in search["trials"]])
print(trials)
print("best:", search["best_config"])
print(predictor.evaluate(test))
print("kept trial folders:", sorted(p.name for p in (workdir / "model.hpo").iterdir()))

# %%
plt.scatter(trials["optim.lr"], trials["score"])
for _, row in trials.iterrows():
    plt.annotate(row["model.tabular.model"], (row["optim.lr"], row["score"]))
plt.xscale("log")
plt.xlabel("optim.lr")
plt.ylabel("validation score")
plt.title("Three trials of the search")
plt.show()
