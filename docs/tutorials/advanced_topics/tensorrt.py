# %% [markdown]
# # Faster inference with ONNX Runtime
#
# After fitting, a predictor can answer from an ONNX export of its network instead of PyTorch.
# `optimize_for_inference()` exports the network with automm-deploy (`pip install "automm-deploy[export]"`) and
# from then on `predict` and `predict_proba` run in ONNX Runtime, on the execution providers you name: TensorRT
# or CUDA on a GPU machine, the CPU here. We compare its answers and its speed with PyTorch's.

# %%
# AutoGluon: advanced_topics/tensorrt
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np

from automm.core import MultiModalPredictor
from benchmarks.datasets import fine_foods

train, test = fine_foods()
train, test = train.sample(150, random_state=0), test.sample(64, random_state=0)
path = tempfile.mkdtemp() + "/reviews"
MultiModalPredictor(label="score", path=path, verbosity=1).fit(train, time_limit=30,
                                                               hyperparameters={"optim.max_epochs": 1})

# %% [markdown]
# ## PyTorch, then ONNX Runtime
# We load the saved predictor, time `predict_proba` on a batch of reviews, then optimise it and time again.
# On a GPU machine pass `providers=["TensorrtExecutionProvider", "CUDAExecutionProvider"]`, or nothing.


# %%
def timed(predictor, rows, repeats=3):
    """The probabilities and the best of ``repeats`` timings in seconds."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        probabilities = predictor.predict_proba(rows)
        seconds.append(time.perf_counter() - started)
    return probabilities, min(seconds)


predictor = MultiModalPredictor.load(path, verbosity=1)
rows = test.drop(columns="score")
torch_probabilities, torch_seconds = timed(predictor, rows)
predictor.optimize_for_inference(providers=["CPUExecutionProvider"])
onnx_probabilities, onnx_seconds = timed(predictor, rows)
print("largest difference:", float(np.abs(torch_probabilities.to_numpy() - onnx_probabilities.to_numpy()).max()))

# %%
plt.bar(["PyTorch", "ONNX Runtime"], [torch_seconds * 1000, onnx_seconds * 1000])
plt.ylabel(f"ms for {len(rows)} reviews")
plt.show()
