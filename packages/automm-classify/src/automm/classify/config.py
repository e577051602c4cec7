"""The ``task`` section of a classification or regression predictor's Config (``{"task.loss": "focal"}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from automm.core.errors import ConfigError
from automm.core.plugin import did_you_mean

CLASSIFICATION_LOSSES = ("auto", "cross_entropy", "focal")  # "auto": cross_entropy
REGRESSION_LOSSES = ("auto", "mse", "mae", "huber")  # "auto": mse


def _check_loss(loss: str, choices: tuple[str, ...], problem: str) -> None:
    if loss not in choices:
        raise ConfigError(f"task.loss (formerly optim.loss) {loss!r} is not a {problem} loss."
                          f"{did_you_mean(loss, choices)} Choose from {choices}.")


def _check_label_smoothing(value: float) -> None:
    if not 0 <= value < 1:
        raise ConfigError(f"task.label_smoothing must be in [0, 1), got {value!r}.")


@dataclass(frozen=True)
class ClassificationConfig:
    """Loss of binary and multiclass classification: cross-entropy with label smoothing, or softmax focal loss."""

    # automm-core 0.2.x kept these in ``optim``; saved predictors and older scripts use those names.
    aliases: ClassVar[dict[str, str]] = {"optim.loss": "task.loss", "optim.label_smoothing": "task.label_smoothing",
                                         "optim.focal_gamma": "task.focal_gamma"}

    loss: str = "auto"  # one of CLASSIFICATION_LOSSES
    label_smoothing: float = 0.0
    focal_gamma: float = 2.0  # loss="focal": weight (1 - p) ** gamma of each row's cross-entropy
    # loss="focal": a weight per class (in the sorted order of the classes) on each row's loss; None: all 1.
    focal_alpha: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        _check_loss(self.loss, CLASSIFICATION_LOSSES, "classification")
        _check_label_smoothing(self.label_smoothing)
        if not self.focal_gamma >= 0:
            raise ConfigError(f"task.focal_gamma must be >= 0, got {self.focal_gamma!r}.")
        if self.focal_alpha is not None:
            object.__setattr__(self, "focal_alpha", _class_weights(self.focal_alpha))


def _class_weights(value: object) -> tuple[float, ...]:
    """``task.focal_alpha`` as a tuple of numbers >= 0 (a list from JSON or the user becomes a tuple)."""
    if (isinstance(value, list | tuple) and value
            and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value)):
        return tuple(float(v) for v in value)
    raise ConfigError(f"task.focal_alpha must be a list of one weight >= 0 per class (in the classes' sorted "
                      f"order), or None; got {value!r}.")


@dataclass(frozen=True)
class RegressionConfig:
    """Loss of (multi-output) regression on standardised targets."""

    aliases: ClassVar[dict[str, str]] = {"optim.loss": "task.loss"}

    loss: str = "auto"  # one of REGRESSION_LOSSES

    def __post_init__(self) -> None:
        _check_loss(self.loss, REGRESSION_LOSSES, "regression")


@dataclass(frozen=True)
class MultilabelConfig:
    """Binary cross-entropy per label column, smoothed towards 0.5."""

    aliases: ClassVar[dict[str, str]] = {"optim.label_smoothing": "task.label_smoothing"}

    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        _check_label_smoothing(self.label_smoothing)


@dataclass(frozen=True)
class FewShotConfig:
    """The linear SVM of few-shot classification on frozen embeddings (``{"task.svm_c": 1.0}``)."""

    svm_c: float | None = None  # None: chosen by cross-validation from few_shot_svm.C_GRID
    # z-score each embedding dimension before the SVM, as AutoGluon's FewShotSVMPredictor does. Off by default: the
    # embeddings are already unit length, and per-dimension scales estimated from a few rows are noise (measured:
    # lower test accuracy at every k from 2 to 50 rows per class on fine-food reviews and Fashion-MNIST).
    standardize: bool = False

    def __post_init__(self) -> None:
        if self.svm_c is not None and (isinstance(self.svm_c, bool) or not isinstance(self.svm_c, (int, float))
                                       or not self.svm_c > 0):
            raise ConfigError(f"task.svm_c must be a positive number, or None to choose it by cross-validation; "
                              f"got {self.svm_c!r}.")
