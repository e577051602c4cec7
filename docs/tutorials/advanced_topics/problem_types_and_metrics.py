# %% [markdown]
# # Problem types and their metrics
#
# Every problem type automm can fit comes from an installed task package. `PROBLEM_TYPES_REG` describes each one
# under the attribute names AutoGluon-MM uses: the input modalities it reads, whether it predicts before any fit
# (zero-shot), and the metrics `eval_metric=`, `validation_metric=` and `evaluate(metrics=...)` accept, with the
# default first. This page prints them and shows how metric names are checked.

# %%
# AutoGluon: advanced_topics/problem_types_and_metrics.ipynb
# AutoGluon-MM imports problem-type constants (BINARY, ...); automm's problem types are plain strings.
import matplotlib.pyplot as plt

from automm.core import ConfigError, MultiModalPredictor
from automm.core.problem_types import PROBLEM_TYPES_REG


def describe(title: str, name: str) -> None:
    """Print what one problem type reads, its metrics (default marked) and its capabilities."""
    props = PROBLEM_TYPES_REG.get(name)
    print(f"\n== {title} ({name}, from {props.package}) ==")
    print("inputs:", ", ".join(sorted(props.supported_modality_type)))
    marked = [f"{m} (default)" if m == props.fallback_evaluation_metric else m
              for m in props.supported_evaluation_metrics]
    print("metrics:", ", ".join(marked))
    print(f"zero-shot: {'yes' if props.support_zero_shot else 'no'}; fit: {'yes' if props.support_fit else 'no'}")


print("installed problem types:", PROBLEM_TYPES_REG.list_keys())

# %% [markdown]
# ## Classification and regression

# %%
describe("Binary classification", "binary")
describe("Multiclass classification", "multiclass")
describe("Regression", "regression")
describe("Few-shot classification", "few_shot_classification")

# %% [markdown]
# ## Vision: detection and segmentation

# %%
describe("Object detection", "object_detection")
describe("Semantic segmentation", "semantic_segmentation")

# %% [markdown]
# ## Matching and entity extraction
#
# Matchers rank responses for queries, so besides pair metrics they accept retrieval metrics with a cutoff,
# written `ndcg@10`, `recall@5` and so on. "ner" also accepts each entity group's name in `evaluate(metrics=...)`.

# %%
for title, name in [("Text similarity", "text_similarity"), ("Image similarity", "image_similarity"),
                    ("Image-text similarity", "image_text_similarity")]:
    describe(title, name)
describe("Named entity recognition", "ner")

# %% [markdown]
# ## Metric names are checked up front
#
# Names are case-insensitive and AutoGluon's aliases work (`acc`, `nll`, `root_mean_squared_error`, ...).
# A metric of another problem type, or a misspelt one, is refused when the predictor is made, naming the metrics
# that problem type accepts.

# %%
print(MultiModalPredictor(label="y", problem_type="binary", eval_metric="ACC").eval_metric)
for problem_type, metric in [("binary", "rmse"), ("regression", "pearson_r")]:
    try:
        MultiModalPredictor(label="y", problem_type=problem_type, eval_metric=metric)
    except ConfigError as err:
        print(f"{problem_type} / {metric}: {str(err)[:160]}...")

# %% [markdown]
# How many metrics each problem type offers:

# %%
names = PROBLEM_TYPES_REG.list_keys()
plt.barh(names, [len(PROBLEM_TYPES_REG.get(n).supported_evaluation_metrics) for n in names])
plt.xlabel("metrics accepted")
plt.tight_layout()
plt.show()
