"""``hyperparameter_tune_kwargs`` as a checked, typed object, and the ``*_hpo`` presets' defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..config import Config, flatten
from ..discovery import KNOWN_PROBLEM_TYPES
from ..errors import ConfigError
from ..presets import HPO_SUFFIX, resolve
from ..suggest import did_you_mean

SEARCHERS = ("random", "bayes")
SCHEDULERS = ("FIFO", "ASHA")


@dataclass(frozen=True)
class TuneOptions:
    """How to search, as AutoGluon's ``hyperparameter_tune_kwargs`` names it.

    ``searcher``: "random", or "bayes" (Optuna's TPE through Ray Tune). ``scheduler``: "FIFO" runs each trial to
    its end; "ASHA" stops trials whose validation scores trail the others'. ``keep_trials`` keeps every trial's
    folder (``<path>.hpo``) after the search. ``cpus_per_trial`` / ``gpus_per_trial`` are the Ray resources
    each trial holds (trials run in parallel as the machine or cluster allows); gpus default to 1 per trial when
    Ray sees GPUs, else 0. ``searcher_init_args`` / ``scheduler_init_args`` are keyword arguments for the Ray
    searcher (``BasicVariantGenerator`` or ``OptunaSearch``) and scheduler (``FIFOScheduler`` or ``ASHAScheduler``),
    over automm's own. AutoGluon's ``num_to_keep`` is read as ``keep_trials`` (see ``parse``).
    """

    num_trials: int = 8
    searcher: str = "random"
    scheduler: str = "FIFO"
    keep_trials: bool = False
    cpus_per_trial: int = 1
    gpus_per_trial: float | None = None
    searcher_init_args: Mapping[str, Any] = field(default_factory=dict)
    scheduler_init_args: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, kwargs: Mapping[str, Any]) -> TuneOptions:
        """The options of ``kwargs``; AutoGluon's ``num_to_keep`` (checkpoints kept per trial) becomes
        ``keep_trials``: a number above 0 keeps every trial's folder, 0 keeps none."""
        if not isinstance(kwargs, Mapping):
            raise ConfigError(f'hyperparameter_tune_kwargs must be a dict such as {{"num_trials": 8, "searcher": '
                              f'"bayes", "scheduler": "ASHA"}}, got {type(kwargs).__name__}.')
        names = [f.name for f in fields(cls)]
        for key in kwargs:
            if key not in names and key != "num_to_keep":
                raise ConfigError(f"Unknown hyperparameter_tune_kwargs key {key!r}.{did_you_mean(key, names)} "
                                  f"Valid keys: {names}")
        options = cls(**_keep_trials(kwargs))
        if isinstance(options.searcher, str) and isinstance(options.scheduler, str):  # "ASHA", "asha": both fine
            options = replace(options, searcher=options.searcher.lower(), scheduler=options.scheduler.upper())
        options.check()
        return options

    def check(self) -> None:
        if isinstance(self.num_trials, bool) or not isinstance(self.num_trials, int) or self.num_trials < 1:
            raise ConfigError(f"hyperparameter_tune_kwargs['num_trials'] must be a whole number >= 1, "
                              f"got {self.num_trials!r}.")
        if self.searcher not in SEARCHERS:
            raise ConfigError(f"Unknown searcher {self.searcher!r}.{did_you_mean(self.searcher, SEARCHERS)} "
                              f"Choose one of {SEARCHERS}.")
        if self.scheduler not in SCHEDULERS:
            raise ConfigError(f"Unknown scheduler {self.scheduler!r}.{did_you_mean(self.scheduler, SCHEDULERS)} "
                              f"Choose one of {SCHEDULERS}.")
        if isinstance(self.cpus_per_trial, bool) or not isinstance(self.cpus_per_trial, int) or self.cpus_per_trial < 1:
            raise ConfigError(f"hyperparameter_tune_kwargs['cpus_per_trial'] must be a whole number >= 1, "
                              f"got {self.cpus_per_trial!r}.")
        if self.gpus_per_trial is not None and not (isinstance(self.gpus_per_trial, (int, float))
                                                    and self.gpus_per_trial >= 0):
            raise ConfigError(f"hyperparameter_tune_kwargs['gpus_per_trial'] must be a number >= 0, "
                              f"got {self.gpus_per_trial!r}.")
        for name in ("searcher_init_args", "scheduler_init_args"):
            value = getattr(self, name)
            if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                raise ConfigError(f"hyperparameter_tune_kwargs[{name!r}] must be a dict of keyword arguments, "
                                  f"got {value!r}.")


def _keep_trials(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` with AutoGluon's ``num_to_keep`` read as ``keep_trials`` (``num_to_keep > 0``)."""
    found = dict(kwargs)
    if "num_to_keep" not in found:
        return found
    keep = found.pop("num_to_keep")
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise ConfigError(f"hyperparameter_tune_kwargs['num_to_keep'] must be a whole number >= 0, got {keep!r}.")
    if "keep_trials" in found and found["keep_trials"] != (keep > 0):
        raise ConfigError("hyperparameter_tune_kwargs gives both 'num_to_keep' (AutoGluon's name) and 'keep_trials' "
                          "and they disagree: give keep_trials only.")
    found["keep_trials"] = keep > 0
    return found


def split_hpo_preset(name: str | None) -> tuple[str | None, bool]:
    """``"high_quality_hpo"`` -> ``("high_quality", True)``; other names pass through."""
    if name is not None and name.endswith(HPO_SUFFIX):
        return name[: -len(HPO_SUFFIX)], True
    return name, False


# Trials an `*_hpo` preset runs (a time_limit may end the search sooner).
PRESET_TRIALS = {"medium_quality": 8, "high_quality": 16, "best_quality": 32}


def preset_tune_options(preset: str | None) -> dict[str, Any]:
    """The ``hyperparameter_tune_kwargs`` an ``*_hpo`` preset starts from."""
    return {"num_trials": PRESET_TRIALS.get(preset or "medium_quality", 8), "searcher": "bayes", "scheduler": "ASHA"}


def preset_search_space(config: Config) -> dict[str, Any]:
    """The search space an ``*_hpo`` preset adds, around the preset's own settings (dict form; user values win).

    The learning rate spans a decade either side of the preset's; the rest are settings every task reads.
    """
    lr = config.optim.lr
    return {
        "optim.lr": {"loguniform": [lr / 10, lr * 10]},
        "optim.weight_decay": {"loguniform": [1e-4, 1e-1]},
        "optim.batch_size": {"choice": [16, 32, 64]},
        "model.fusion.model": {"choice": ["mlp", "transformer"]},
        "model.tabular.dropout": {"uniform": [0.0, 0.3]},
    }


def get_presets(problem_type: str, presets: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(hyperparameters, hyperparameter_tune_kwargs) of preset ``presets`` for ``problem_type``, as dotted keys.

    An ``*_hpo`` preset adds its search space to the hyperparameters and its search settings; other presets give
    empty tune kwargs. AutoGluon-MM's ``problem_type="default"`` is refused: automm's presets are per problem type.

    Example:
        >>> hyperparameters, tune_kwargs = get_presets("multiclass", "high_quality_hpo")
    """
    if problem_type == "default":
        raise ConfigError(f"AutoGluon-MM's get_presets(problem_type='default') reads its shared presets; automm's "
                          f"are per problem type: pass one of {sorted(KNOWN_PROBLEM_TYPES)}.")
    name, is_hpo = split_hpo_preset(presets)
    config = resolve(problem_type, name)
    hyperparameters = flatten(config.to_dict())
    if not is_hpo:
        return hyperparameters, {}
    return {**hyperparameters, **preset_search_space(config)}, preset_tune_options(name)
