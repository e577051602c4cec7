"""A dense-vision task's backends: the options stored in network.json, the registered builders, lazy loading.

A task package keeps one ``Registry`` of ``VisionBackend`` subclasses, registered by modules that import heavy
libraries (transformers, mmdet, segment-anything); ``lazy_backends`` imports such a module on first use.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from ..base.registry import Registry

OptionsT = TypeVar("OptionsT", bound="BackendOptions")
BackendT = TypeVar("BackendT", bound="VisionBackend[Any]")


@dataclass(frozen=True)
class BackendOptions:
    """What a backend builder needs; everything here is stored in network.json. Tasks add their own fields.

    Attributes:
        architecture: the backend's model name.
        num_classes: the classes the network outputs (its head's width).
        image_size: ``S``, the side of the square letterboxed input.
        backbone: the backbone name (a timm model; unused by backends that bring their own).
        pretrained: load pretrained weights (at fit time; a saved predictor rebuilds with False).
        extra: backend-specific JSON values (for example the architecture's config, so a saved predictor
            rebuilds offline without the checkpoint).
    """

    renamed: ClassVar[Mapping[str, str]] = {}  # names older versions saved -> today's names

    architecture: str
    num_classes: int
    image_size: int
    backbone: str = ""
    pretrained: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls: type[OptionsT], data: Mapping[str, Any]) -> OptionsT:
        """Options from network.json, older names (``renamed``) included."""
        if not isinstance(data.get("extra", {}), dict):
            raise ValueError("options.extra must be an object")
        options = {cls.renamed.get(key, key): value for key, value in data.items()}
        return cls(**options)


@dataclass(frozen=True)
class VisionBackend(Generic[OptionsT]):
    """A registered backend; task packages subclass it to add what only their backends say.

    Attributes:
        build: ``build(options) -> nn.Module`` following the task's backend contract.
        prepare: ``prepare(options) -> options`` at fit time, before ``build``: resolve the checkpoint and
            store in ``options.extra`` whatever rebuilding the architecture offline needs. Default: unchanged.
    """

    build: Callable[[OptionsT], Any]
    prepare: Callable[[OptionsT], OptionsT] = lambda options: options


def lazy_backends(registry: Registry[BackendT], package: str, modules: Mapping[str, str],
                  ) -> Callable[[str], BackendT]:
    """``backend(name)``: the backend registered as ``name``, importing ``package.modules[name]`` on first use.

    Example:
        >>> backend = lazy_backends(BACKENDS, "automm.detect.backends", {"mmdet": "mmdet_backend"})
    """

    def backend(name: str) -> BackendT:
        if name not in registry and name in modules:
            importlib.import_module(f"{package}.{modules[name]}")
        return registry.get(name)

    return backend
