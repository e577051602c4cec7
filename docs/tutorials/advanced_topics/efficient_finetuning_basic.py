# %% [markdown]
# # Parameter-efficient fine-tuning
#
# Fine-tuning every weight of a large backbone costs memory for the gradients and optimiser state of each one.
# Parameter-efficient methods train a small set instead: IA3 learns a scaling vector per adapted layer, LoRA a
# low-rank update of each adapted weight matrix, BitFit only the bias terms. In automm the method is
# `optim.peft` (`"ia3"`, `"lora"`, `"bitfit"`); AutoGluon-MM's spellings are read too, and its combined methods
# (`ia3_bias`, `lora_bias`, ...) are refused naming the closest one automm has. This page counts what each
# method trains on the offline MiniLM-L6 text backbone, then fits an IA3 classifier with the settings an
# AutoGluon-MM script would pass.

# %%
# AutoGluon: advanced_topics/efficient_finetuning_basic.ipynb
import copy
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from automm.core.autogluon_keys import translate
from automm.core.errors import ConfigError
from automm.core.training.peft_setup import apply_peft
from benchmarks.datasets import fine_foods

train_all, test_all = fine_foods()
train = train_all.sample(160, random_state=1)[["review", "score"]].reset_index(drop=True)
test = test_all.sample(100, random_state=1)[["review", "score"]].reset_index(drop=True)
workdir = Path(tempfile.mkdtemp(prefix="automm_peft_"))

# %% [markdown]
# ## AutoGluon-MM's settings, translated
#
# AutoGluon's tutorial fine-tunes with `"optim.peft": "ia3_bias"`, a layer-wise learning-rate decay, a final
# learning rate, a warmup and a total batch size reached by gradient accumulation. Each key maps onto automm's:

# %%
autogluon_settings = {"optim.lr": 3e-3, "optim.lr_decay": 0.9, "optim.end_lr": 3e-5, "optim.warmup_steps": 0.1,
                      "env.batch_size": 32, "env.per_gpu_batch_size": 16, "optim.peft": "ia3"}
for key, value in autogluon_settings.items():
    print(f"{key:24} {value!r:8} -> {translate(key, value)}")
try:
    translate("optim.peft", "ia3_bias")
except ConfigError as err:
    print("\n", err)

# %% [markdown]
# ## An IA3 fit
#
# automm's IA3 adapts every linear layer of the backbone; the head and the fusion layers train fully. The fit
# uses the keys above that this version of automm reads as they are (`optim.end_lr` and `env.batch_size` map onto
# `optim.end_lr` and `optim.effective_batch_size`, as printed above).

# %%
fit_keys = {"optim.lr": 3e-3, "optim.lr_decay": 0.9, "optim.warmup_steps": 0.1, "env.per_gpu_batch_size": 16,
            "optimization.efficient_finetune": "ia3", "optim.max_epochs": 2, "model.hf_text.max_text_len": 96}
predictor = MultiModalPredictor(label="score", path=workdir / "ia3", verbosity=1)
predictor.fit(train, hyperparameters=fit_keys, time_limit=25)
print("optim.peft =", predictor.state.config.optim.peft)
print(predictor.evaluate(test, metrics=["accuracy", "roc_auc"]))

# %% [markdown]
# ## What each method trains
#
# The count below applies each method to a copy of the fitted network, as `fit` does before training, and adds
# up the parameters left trainable (the classification head and fusion layers train under every method).

# %%
trainable = {}
for method in ("none", "bitfit", "lora", "ia3"):
    net = copy.deepcopy(predictor.state.net)
    for param in net.parameters():
        param.requires_grad = True
    apply_peft(net, method, rank=8)
    trainable[method] = sum(p.numel() for p in net.parameters() if p.requires_grad)
total = trainable["none"]
for method, count in trainable.items():
    print(f"{method:7} {count:>11,} trainable parameters ({100 * count / total:.2f}% of {total:,})")

plt.bar(list(trainable), list(trainable.values()))
plt.yscale("log")
plt.ylabel("trainable parameters (log scale)")
plt.title("optim.peft on MiniLM-L6 + head")
plt.show()
