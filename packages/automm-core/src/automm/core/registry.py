"""A small registry of named builders, in the style of timm's ``register_model``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import ConfigError
from .suggest import did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects (usually builders); unknown names fail with the closest valid name.

    Example:
        >>> FUSIONS = Registry("fusion")
        >>> @FUSIONS.register("mlp")
        ... def build_mlp(**kw): ...
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._items:
                raise ConfigError(f"{self.kind} {name!r} is registered twice.")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise ConfigError(
                f"Unknown {self.kind} {name!r}. Known: {sorted(self._items)}.{did_you_mean(name, self._items)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))
