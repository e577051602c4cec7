# %% [markdown]
# # Customizing hyperparameters with AutoGluon-MM's keys
#
# automm's settings are typed dotted keys (`optim.lr`, `model.text.checkpoint`, ...). Scripts written for
# AutoGluon-MM use that project's own key names (`model.hf_text.checkpoint_name`, `optim.lr_decay`,
# `env.per_gpu_batch_size`, the older `optimization.*` spelling) and often pass them as a dotlist string. automm
# reads all of these through one translation table: each AutoGluon key becomes the automm key it means, or is
# refused with the reason and what to write instead. This page shows the table at work, then fits a small text
# classifier configured only with AutoGluon's names. The whole table is `docs/migration/hyperparameters.md`.

# %%
# AutoGluon: advanced_topics/customization.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from automm.core.autogluon_keys import translate
from automm.core.config import Config
from automm.core.errors import ConfigError
from benchmarks.datasets import fine_foods

# %% [markdown]
# ## What each AutoGluon key becomes
#
# `translate(key, value)` is what `fit` applies before anything else: it returns the automm settings an
# AutoGluon key stands for. Some translate their values too: AutoGluon's `bit_fit` is automm's `bitfit`, a
# fractional `optim.val_check_interval` becomes a number of validations per epoch, and `model.names` selects
# modalities, the tabular encoder and the fusion model.

# %%
examples = {
    "model.hf_text.checkpoint_name": "google/electra-base-discriminator",
    "model.timm_image.checkpoint_name": "swin_base_patch4_window7_224",
    "optimization.learning_rate": 4e-4,
    "optim.lr_decay": 0.9,
    "optim.warmup_steps": 0.1,
    "optim.val_check_interval": 0.5,
    "optim.peft": "bit_fit",
    "env.per_gpu_batch_size": 8,
    "env.batch_size": 128,
    "env.precision": "bf16",
    "env.num_gpus": 0,
    "model.hf_text.max_text_len": -1,
    "model.names": ["hf_text", "ft_transformer", "fusion_mlp"],
}
for key, value in examples.items():
    print(f"{key} = {value!r:40} -> {translate(key, value)}")

# %% [markdown]
# ## Keys with no meaning in automm
#
# A refused key says why, and names the automm setting to use where there is one. It is never the bare
# "Unknown hyperparameter" that a typo of an automm key gets.

# %%
for key, value in [("env.inference_batch_size_ratio", 4), ("optim.peft", "lora_bias"),
                   ("model.hf_text.gradient_checkpointing", True)]:
    try:
        Config().override({key: value})
    except ConfigError as err:
        print(f"{key}: {err}\n")

# %% [markdown]
# ## The dotlist spelling
#
# AutoGluon also takes `hyperparameters` as one string of `key=value` pairs, or a list of them. Values are read
# as AutoGluon reads them: numbers, `true`/`false`, `null` and `[a, b]` lists.

# %%
config = Config().override("optimization.learning_rate=2e-4 optim.max_epochs=2 env.precision=32 "
                           "model.hf_text.pooling_mode=cls")
print(config.optim.lr, config.optim.max_epochs, config.optim.precision, config.model.text.pooling)

# %% [markdown]
# ## A fit configured with AutoGluon's names
#
# 160 fine-food reviews, classified as "great" or "other". The text backbone is the offline MiniLM-L6,
# named through AutoGluon's `model.hf_text.checkpoint_name`; the optimiser settings use AutoGluon's names too.
# `predictor.state.config` shows where each landed.

# %%
train_all, test_all = fine_foods()
train = train_all.sample(160, random_state=0)[["review", "score"]].reset_index(drop=True)
test = test_all.sample(100, random_state=0)[["review", "score"]].reset_index(drop=True)
workdir = Path(tempfile.mkdtemp(prefix="automm_customization_"))

hyperparameters = {
    "model.hf_text.checkpoint_name": "sentence-transformers/all-MiniLM-L6-v2",
    "model.hf_text.max_text_len": 96,
    "optimization.learning_rate": 2e-4,
    "optim.lr_decay": 0.85,
    "optim.warmup_steps": 0.1,
    "optim.max_epochs": 2,
    "env.per_gpu_batch_size": 16,
    "env.num_gpus": 0,
}
predictor = MultiModalPredictor(label="score", path=workdir / "model", verbosity=1)
predictor.fit(train, hyperparameters=hyperparameters, time_limit=25)
fitted = predictor.state.config
print("model.text.checkpoint      ", fitted.model.text.checkpoint)
print("model.text.max_length      ", fitted.model.text.max_length)
print("optim.lr                   ", fitted.optim.lr)
print("optim.layerwise_lr_decay   ", fitted.optim.layerwise_lr_decay)
print("optim.warmup_ratio         ", fitted.optim.warmup_ratio)
print("optim.batch_size           ", fitted.optim.batch_size)
print("env.accelerator, devices   ", fitted.env.accelerator, fitted.env.devices)
scores = predictor.evaluate(test, metrics=["accuracy", "roc_auc"])
print(scores)

# %% [markdown]
# Layer-wise decay scales the learning rate of each backbone layer by `optim.layerwise_lr_decay` per layer
# below the top. The plot shows the rates this fit used for MiniLM-L6's six layers and its embeddings.

# %%
depths = list(range(fitted.model.text.num_layers or 6, -1, -1))
rates = [fitted.optim.lr * fitted.optim.layerwise_lr_decay ** (6 - d) for d in depths]
plt.bar([f"layer {d}" if d else "embeddings" for d in depths], rates)
plt.ylabel("learning rate")
plt.title("optim.lr_decay (automm: optim.layerwise_lr_decay) = 0.85")
plt.xticks(rotation=45)
plt.tight_layout()
plt.show()
