# %% [markdown]
# # Distilling a large predictor into a small one
#
# A predictor with a large backbone can teach a smaller one: the student fits the labels and, besides, the
# teacher's softened class probabilities on the training rows, which carry more information than the labels
# alone. Here the teacher keeps all six layers of MiniLM and the student only two, so it predicts about three
# times faster. AutoGluon-MM's tutorial loads a teacher saved by AutoGluon-MM; automm reads only its own format,
# so the teacher here is an automm predictor (loading an AutoGluon-MM folder raises a `PredictorLoadError` that
# says so).

# %%
# AutoGluon: advanced_topics/model_distillation
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

from automm.core import MultiModalPredictor
from benchmarks.datasets import fine_foods

work = Path(tempfile.mkdtemp())
train, test = fine_foods()
train, test = train.sample(160, random_state=0), test.sample(100, random_state=0)

teacher = MultiModalPredictor(label="score", path=work / "teacher", verbosity=1)
teacher.fit(train, time_limit=30, hyperparameters={"optim.max_epochs": 2})

# %% [markdown]
# ## The student
# `teacher_predictor` takes the fitted teacher (or the path of a saved one). `model.text.num_layers` keeps the
# first two transformer layers of the student's backbone; the `distiller.*` hyperparameters weigh the soft labels.

# %%
student = MultiModalPredictor(label="score", path=work / "student", verbosity=1,
                              hyperparameters={"model.text.num_layers": 2, "optim.max_epochs": 2})
student.fit(train, time_limit=30, teacher_predictor=teacher)
print(student.fit_summary["distillation"]["objectives"])

# %%
results = {}
for name, predictor in (("teacher", teacher), ("student", student)):
    started = time.perf_counter()
    score = predictor.evaluate(test, metrics=["roc_auc"])["roc_auc"]
    results[name] = (score, time.perf_counter() - started, predictor.total_parameters / 1e6)
figure, (left, right) = plt.subplots(1, 2, figsize=(7, 3))
left.bar(list(results), [r[0] for r in results.values()])
left.set_ylabel("test ROC AUC")
right.bar(list(results), [r[2] for r in results.values()])
right.set_ylabel("parameters (millions)")
figure.tight_layout()
plt.show()
print(results)
