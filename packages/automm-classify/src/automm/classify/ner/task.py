"""The NER task: which text column is tagged, entity groups as BIO tags, spans in and out, seqeval scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError, InputError
from automm.core.plugin import NER_TEXT_REASON, ColumnDecision, ColumnType, Config, Task

from .spans import check_inside, entity_groups, parse_cell
from .tags import TagScheme

if TYPE_CHECKING:
    from automm.core.plugin import Built


class NERTask(Task):
    """Entity groups are the sorted distinct ``entity_group`` values of the training labels.

    Example:
        >>> predictor = MultiModalPredictor(problem_type="ner", label="entity_annotations")
        >>> predictor.fit(train_df)  # a text column + lists of {"entity_group", "start", "end"}
        >>> predictor.predict(test_df)  # per row: [{"entity_group", "start", "end", "score"}, ...]
    """

    arguments: ClassVar[tuple[str, ...]] = ("text_column",)
    has_proba: ClassVar[bool] = True  # per token: every tag's probability (AutoGluon-MM's predict_proba for ner)
    # ner.metrics.METRICS (that module imports torch, this one must not), plus each entity group in evaluate().
    metric_names = {"ner": ("overall_f1", "overall_precision", "overall_recall", "overall_accuracy")}
    modalities = {"ner": frozenset({"text_ner", "image", "text", "categorical", "numerical"})}

    def __init__(self, problem_type: str, column: str, groups: list[str], text_column: str = ""):
        self.problem_type, self.column, self.text_column = problem_type, column, text_column
        self.scheme = TagScheme(groups)

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str, arguments: Mapping[str, Any] | None = None) -> NERTask:
        if labels.shape[1] != 1:
            raise InputError(f"ner takes one label column of entity lists, got {list(labels.columns)}.")
        column = str(labels.columns[0])
        groups = entity_groups(parse_cell(cell, row, column) for row, cell in labels[column].items())
        if not groups:
            raise InputError(f"Label column {column!r} holds no entity in any row; NER needs annotated examples "
                             '(e.g. [{"entity_group": "PER", "start": 0, "end": 5}]).')
        text_column = (arguments or {}).get("text_column", "")
        if not isinstance(text_column, str):
            raise ConfigError(f"text_column must be a column name, got {text_column!r}.")
        return cls(problem_type, column, groups, text_column)

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> NERTask:
        _register_kinds()
        groups, text_column = state["groups"], state["text_column"]
        if not (isinstance(groups, list) and groups and all(isinstance(g, str) for g in groups)
                and isinstance(text_column, str) and text_column):
            raise ValueError("a ner task needs entity groups and its text column")
        return cls(str(state["problem_type"]), str(state["column"]), groups, text_column)

    def to_json(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "column": self.column, "groups": self.scheme.groups,
                "text_column": self.text_column}

    @property
    def output_size(self) -> int:
        return len(self.scheme)

    @property
    def target_columns(self) -> list[str] | None:
        return [self.column, self.text_column] if self.text_column else None

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        """Per row its spans, checked against the row's text."""
        texts = labels[self.text_column].tolist() if self.text_column in labels else [None] * len(labels)
        encoded = np.empty(len(labels), dtype=object)
        for position, ((row, cell), text) in enumerate(zip(labels[self.column].items(), texts)):
            spans = parse_cell(cell, row, self.column)
            check_inside(spans, text, row, self.column, self.text_column)
            unseen = sorted({s.group for s in spans} - set(self.scheme.groups))
            if unseen:
                raise InputError(f"Label column {self.column!r} row {row!r} has entity group(s) {unseen} that were not "
                                 f"in training ({self.scheme.groups}). Remove those entities or refit.")
            encoded[position] = spans
        return encoded

    def check_inputs(self, features: pd.DataFrame, role: str) -> None:
        for row, text in features[self.text_column].items():
            if not (isinstance(text, str) or pd.isna(text)):
                raise InputError(f"{role}: column {self.text_column!r} row {row!r} holds {type(text).__name__} "
                                 f"{text!r}; NER tags text. Convert the column to strings.")

    # ------------------------------------------------------------------ network and training
    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        from transformers import AutoTokenizer

        from automm.core.plugin import Built, fit_processors, network_spec, resolve_text_checkpoint

        from .network import NERSpec
        from .processor import NERProcessor, TaggedText

        text_column = tagged_column(columns, self.text_column)
        columns = {c: _decision(d, text_column) for c, d in columns.items()}
        text_folder = resolve_text_checkpoint(config.model.text.checkpoint)
        tokenizer = AutoTokenizer.from_pretrained(str(text_folder), local_files_only=True)
        if not tokenizer.is_fast:
            raise ConfigError(f"NER needs a fast (Rust) tokenizer for character offsets; model.text.checkpoint "
                              f"{config.model.text.checkpoint!r} has none. Choose a checkpoint with tokenizer.json.")
        others = {c: d for c, d in columns.items() if c != text_column}
        context = fit_processors(features, others, config, None) if any(d.type.is_used for d in others.values()) \
            else None
        context_spec = network_spec(context, config, None).to_json() if context is not None else None
        processor = NERProcessor(TaggedText(text_column, config.model.text.max_length, tokenizer), self.scheme,
                                 context)
        spec = NERSpec(len(self.scheme), config.model.fusion.dropout, context_spec)
        task = NERTask(self.problem_type, self.column, self.scheme.groups, text_column)
        return Built(processor, spec, spec.build(text_folder, pretrained=True), text_folder, columns, task)

    def loss(self, optim: Any, task_config: Any = None) -> Any:
        from .network import TokenLoss

        return TokenLoss()

    def metric(self, names: list[str] | None) -> Any:
        from .metrics import METRICS, NERMetric

        return NERMetric(self.scheme, list(names) if names else list(METRICS))

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return "overall_f1", True

    def default_metric_names(self) -> list[str]:
        from .metrics import METRICS

        return list(METRICS)

    def extra_metric_names(self) -> tuple[str, ...]:
        """Each entity group (lower-cased): ``evaluate(metrics=["overall_f1", "actor"])``."""
        return tuple(group.lower() for group in self.scheme.groups)

    def score(self, logits: Any, targets: np.ndarray, metrics: list[str] | None = None) -> dict[str, float]:
        metric = self.metric(metrics)
        metric.update(logits, list(targets))
        return metric.compute()

    # ------------------------------------------------------------------ outputs
    def predict(self, logits: Any, index: pd.Index) -> pd.Series:
        """Per row, its entities as ``{"entity_group", "start", "end", "score"}`` in the original text."""
        entities = [self.scheme.decode(np.asarray(o["tags"]), np.asarray(o["offsets"]), np.asarray(o["confidence"]))
                    for o in logits]
        return pd.Series(entities, index=index, name=self.column, dtype=object)

    def predict_proba(self, logits: Any, index: pd.Index) -> pd.Series:  # type: ignore[override]
        """Per row, per token that covers characters (special tokens left out), ``{"entity_group": its best tag,
        "start", "end", "probability": {tag: probability}}`` over the BIO tags (``O``, ``B-g``, ``I-g``).

        AutoGluon-MM returns the same per-token dicts (a Series named after the label column); its tokens are its
        tokenizer's too, its probabilities leave out the padding tag "X" that automm does not have.
        """
        rows = []
        for output in logits:
            offsets, proba = np.asarray(output["offsets"]), np.asarray(output["proba"], dtype=np.float64)
            rows.append([{"entity_group": self.scheme.tags[int(proba[t].argmax())], "start": int(offsets[t, 0]),
                          "end": int(offsets[t, 1]),
                          "probability": {tag: round(float(p), 6) for tag, p in zip(self.scheme.tags, proba[t])}}
                         for t in np.flatnonzero(offsets[:, 1] > offsets[:, 0])])
        return pd.Series(rows, index=index, name=self.column, dtype=object)


def tagged_column(columns: dict[str, ColumnDecision], chosen: str) -> str:
    """``chosen`` (the ``text_column`` argument), else the column typed ``text_ner`` in ``column_types`` (as
    AutoGluon-MM marks it), else the only text column."""
    if chosen:
        if chosen not in columns:
            raise InputError(f"text_column={chosen!r} is not a column of train_data (columns: {list(columns)}).")
        return chosen
    marked = [c for c, d in columns.items() if d.reason == NER_TEXT_REASON]
    if len(marked) > 1:
        raise InputError(f"column_types marks several columns text_ner ({marked}); NER tags one. Mark one, or name "
                         f"it: MultiModalPredictor(problem_type='ner', label=..., text_column={marked[0]!r}).")
    texts = marked or [c for c, d in columns.items() if d.type == ColumnType.TEXT]
    if len(texts) == 1:
        return texts[0]
    if not texts:
        raise InputError("NER found no text column to tag (column types: "
                         f"{ {c: d.type.value for c, d in columns.items()} }). Name it: "
                         "MultiModalPredictor(problem_type='ner', label=..., text_column='sentence').")
    raise InputError(f"NER tags one text column but train_data has several: {texts}. Choose one: "
                     f"MultiModalPredictor(problem_type='ner', label=..., text_column={texts[0]!r}).")


def _decision(decision: ColumnDecision, tagged: str) -> ColumnDecision:
    """The tagged column is text whatever detection said; other text columns are not read."""
    if decision.column == tagged:
        return ColumnDecision(tagged, ColumnType.TEXT, "the text NER tags")
    if decision.type == ColumnType.TEXT:
        return ColumnDecision(decision.column, ColumnType.NULL, f"text not read: NER tags {tagged!r} only")
    return decision


def _register_kinds() -> None:
    """Register the "ner" processor and network kinds (torch modules, imported when a NER model is built or
    loaded rather than with the plug-in)."""
    from . import network, processor  # noqa: F401

