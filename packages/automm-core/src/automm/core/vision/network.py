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
from .input_size import InputSizeChoice


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
    """network.json of a dense-vision network: the backend's name, its options and, when the input size was chosen
    from the training images, how (``input_size``; absent from predictors saved by automm-core 0.6.0 and earlier).

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
    input_size: InputSizeChoice | None = None

    def __init_subclass__(cls, *, kind: str, options: type[Any], net: type[LetterboxNet], processors: type[Any],
                          backends: Callable[[str], Any], **rest: Any) -> None:
        super().__init_subclass__(**rest)
        cls.kind, cls.options_type, cls.net_type, cls.processor_type = kind, options, net, processors
        cls.backends = staticmethod(backends)

    def to_json(self) -> dict[str, Any]:
        chosen = {} if self.input_size is None else {"input_size": self.input_size.to_json()}
        return {"backend": self.backend, "options": self.options.to_json(), **chosen}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackendSpec[OptionsT]:
        chosen = data.get("input_size")
        return cls(str(data["backend"]), cls.options_type.from_json(dict(data["options"])),
                   None if chosen is None else InputSizeChoice.from_json(chosen))

    def describe(self) -> str:
        """What the fit summary names: the backend's model and its input size (and how it was chosen)."""
        size = self.input_size.describe() if self.input_size else f"input size {self.options.image_size} px"
        return f"{self.kind} {self.options.architecture} ({self.backend}), {size}"

    def build(self, text_folder: Path | None, pretrained: bool) -> LetterboxNet:
        options = dataclasses.replace(self.options, pretrained=self.options.pretrained and pretrained)
        return self.net_type(self.backends(self.backend).build(options))

    def check_inputs(self, processors: Any) -> None:
        if not isinstance(processors, self.processor_type) or processors.image_size != self.options.image_size:
            raise ValueError("processors.json does not describe the inputs of network.json")
