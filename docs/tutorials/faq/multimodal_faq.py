# %% [markdown]
# # Frequently asked questions
#
# Short answers, each with code, to questions that come up when moving a predictor between machines: how to
# save one that loads without network access, how to choose GPUs or the CPU after loading, how to quieten the
# output, and which AutoGluon-MM spellings work unchanged. A small tabular predictor keeps every answer fast.

# %%
# AutoGluon: multimodal-faq
import os
import tempfile
from pathlib import Path

from automm.core import MultiModalPredictor
from benchmarks.datasets import penguins

work = Path(tempfile.mkdtemp())
train, test = penguins()
predictor = MultiModalPredictor(label="species", problem_type="classification", path=work / "penguins",
                                verbosity=1, enable_progress_bar=False)
predictor.fit(train, time_limit=15)
print(predictor.problem_type)  # "classification" became multiclass: the label has three values

# %% [markdown]
# ## How do I save a predictor that loads offline?
# Every automm save is standalone: the folder holds the configuration, the weights (safetensors) and, with text
# columns, the tokenizer. AutoGluon-MM's `standalone=True` is accepted (and `False` refused). Copy the folder to
# the other machine and load it with the hub switched off.

# %%
saved = predictor.save(work / "to_copy", standalone=True)
os.environ["HF_HUB_OFFLINE"] = "1"
offline = MultiModalPredictor.load(saved)
print(sorted(path.name for path in saved.iterdir()))

# %% [markdown]
# ## How do I choose the GPUs, or the CPU, after loading?
# `set_num_gpus(0)` moves the network to the CPU at once; `set_num_gpus(n)` uses n GPUs (several train with
# DDP). Before the first fit, `hyperparameters={"env.devices": n, "env.accelerator": "gpu"}` says the same.

# %%
offline.set_num_gpus(0)
print(offline.get_num_gpus(), offline.predict(test.head(3)).tolist())

# %% [markdown]
# ## How do I make it quieter?
# `verbosity` goes from 0 (nothing) to 4; `set_verbosity` changes it later, and `enable_progress_bar=False`
# hides the progress bars alone.

# %%
offline.set_verbosity(0)
print(offline.evaluate(test, metrics=["accuracy"]))

# %% [markdown]
# ## What does the fit record?
# `fit_summary` is a dict and, as in AutoGluon-MM, can also be called.

# %%
summary = offline.fit_summary()
print({key: summary[key] for key in ("best_val_score", "epochs", "train_rows")})
print(f"{offline.total_parameters} parameters, {offline.model_size:.2f} MB")
