# %% [markdown]
# # Text in other languages
#
# A text backbone pretrained on one language reads others poorly. AutoGluon-MM's answer is
# `presets="multilingual"`, which swaps the text backbone for a model pretrained on about a hundred languages;
# automm has the same preset, with the same backbone (`microsoft/mdeberta-v3-base`), or you name any Hugging Face
# checkpoint yourself with `model.text.checkpoint` (AutoGluon-MM: `model.hf_text.checkpoint_name`). The
# multilingual backbone downloads from the Hugging Face Hub at fit time. This page runs offline, so it shows the
# preset's configuration and the clear error an offline fit gives, then fits with the offline English MiniLM-L6
# instead; with a network, the same `presets="multilingual"` call trains the multilingual model.

# %%
# AutoGluon: text_prediction/multilingual_text.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from automm.core.errors import CheckpointNotFoundError
from automm.core.presets import resolve
from benchmarks.datasets import fine_foods

train_all, test_all = fine_foods()
train = train_all.sample(160, random_state=2)[["review", "score"]].reset_index(drop=True)
test = test_all.sample(100, random_state=2)[["review", "score"]].reset_index(drop=True)
workdir = Path(tempfile.mkdtemp(prefix="automm_multilingual_"))

# %% [markdown]
# ## The preset
#
# `multilingual` is the task's default preset (`medium_quality`) with the multilingual text backbone; the
# other settings stay as they are.

# %%
multilingual, default = resolve("binary", "multilingual"), resolve("binary", "medium_quality")
print("multilingual text backbone:", multilingual.model.text.checkpoint)
print("default text backbone:     ", default.model.text.checkpoint)

# %% [markdown]
# ## Offline, the download fails clearly
#
# Without a network and without the model in the local Hugging Face cache, the fit stops before training and
# says which checkpoint it could not load.

# %%
try:
    MultiModalPredictor(label="score", path=workdir / "mdeberta", verbosity=0).fit(
        train, presets="multilingual", time_limit=20)
except CheckpointNotFoundError as err:
    print(type(err).__name__, ":", str(err)[:400])

# %% [markdown]
# ## The same call with an offline backbone
#
# AutoGluon-MM scripts name the backbone with `model.hf_text.checkpoint_name`; automm reads it as
# `model.text.checkpoint`. The offline MiniLM-L6 is an English model and these reviews are English: this cell
# shows the mechanics; with a network, replace the checkpoint with a multilingual one (or use the preset).

# %%
predictor = MultiModalPredictor(label="score", path=workdir / "minilm", verbosity=1)
predictor.fit(train, presets="multilingual", time_limit=25,
              hyperparameters={"model.hf_text.checkpoint_name": "sentence-transformers/all-MiniLM-L6-v2",
                               "model.hf_text.max_text_len": 96, "optim.max_epochs": 2})
print("trained with", predictor.state.config.model.text.checkpoint)
scores = predictor.evaluate(test, metrics=["accuracy", "roc_auc"])
print(scores)

plt.bar(list(scores), list(scores.values()))
plt.ylim(0, 1)
plt.title("MiniLM-L6 through AutoGluon's model.hf_text.checkpoint_name")
plt.show()
