"""Segmentation metrics, as AutoGluon-MM names them, from maintained implementations.

* ``iou``: torchmetrics' Jaccard index over all pixels (binary: foreground at ``threshold``; several classes:
  mean over classes). Validation and early stopping use it; it is gathered across processes.
* ``ber``: balanced error rate, pysodmetrics' ``BERHandler`` on torchmetrics' pixel counts at ``threshold``.
* ``accuracy``: pixel accuracy (torchmetrics).
* binary only, pysodmetrics on each image's foreground probability map (0-255), averaged over images:
  ``sm`` (S-measure), ``em`` (mean E-measure over thresholds), ``fm`` (mean F-measure over thresholds,
  beta^2 = 0.3), ``mae``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torchmetrics import Metric

from automm.core.errors import InputError

from .metric_names import SOD_METRICS, check_metric_names


class SegmentationMetric(Metric):
    """``update(probabilities, masks)``: per row ``[C, H, W]`` class probabilities and ``[H, W]`` class indices.

    ``compute()`` -> ``{name: value}`` for ``names`` in order.
    """

    full_state_update = False

    def __init__(self, num_classes: int, names: list[str], threshold: float = 0.5):
        super().__init__()
        from torchmetrics.classification import (
            BinaryJaccardIndex,
            BinaryStatScores,
            MulticlassAccuracy,
            MulticlassJaccardIndex,
        )

        self.binary, self.names, self.threshold = num_classes == 2, list(names), threshold
        check_metric_names(self.names, self.binary)
        if self.binary:
            self.jaccard = BinaryJaccardIndex(threshold=threshold)
            self.counts = BinaryStatScores(threshold=threshold)
        else:
            self.jaccard = MulticlassJaccardIndex(num_classes=num_classes, average="macro")
            self.accuracy = MulticlassAccuracy(num_classes=num_classes, average="micro")
        self.sod = _sod_metrics([n for n in self.names if n in SOD_METRICS])

    def update(self, probabilities: list[Any], masks: list[Any]) -> None:
        for probability, mask in zip(probabilities, masks):
            probability = torch.as_tensor(probability).float()
            target = torch.as_tensor(np.asarray(mask, dtype=np.int64)).to(probability.device)
            if probability.shape[-2:] != target.shape:
                raise InputError(f"A mask is {tuple(target.shape)} (height, width) but its image gave a "
                                 f"{tuple(probability.shape[-2:])} prediction: each mask must have its image's size.")
            if self.binary:
                foreground = probability[1].flatten()
                self.jaccard.update(foreground, target.flatten())
                self.counts.update(foreground, target.flatten())
                for metric in self.sod.values():
                    metric.step(_to_uint8(probability[1]), (target.cpu().numpy() * 255).astype(np.uint8))
            else:
                predicted = probability.argmax(dim=0).flatten()
                self.jaccard.update(predicted, target.flatten())
                self.accuracy.update(predicted, target.flatten())

    def compute(self) -> dict[str, float]:
        found: dict[str, float] = {"iou": float(self.jaccard.compute())}
        if self.binary:
            from py_sod_metrics.fmeasurev2 import BERHandler

            tp, fp, tn, fn, _ = (int(v) for v in self.counts.compute())
            found["ber"] = float(BERHandler(False, False)(tp, fp, tn, fn))
            found["accuracy"] = (tp + tn) / max(1, tp + fp + tn + fn)
            found.update({name: _sod_result(name, metric) for name, metric in self.sod.items()})
        else:
            found["accuracy"] = float(self.accuracy.compute())
        return {name: found[name] for name in self.names}

    def reset(self) -> None:
        super().reset()
        self.jaccard.reset()
        (self.counts if self.binary else self.accuracy).reset()
        self.sod = _sod_metrics(list(self.sod))


def _to_uint8(probability: torch.Tensor) -> np.ndarray:
    return (probability * 255).round().clamp(0, 255).to(torch.uint8).cpu().numpy()


def _sod_metrics(names: list[str]) -> dict[str, Any]:
    if not names:
        return {}
    import py_sod_metrics as sod
    from py_sod_metrics.fmeasurev2 import FmeasureHandler

    def fmeasure() -> Any:
        return sod.FmeasureV2({"fm": FmeasureHandler(with_dynamic=True, with_adaptive=False, beta=0.3)})

    makers = {"sm": sod.Smeasure, "em": sod.Emeasure, "fm": fmeasure, "mae": sod.MAE}
    return {name: makers[name]() for name in names}


def _sod_result(name: str, metric: Any) -> float:
    results = metric.get_results()
    if name == "sm":
        return float(results["sm"])
    if name == "mae":
        return float(results["mae"])
    if name == "em":
        return float(np.mean(results["em"]["curve"]))
    return float(np.mean(results["fm"]["dynamic"]))
