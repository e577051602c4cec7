"""Few-shot classification: frozen text/image embeddings and a linear SVM, fitted in seconds with no training."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError, InputError
from automm.core.plugin import ColumnDecision, ColumnType, Config, flatten

from . import metrics as metric_table
from .classification import ClassificationTask
from .config import FewShotConfig
from .few_shot_svm import check_class_counts, fit_linear_svm

if TYPE_CHECKING:
    from automm.core.plugin import Built, Deadline, FitResult

logger = logging.getLogger("automm")
FUSION = "l2_concat"  # each modality's embedding at unit length, concatenated


class FewShotClassificationTask(ClassificationTask):
    """``problem_type="few_shot_classification"``: the pretrained backbones stay frozen; the network's head is a
    linear SVM fitted with scikit-learn on their L2-normalised, concatenated embeddings.

    Only text and image columns are embedded; numeric and categorical columns are ignored (and logged).
    """

    config_type = FewShotConfig
    fits_directly: ClassVar[bool] = True
    metric_names = {"few_shot_classification": metric_table.MULTICLASS_NAMES}
    modalities = {"few_shot_classification": frozenset({"image", "text"})}

    def __init__(self, problem_type: str, column: str, classes: list[Any], svm: dict[str, Any] | None = None):
        super().__init__(problem_type, column, classes)
        self.svm = svm or {}  # what the last fit chose: {"c", "temperature", "folds"} (informative)

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str,
            arguments: Mapping[str, Any] | None = None) -> FewShotClassificationTask:
        task = super().fit(labels, problem_type, arguments)
        check_class_counts(task.encode(labels), task.classes, task.column)
        return cls(problem_type, task.column, task.classes)

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> FewShotClassificationTask:
        return cls(state["problem_type"], state["column"], list(state["classes"]), dict(state.get("svm", {})))

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "svm": self.svm}

    def default_metrics(self) -> list[str]:
        return ClassificationTask("binary" if len(self.classes) == 2 else "multiclass", self.column,
                                  self.classes).default_metrics()

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return ("roc_auc", True) if len(self.classes) == 2 else ("accuracy", True)

    def configure(self, config: Config, overrides: Mapping[str, Any]) -> tuple[FewShotClassificationTask, Config]:
        fusion = flatten(overrides).get("model.fusion.model", FUSION)  # dotted or nested keys
        if fusion != FUSION:
            raise ConfigError(f"few_shot_classification concatenates frozen embeddings (model.fusion.model="
                              f"{FUSION!r}); got {fusion!r}. Remove that hyperparameter, or use problem_type="
                              "'multiclass' / 'binary' to train a fusion network.")
        return self, config.override({"model.fusion.model": FUSION})

    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        from automm.core.plugin import build_multimodal

        kept = {c: d for c, d in columns.items() if d.type == ColumnType.TEXT or d.type.is_image}
        if not kept:
            used = {c: d.type.value for c, d in columns.items() if d.type.is_used}
            raise InputError(f"few_shot_classification embeds text and image columns, and train_data has none "
                             f"(feature columns: {used or 'none'}). Add a text or image column, set column_types="
                             "{...} if one was misdetected, or use problem_type='multiclass' for tabular data.")
        ignored = [c for c, d in columns.items() if d.type.is_used and c not in kept]
        if ignored:
            logger.warning("few_shot_classification ignores the numeric/categorical column(s) %s: it embeds only "
                           "text and image columns.", ignored)
        reason = "ignored: few_shot_classification embeds only text and image columns"
        columns = {c: kept.get(c) or (ColumnDecision(c, ColumnType.NULL, reason) if c in ignored else d)
                   for c, d in columns.items()}
        return build_multimodal(features[list(kept)], columns, config, self.output_size)

    def fit_directly(self, net: Any, processors: Any, train_data: tuple[pd.DataFrame, np.ndarray],
                     val_data: tuple[pd.DataFrame, np.ndarray] | None, config: Config, deadline: Deadline,
                     seed: int) -> FitResult:
        """Embed the rows, fit the SVM, and write it into the head: ``net.head``'s last layer is the SVM."""
        import torch

        from automm.core.plugin import FitResult, run_network, tracked_metric

        started = time.monotonic()
        features, codes = train_data
        check_class_counts(codes, self.classes, self.column)
        embeddings = self._embed(net, processors, features, config)
        task_config: FewShotConfig = config.task
        c = task_config.svm_c
        if c is None and deadline.remaining() <= 0:
            logger.warning("time_limit reached after embedding the rows: SVM C=1.0, not cross-validated.")
            c = 1.0
        head = fit_linear_svm(embeddings, codes, len(self.classes), c, task_config.standardize, seed)
        layer = net.head[-1]
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(head.weight).to(layer.weight.dtype))
            layer.bias.copy_(torch.from_numpy(head.bias).to(layer.bias.dtype))
        self.svm = {"c": head.c, "temperature": head.temperature, "folds": head.folds}
        metric = tracked_metric(self)[0]  # validation_metric= / eval_metric= / the default
        if val_data is None:  # cross-validated: each row scored by the folds that held it out
            score = self.score(head.held_out_logits, codes, [metric])[metric]
        else:
            env = config.env
            logits = run_network(net, processors, val_data[0], env.eval_batch_size, num_workers=env.num_workers,
                                 realtime_max_rows=env.realtime_max_rows)
            score = self.score(logits, val_data[1], [metric])[metric]
        logger.info("few-shot SVM: C=%s, temperature %.3g, %d folds, validation %s %.4g", head.c, head.temperature,
                    head.folds, metric, score)
        return FitResult(best_val_score=float(score), soup_size=0, epochs=0, steps=0,
                         seconds=time.monotonic() - started, stopped_by="direct", validation_metric=metric)

    @staticmethod
    def _embed(net: Any, processors: Any, features: pd.DataFrame, config: Config) -> np.ndarray:
        from automm.core.plugin import run_network

        env = config.env
        return run_network(net, processors, features, env.eval_batch_size, forward=net.embed,
                           row_shape=(net.embedding_size,), num_workers=env.num_workers,
                           realtime_max_rows=env.realtime_max_rows).astype(np.float64)

