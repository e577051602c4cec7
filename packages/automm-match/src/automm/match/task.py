"""The matching task: pairs of (query, response) rows scored by the cosine of their embeddings."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from torch.utils.data import Sampler

from automm.core.base.decoders import MatchDecoder
from automm.core.errors import ConfigError, InputError
from automm.core.plugin import ColumnDecision, ColumnType, Config, Task

from . import metrics as pair_metrics
from .building import Built, as_side_column, build_bi_encoder, side_modality
from .calibration import fit_platt
from .config import MatchConfig
from .hard_negatives import add_hard_negatives
from .inputs import check_side_inputs
from .losses import build_loss, chosen_loss
from .sampling import NoDuplicatesBatchSampler

SIDES = ("query", "response")
# Modalities each problem type expects on its two sides (any order for image_text_similarity).
MODALITIES = {"text_similarity": {"text"}, "image_similarity": {"image"}, "image_text_similarity": {"text", "image"},
              "zero_shot_image_classification": {"text", "image"}}
DEFAULT_PLATT = (10.0, -5.0)  # before calibration: probability 0.5 at cosine 0.5
# Side columns when neither query= nor response= is given (AutoGluon-MM allows that for zero-shot use).
DEFAULT_SIDES = {"text_similarity": ("query", "response"), "image_similarity": ("query", "response"),
                 "image_text_similarity": ("text", "image"), "zero_shot_image_classification": ("image", "text")}


class MatchTask(Task):
    """Query/response pairs, labelled (binary or graded) or positives only; bi-encoder embeddings."""

    arguments: ClassVar[tuple[str, ...]] = ("query", "response", "match_label")
    labels_optional: ClassVar[bool] = True
    predicts_before_fit: ClassVar[bool] = True  # a pretrained text or CLIP encoder embeds before any fit
    calibrates: ClassVar[bool] = True  # binary labels: Platt scaling of the cosine on the validation pairs
    metric_names = dict.fromkeys(MODALITIES, ("roc_auc", "accuracy", "f1", "spearman", "pearson"))
    ranked_metrics: ClassVar[bool] = True  # retrieval metrics with a cutoff: ndcg@10, recall@5...
    modalities = {problem_type: frozenset(found) for problem_type, found in MODALITIES.items()}
    keep_pretrained_if_better = True  # the pretrained encoders already match pairs: a fit must not end worse
    signatures: ClassVar[tuple[str, ...]] = SIDES
    config_type = MatchConfig
    text_side: ClassVar[str] = "query"  # image-text: the side that holds text when the data does not say

    def __init__(self, problem_type: str, sides: dict[str, list[str]], label: str | None, kind: str,
                 match_label: Any = 1, other_label: Any = 0, label_range: tuple[float, float] = (0.0, 1.0),
                 platt: tuple[float, float] = DEFAULT_PLATT, column_types: dict[str, str] | None = None):
        self.problem_type, self.sides, self.label, self.kind = problem_type, sides, label, kind
        self.match_label, self.other_label, self.label_range = match_label, other_label, tuple(label_range)
        self.platt, self.column_types = tuple(platt), dict(column_types or {})
        self.zero_shot = False  # set by for_zero_shot: built for use before any fit

    # ------------------------------------------------------------------ fitting the label encoding
    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str, arguments: Mapping[str, Any] | None = None) -> MatchTask:
        arguments = dict(arguments or {})
        if all(arguments.get(side) is None for side in SIDES) and problem_type in DEFAULT_SIDES:
            arguments.update(zip(SIDES, DEFAULT_SIDES[problem_type]))
        sides = {side: _column_list(arguments.get(side), side, problem_type) for side in SIDES}
        shared = set(sides["query"]) & set(sides["response"])
        if shared:
            raise ConfigError(f"query and response must name different columns; both name {sorted(shared)}.")
        if labels.shape[1] > 1:
            raise ConfigError(f"A matching predictor takes one label column, got {list(labels.columns)}.")
        if labels.shape[1] == 0:
            if arguments.get("match_label") is not None:
                raise ConfigError("match_label was given but no label column: pass label=... too, or leave both out "
                                  "to train on matching pairs only.")
            return cls(problem_type, sides, None, "positive")
        column = str(labels.columns[0])
        kind, match_label, other_label, label_range = _label_kind(labels[column], arguments.get("match_label"))
        if kind == "binary" and labels[column].nunique() < 2:  # every pair matches: learn by ranking
            kind = "positive"
        return cls(problem_type, sides, column, kind, match_label, other_label, label_range)

    @property
    def input_columns(self) -> list[str]:
        return [*self.sides["query"], *self.sides["response"]]

    @property
    def target_columns(self) -> list[str]:
        return ([self.label] if self.label else []) + self.input_columns

    @property
    def output_size(self) -> None:
        return None  # no head: the network outputs one embedding per side

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        """``[rows, 3]`` float32: label (1/0 or graded in [0, 1]), query group, response group."""
        targets = np.empty((len(labels), 3), dtype=np.float32)
        targets[:, 0] = self._encode_labels(labels[self.label]) if self.label and self.kind != "positive" else 1.0
        for i, side in enumerate(SIDES, start=1):
            keys = labels[self.sides[side]].astype(str).agg("\x1f".join, axis=1)
            targets[:, i] = pd.factorize(keys)[0]
        return targets

    def _encode_labels(self, values: pd.Series) -> np.ndarray:
        if self.kind == "binary":
            is_match, is_other = values == self.match_label, values == self.other_label
            bad = ~(is_match | is_other)
            if bad.any():
                raise InputError(f"Label column {self.label!r} has value {_plain(values[bad].iloc[0])!r} at row "
                                 f"{_plain(values.index[bad][0])!r}; this predictor knows only "
                                 f"{self.match_label!r} (match) and {self.other_label!r}.")
            return is_match.to_numpy(np.float32)
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.isna().any():
            row = _plain(numbers.index[numbers.isna()][0])
            raise InputError(f"Label column {self.label!r} holds graded scores, but row {row!r} has {values[row]!r}.")
        low, high = self.label_range
        return ((numbers.to_numpy(np.float64) - low) / (high - low)).clip(0, 1).astype(np.float32)

    # ------------------------------------------------------------------ network and training
    def for_zero_shot(self) -> MatchTask:
        """This task, marked so that ``build`` warns when the pretrained model has untrained parts."""
        task = _copy(self)
        task.zero_shot = True
        return task

    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        columns = self._side_columns(columns, features)
        column_types = {c: columns[c].type.value for c in self.input_columns}
        task = type(self)(self.problem_type, self.sides, self.label, self.kind, self.match_label, self.other_label,
                          self.label_range, self.platt, column_types)
        built = build_bi_encoder(self.sides, features, columns, config)
        if self.zero_shot:
            warn_untrained_projections(built.spec, self.problem_type)
        return dataclasses.replace(built, task=task)

    def loss(self, optim: Any, task_config: MatchConfig):
        return build_loss(task_config.loss, self.kind, task_config)

    def training_data(self, net: Any, processors: Any, features: pd.DataFrame, targets: np.ndarray, config: Config,
                      ) -> tuple[Any, pd.DataFrame, np.ndarray]:
        """With ``task.hard_negatives``, each pair gets a mined negative response as a third side (and its
        response group as a fourth target column)."""
        if not config.task.hard_negatives:
            return processors, features, targets
        loss = build_loss(config.task.loss, self.kind, config.task)
        if loss.name != "multiple_negatives_ranking":
            raise ConfigError(f"task.hard_negatives needs the ranking loss (multiple_negatives_ranking), which learns "
                              f"from matching pairs; this fit uses {loss.name!r}. Set task.loss="
                              "'multiple_negatives_ranking' or turn hard_negatives off.")
        return add_hard_negatives(net, processors, features, targets, config.env.eval_batch_size)

    def train_batch_sampler(self, sampler: Sampler[int], targets: np.ndarray, batch_size: int, config: Config,
                            ) -> NoDuplicatesBatchSampler | None:
        """The ranking loss takes a batch's other responses as negatives: no two matching pairs of one batch
        share a query or a response, mined negatives included (rows labelled as non-matching, which that loss
        skips, go anywhere)."""
        if chosen_loss(config.task.loss, self.kind) != "multiple_negatives_ranking":
            return None
        keys = [(("query", row[1]), *(("response", group) for group in row[2:])) if row[0] > 0.5 else ()
                for row in targets.tolist()]
        return NoDuplicatesBatchSampler(sampler, batch_size, keys)

    def check_inputs(self, features: pd.DataFrame, role: str) -> None:
        check_side_inputs(features, self.sides, self.column_types, role)

    def calibrate(self, outputs: np.ndarray, targets: np.ndarray) -> None:
        """Binary labels: fit probability = sigmoid(a * cosine + b) on the validation pairs."""
        if self.kind == "binary" and len(np.unique(targets[:, 0])) == 2:
            self.platt = fit_platt(pair_metrics.pair_similarity(outputs), targets[:, 0])

    # ------------------------------------------------------------------ outputs
    def decoder_spec(self) -> dict[str, Any]:
        """The match decoder (``automm.core.base.decoders.MatchDecoder``) of this label encoding."""
        return {"decoder": "match", "name": self.label or "match", "kind": self.kind,
                "match_label": _plain(self.match_label), "other_label": _plain(self.other_label),
                "label_range": list(self.label_range), "platt": list(self.platt)}

    def decoder(self) -> MatchDecoder:
        return MatchDecoder(self.label or "match", self.kind, self.match_label, self.other_label,
                            list(self.label_range), list(self.platt))

    def probability(self, outputs: np.ndarray) -> np.ndarray:
        return self.decoder().probability(outputs)

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.Series:
        return self.decoder().predict(logits, index)

    def predict_proba(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        if self.kind == "graded":
            raise ConfigError("This matcher learned graded scores, which have no class probabilities; use predict().")
        return self.decoder().predict_proba(logits, index)

    def score(self, logits: np.ndarray, targets: np.ndarray, metrics: list[str] | None = None,
              ) -> dict[str, float]:
        labels, similarity = targets[:, 0], pair_metrics.pair_similarity(logits)
        if self.kind == "graded":
            found = pair_metrics.graded_scores(similarity, labels)
        else:
            positive = labels > 0.5
            retrieval = pair_metrics.retrieval_scores(logits[positive], targets[positive, 1], targets[positive, 2])
            found = retrieval if self.kind == "positive" else {
                **pair_metrics.binary_scores(similarity, self.probability(logits), labels.astype(int)), **retrieval}
        if not metrics:
            return found
        unknown = [m for m in metrics if m not in found]
        if unknown:
            raise ConfigError(f"Unknown metric(s) {unknown} for this matcher; available: {list(found)}.")
        return {m: found[m] for m in metrics}

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return {"positive": "mrr@10", "binary": "roc_auc", "graded": "spearman"}[self.kind], True

    def default_metric_names(self) -> list[str]:
        retrieval = list(pair_metrics.RETRIEVAL_METRICS)
        return {"positive": retrieval, "binary": ["roc_auc", "accuracy", "f1", *retrieval],
                "graded": ["spearman", "pearson"]}[self.kind]

    def validation_fallback(self, name: str, targets: np.ndarray) -> tuple[str, str] | None:
        """The kind's default when this matcher's labels do not give ``name``, or ROC-AUC lacks one label value."""
        if name not in self.default_metric_names():
            return self.validation_metric[0], f"a matcher of {self.kind} labels does not compute {name}"
        if name == "roc_auc" and len(np.unique(targets[:, 0])) < 2:
            return "accuracy", "roc_auc needs matching and non-matching pairs"
        return None

    # ------------------------------------------------------------------ columns
    def _side_columns(self, columns: dict[str, ColumnDecision], features: pd.DataFrame) -> dict[str, ColumnDecision]:
        """Every side column as text or image; sides absent from zero-shot data get the problem type's default."""
        expected = MODALITIES[self.problem_type]
        result = {c: as_side_column(d, features[c], expected) for c, d in columns.items() if c in self.input_columns}
        for side, names in self.sides.items():
            missing = [c for c in names if c not in result]
            if not missing:
                continue
            other = [result[c] for s, ns in self.sides.items() if s != side for c in ns if c in result]
            modality = (expected - {side_modality(other)}) if other and len(expected) > 1 else expected
            default = ColumnType.TEXT if modality == {"text"} or side == self.text_side and len(modality) > 1 \
                else ColumnType.IMAGE_PATH
            for column in missing:
                result[column] = ColumnDecision(column, default, "not in the data yet: the problem type's default")
        found = {side: side_modality([result[c] for c in names]) for side, names in self.sides.items()}
        if set(found.values()) != expected and not (len(expected) == 1 and set(found.values()) <= expected):
            detail = ", ".join(f"{side} {self.sides[side]} holds {m}" for side, m in found.items())
            raise InputError(f"problem_type {self.problem_type!r} needs {' and '.join(sorted(expected))} sides, but "
                             f"{detail}. Check the column names, or set column_types={{column: 'image_path'}} "
                             "(or 'text') in fit().")
        return result

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "sides": self.sides, "label": self.label, "kind": self.kind,
                "match_label": _plain(self.match_label), "other_label": _plain(self.other_label),
                "label_range": list(self.label_range), "platt": list(self.platt), "column_types": self.column_types}

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> MatchTask:
        if state["kind"] not in ("positive", "binary", "graded"):
            raise ValueError(f"unknown label kind {state['kind']!r}")
        sides = {side: [str(c) for c in state["sides"][side]] for side in SIDES}
        return cls(str(state["problem_type"]), sides, state["label"], state["kind"], state["match_label"],
                   state["other_label"], tuple(float(v) for v in state["label_range"]),
                   tuple(float(v) for v in state["platt"]), state.get("column_types"))


def warn_untrained_projections(spec: Any, problem_type: str) -> None:
    """Zero-shot use of a bi-encoder whose towers end in projection heads: those start random, so the scores
    mean nothing until a fit. CLIP checkpoints (``presets="high_quality"``) are pretrained end to end."""
    towers = getattr(spec, "towers", {})
    if any(tower.output_size is not None for tower in towers.values()):
        from .presets import CLIP_BASE

        warnings.warn(f"This {problem_type} model has projection heads that were never trained (the medium_quality "
                      "preset joins MiniLM and EfficientNet-Lite0 with random projections), so zero-shot scores "
                      f"before fit() are meaningless. For zero-shot image-text matching use presets='high_quality' "
                      f"({CLIP_BASE}, a CLIP model pretrained end to end, as AutoGluon-MM's default is) or "
                      "hyperparameters={'model.text.checkpoint': <a CLIP checkpoint>}; or fit() first.",
                      UserWarning, stacklevel=4)


def _copy(task: MatchTask) -> MatchTask:
    clone = object.__new__(type(task))
    clone.__dict__.update(task.__dict__)
    return clone


def _column_list(value: Any, side: str, problem_type: str) -> list[str]:
    if value is None:
        raise ConfigError(f"problem_type {problem_type!r} needs query= and response=: the column(s) holding each "
                          f"side of a pair, e.g. MultiModalPredictor(problem_type={problem_type!r}, query='question', "
                          f"response='answer'). {side}= is missing.")
    names = [value] if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"{side}= must name a column or a list of columns, got {value!r}.")
    return names


def _label_kind(values: pd.Series, match_label: Any) -> tuple[str, Any, Any, tuple[float, float]]:
    """("binary", match, other, range) or ("graded", 1, 0, (low, high)) from the label values."""
    distinct = [_plain(v) for v in pd.unique(values.dropna())]
    if match_label is not None:
        # From the command line every value is a string: "1" names the label 1.
        match_label = next((v for v in distinct if v == match_label or str(v) == str(match_label)), match_label)
        if match_label not in distinct:
            raise InputError(f"match_label={match_label!r} does not occur in the label column; values are "
                             f"{distinct[:10]}.")
        others = [v for v in distinct if v != match_label]
        if len(others) > 1:
            raise InputError(f"With match_label={match_label!r} the label column may hold one other value, "
                             f"found {others[:10]}.")
        return "binary", _plain(match_label), _plain(others[0]) if others else _other_of(match_label), (0.0, 1.0)
    numbers = pd.to_numeric(values, errors="coerce")
    if set(distinct) <= {0, 1}:
        return "binary", 1, 0, (0.0, 1.0)
    if numbers.notna().all():
        low, high = float(numbers.min()), float(numbers.max())
        if high > low:
            return "graded", 1, 0, (min(low, 0.0), high)
    raise InputError(f"Cannot tell which label value means 'match' among {distinct[:10]}; pass match_label=<that "
                     "value> to MultiModalPredictor.")


def _other_of(match_label: Any) -> Any:
    return 0 if match_label in (1, True) else f"not {match_label}"


def _plain(value: Any) -> Any:
    """numpy scalars -> Python values, so labels survive JSON."""
    return value.item() if hasattr(value, "item") else value
