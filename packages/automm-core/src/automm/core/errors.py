"""One exception hierarchy for everything automm raises on purpose."""

from __future__ import annotations


class AutoMMError(Exception):
    """Base class of every error automm raises on purpose."""


class InputError(AutoMMError, ValueError):
    """The data given to fit/evaluate/predict cannot be used as it is."""


class ConfigError(AutoMMError, ValueError):
    """A preset, hyperparameter or argument is invalid."""


class TaskNotInstalledError(AutoMMError, ImportError):
    """The problem type needs a task package that is not installed."""


class CheckpointNotFoundError(AutoMMError, FileNotFoundError):
    """Pretrained weights could not be found locally or on the hub."""


class PredictorLoadError(AutoMMError, OSError):
    """A saved predictor directory is missing, damaged or from a newer format."""


class NotFittedError(AutoMMError, RuntimeError):
    """The predictor must be fitted (or loaded) first."""


class MissingExtraError(AutoMMError, ImportError):
    """A feature needs an optional extra that is not installed (the message names the ``pip install`` line)."""
