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


class PluginAPIError(TaskNotInstalledError):
    """A task package is installed, but works with another plug-in API than the installed automm-core's."""


class CheckpointNotFoundError(AutoMMError, FileNotFoundError):
    """Pretrained weights could not be found locally or on the hub."""


class PredictorLoadError(AutoMMError, OSError):
    """A saved predictor directory is missing, damaged or from a newer format."""


class NotFittedError(AutoMMError, RuntimeError):
    """The predictor must be fitted (or loaded) first."""


class MissingExtraError(AutoMMError, ImportError):
    """A feature needs an optional extra that is not installed (the message names the ``pip install`` line)."""


class RuleVersionError(PredictorLoadError):
    """A saved predictor or export uses preprocessing rules this version does not implement (the message says
    whether to upgrade or to save and export again)."""


TRAIN_EXTRA = 'pip install "automm-core[train]"'
TRAINING_MODULES = ("torch", "torchvision", "lightning", "transformers", "timm", "peft")


def require_training_stack(action: str) -> None:
    """Raise ``MissingExtraError`` when the training stack (automm-core's ``train`` extra) is not installed.

    Args:
        action: what needs it, e.g. "fit" or "load a predictor" (named in the message).

    Raises:
        MissingExtraError: naming the missing modules and the ``pip install`` line.
    """
    from importlib.util import find_spec

    missing = [name for name in TRAINING_MODULES if find_spec(name) is None]
    if missing:
        raise MissingExtraError(f"To {action}, automm needs the training stack ({', '.join(missing)} missing): "
                                f"{TRAIN_EXTRA}. A torch-free install runs exported models with automm-deploy.")
