"""The network side of a dense-vision task: the backend's model behind core's network contract, and the
network.json spec that rebuilds it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic

import torch
from torch import nn

from .backends import OptionsT
from .batch import LetterboxBatch


class LetterboxNet(nn.Module):
    """A backend model over letterboxed batches; a task's subclass defines ``forward``.

    ``output_shape`` is None: outputs are per row (each image keeps its own size), not one dense array.
    """

    output_shape = None

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model: Any = model  # the backend's model: feature_size, features(images), forward
        self.embedding_size = int(model.feature_size)

    def embed(self, batch: LetterboxBatch) -> torch.Tensor:
        return self.model.features(batch.images)


@dataclass(frozen=True)
class BackendSpec(Generic[OptionsT]):
    """network.json of a dense-vision network: the backend's name and its options.

    A subclass names its ``kind``, its ``BackendOptions`` type, its ``LetterboxNet`` type, the processors it reads
    from and its ``lazy_backends`` look-up as class keywords, and registers in ``NETWORK_KINDS``:

    Example:
        >>> class DetectorSpec(BackendSpec[DetectorOptions], kind="detector", options=DetectorOptions,
        ...                    net=DetectionNet, processors=DetectionProcessor, backends=backend): ...
    """

    kind: ClassVar[str] = ""
    options_type: ClassVar[type[Any]]
    net_type: ClassVar[type[LetterboxNet]]
    processor_type: ClassVar[type[Any]]
    backends: ClassVar[Callable[[str], Any]]
    backend: str
    options: OptionsT

    def __init_subclass__(cls, *, kind: str, options: type[Any], net: type[LetterboxNet], processors: type[Any],
                          backends: Callable[[str], Any], **rest: Any) -> None:
        super().__init_subclass__(**rest)
        cls.kind, cls.options_type, cls.net_type, cls.processor_type = kind, options, net, processors
        cls.backends = staticmethod(backends)

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "options": self.options.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackendSpec[OptionsT]:
        return cls(str(data["backend"]), cls.options_type.from_json(dict(data["options"])))

    def build(self, text_folder: Path | None, pretrained: bool) -> LetterboxNet:
        options = dataclasses.replace(self.options, pretrained=self.options.pretrained and pretrained)
        return self.net_type(self.backends(self.backend).build(options))

    def check_inputs(self, processors: Any) -> None:
        if not isinstance(processors, self.processor_type) or processors.image_size != self.options.image_size:
            raise ValueError("processors.json does not describe the inputs of network.json")
