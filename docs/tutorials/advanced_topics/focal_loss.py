# %% [markdown]
# # Focal loss for imbalanced classes
#
# When one class has far more training rows than the others, cross-entropy is dominated by the easy, common
# rows and the rare classes are learnt last. Focal loss scales each row's cross-entropy by `(1 - p) ** gamma`,
# so rows the model already gets right count less, and `task.focal_alpha` adds a weight per class. This page
# trains an image classifier on a deliberately skewed sample of Fashion-MNIST twice, once with cross-entropy and
# once with focal loss, and compares the per-class results.
#
# AutoGluon-MM spells these settings `optim.loss_func="focal_loss"`, `optim.focal_loss.alpha` and
# `optim.focal_loss.gamma`; in automm they are `task.loss="focal"`, `task.focal_alpha` and `task.focal_gamma`.

# %%
# AutoGluon: advanced_topics/focal_loss.ipynb
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from automm.core import MultiModalPredictor
from benchmarks.datasets import fashion_mnist

workdir = Path(tempfile.mkdtemp(prefix="automm_focal_"))
train_all, test_all = fashion_mnist(1000, 300, workdir / "images")  # 100 and 30 rows per class
classes = ["Bag", "Sneaker", "Trouser"]
counts = {"Bag": 90, "Sneaker": 15, "Trouser": 6}  # a long tail: 15 to 1 between the first and the last
train = pd.concat([train_all[train_all["label"] == c].head(n) for c, n in counts.items()], ignore_index=True)
test = test_all[test_all["label"].isin(classes)].reset_index(drop=True)
print(train["label"].value_counts())

# %% [markdown]
# ## Cross-entropy
#
# The baseline uses the default loss. A small image size and few epochs keep this page quick.

# %%
common = {"model.image.image_size": 64, "optim.max_epochs": 3}
plain = MultiModalPredictor(label="label", path=workdir / "cross_entropy", verbosity=1,
                            hyperparameters=common)
plain.fit(train, seed=0)

# %% [markdown]
# ## Focal loss with per-class weights
#
# `task.focal_alpha` lists one weight per class in the sorted order of the class names (what
# `predictor.class_labels` shows after fit); here each class weighs the inverse of its share of the rows,
# normalised to sum to one. A list of the wrong length is refused before anything trains.

# %%
shares = train["label"].value_counts(normalize=True)
alpha = [float(1 / shares[c]) for c in sorted(classes)]
alpha = [a / sum(alpha) for a in alpha]
focal = MultiModalPredictor(label="label", path=workdir / "focal", verbosity=1,
                            hyperparameters={**common, "task.loss": "focal", "task.focal_gamma": 1.0,
                                             "task.focal_alpha": alpha})
focal.fit(train, seed=0)
print(dict(zip(focal.class_labels, alpha)))

# %% [markdown]
# ## Comparing them
#
# Overall accuracy hides the rare classes; recall per class shows them.

# %%
def recall_per_class(predictor: MultiModalPredictor) -> pd.Series:
    predicted = predictor.predict(test)
    return (predicted == test["label"]).groupby(test["label"]).mean()


results = pd.DataFrame({"cross-entropy": recall_per_class(plain), "focal": recall_per_class(focal)})
print(results)
for name, predictor in [("cross-entropy", plain), ("focal", focal)]:
    print(name, predictor.evaluate(test, metrics=["accuracy", "balanced_accuracy", "f1_macro"]))

results.plot.bar(rot=0)
plt.ylabel("recall on the test images")
plt.title("Recall per class (training rows: " + ", ".join(f"{c} {n}" for c, n in counts.items()) + ")")
plt.show()
