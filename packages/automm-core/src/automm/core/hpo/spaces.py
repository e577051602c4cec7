"""Search spaces in ``hyperparameters``: ``ray.tune`` sample objects, or a plain dict form that needs no ray import.

The dict form is one key naming the kind of space::

    {"optim.lr": {"loguniform": [1e-5, 1e-3]},        # like tune.loguniform(1e-5, 1e-3)
     "optim.weight_decay": {"uniform": [0.0, 0.1]},   # like tune.uniform(0.0, 0.1)
     "optim.batch_size": {"randint": [8, 65]},        # like tune.randint(8, 65): the high end is excluded
     "model.fusion.model": {"choice": ["mlp", "transformer"]}}  # like tune.choice([...])

Fixed values mix freely with spaces; nested sections (``{"optim": {"lr": {...}}}``) work as for fixed values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from ..autogluon_keys import entry
from ..config import Config, valid_keys
from ..errors import ConfigError, MissingExtraError

INSTALL_HINT = 'pip install "automm-core[hpo]"'
SPACE_KINDS = ("choice", "uniform", "loguniform", "randint")


@dataclass(frozen=True)
class Space:
    """One searched hyperparameter: its kind and arguments, or a ``ray.tune`` sample object as given."""

    kind: str  # one of SPACE_KINDS, or "ray" for a tune sample object
    args: tuple[Any, ...]
    domain: Any = None  # the ray.tune object itself, for kind "ray"

    def to_tune(self) -> Any:
        """The ``ray.tune`` sample object (needs ray)."""
        if self.domain is not None:
            return self.domain
        tune = require_tune()
        if self.kind == "choice":
            return tune.choice(list(self.args))
        return getattr(tune, self.kind)(*self.args)

    def edge_values(self) -> list[Any]:
        """Values that stand for the whole space when checking it: every choice, or both ends of a range."""
        if self.kind == "choice":
            return list(self.args)
        if self.kind == "randint":
            return [self.args[0], self.args[1] - 1]
        if self.kind in ("uniform", "loguniform"):
            return list(self.args)
        categories = getattr(self.domain, "categories", None)
        if categories is not None:
            return list(categories)
        low, high = getattr(self.domain, "lower", None), getattr(self.domain, "upper", None)
        if low is None or high is None:
            return []  # a custom sampler: checked when a trial applies it
        from ray.tune.search.sample import Integer  # a ray.tune object was given, so ray is installed

        return [low, high - 1 if isinstance(self.domain, Integer) else high]


def require_tune() -> Any:
    """``ray.tune``, or an error naming the extra to install."""
    try:
        from ray import tune
    except ImportError as err:
        raise MissingExtraError(f"Hyperparameter optimisation runs on Ray Tune, which is not installed: "
                                f"{INSTALL_HINT}.") from err
    return tune


def is_ray_domain(value: Any) -> bool:
    """A ``ray.tune`` sample object (checked without importing ray)."""
    return type(value).__module__.startswith("ray.tune")


def split_spaces(hyperparameters: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Space]]:
    """Separate fixed values from search spaces, both keyed by dotted name."""
    fixed: dict[str, Any] = {}
    spaces: dict[str, Space] = {}
    _walk(hyperparameters, "", fixed, spaces)
    return fixed, spaces


def _walk(data: Mapping[str, Any], prefix: str, fixed: dict[str, Any], spaces: dict[str, Space]) -> None:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if is_ray_domain(value):
            spaces[name] = Space("ray", (), value)
        elif isinstance(value, Mapping) and len(value) == 1 and "grid_search" in value:
            raise ConfigError(f"Hyperparameter {name!r}: grid_search is not supported; use "
                              f'{{"choice": {list(value["grid_search"])!r}}} with the random or bayes searcher.')
        elif isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in SPACE_KINDS:
            kind, args = next(iter(value.items()))
            spaces[name] = _parse(name, kind, args)
        elif isinstance(value, Mapping):
            _walk(value, name + ".", fixed, spaces)
        else:
            fixed[name] = value


def _parse(name: str, kind: str, args: Any) -> Space:
    example = {"choice": '["mlp", "transformer"]', "randint": "[8, 65]"}.get(kind, "[1e-5, 1e-3]")
    usage = f'write {{"{kind}": {example}}}'
    if not isinstance(args, Sequence) or isinstance(args, str):
        raise ConfigError(f"Search space of {name!r}: {kind} takes a list, got {args!r}; {usage}.")
    if kind == "choice":
        if not args:
            raise ConfigError(f"Search space of {name!r}: choice needs at least one value; {usage}.")
        return Space(kind, tuple(args))
    numeric = all(isinstance(a, Real) and not isinstance(a, bool) and math.isfinite(a) for a in args)
    if len(args) != 2 or not numeric:
        raise ConfigError(f"Search space of {name!r}: {kind} takes [low, high] as two numbers, got {list(args)!r}; "
                          f"{usage}.")
    low, high = args
    if not low < high:
        raise ConfigError(f"Search space of {name!r}: {kind} needs low < high, got {list(args)!r}.")
    if kind == "loguniform" and low <= 0:
        raise ConfigError(f"Search space of {name!r}: loguniform needs low > 0, got {low!r}.")
    if kind == "randint" and not all(float(a).is_integer() for a in args):
        raise ConfigError(f"Search space of {name!r}: randint takes whole numbers, got {list(args)!r}.")
    return Space(kind, (int(low), int(high)) if kind == "randint" else (float(low), float(high)))


def check_spaces(config: Config, fixed: Mapping[str, Any], spaces: Mapping[str, Space],
                 configure: Callable[[Config, dict[str, Any]], Any] | None = None) -> None:
    """Fail before any trial starts on a space whose name is unknown or whose values the config refuses.

    Each edge value (every choice, both ends of a range) is applied with the fixed values, one space at a time;
    ``configure(config, overrides)`` (the task's) sees each result too.
    """
    keys = valid_keys(config) + list(getattr(config.task, "aliases", {}))
    for name, space in spaces.items():
        if name not in keys and entry(name) is None:  # AutoGluon-MM's keys: their edge values are checked below
            try:
                config.override({name: None})  # fails on the unknown key, suggesting the closest (synonyms too)
            except ConfigError as err:
                raise ConfigError(f"In the search space: {err}") from None
        for value in space.edge_values():  # none for a custom sampler: its values are checked in its trial
            overrides = {**fixed, name: value}
            try:
                checked = config.override(overrides)
                if configure is not None:
                    configure(checked, overrides)
            except ConfigError as err:
                raise ConfigError(f"In the search space of {name!r}: {err}") from None
