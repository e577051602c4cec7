"""The torch-free registry the torch predictor and the ONNX runtime (automm-deploy) share.

Three tables, each filled by the package that owns the piece:

- ``DECODERS``: decoder name -> decoder class, built from a JSON spec ``{"decoder": name, ...params}`` that a task
  writes (``Task.decoder_spec``) and an export's manifest carries. A spec may name the torch-free module that
  registers its decoder (``"module"``); ``decoding.decoder_from_spec`` imports it on first use.
- ``ANSWER_ENCODERS``: decoder name -> how the HTTP API writes that decoder's answers as JSON (decoders without one
  answer as a table of labels or values, with probabilities where they have them).
- ``EXPORTERS``: network kind -> the exporter that writes that network as ONNX graphs, registered by the task
  package that owns the network kind (its plug-in module) and looked up by automm-deploy's ``export``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from automm.core.errors import ConfigError
from automm.core.suggest import did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Names -> objects (usually builders), in the style of timm's ``register_model``: registering another object
    under a taken name fails, and an unknown name fails with the known ones and the closest.

    Example:
        >>> FUSIONS = Registry("fusion")
        >>> @FUSIONS.register("mlp")
        ... def build_mlp(**kw): ...
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator (or plain call) that registers its argument under ``name``."""

        def add(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ConfigError(f"{self.kind} {name!r} is registered twice; rename one of them.")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise ConfigError(f"Unknown {self.kind} {name!r}. Known: {sorted(self._items)}."
                              f"{did_you_mean(name, self._items)} A task package may register it: install it.",
                              ) from None

    def unregister(self, name: str) -> None:
        """Forget ``name`` (for tests that register a temporary entry)."""
        self._items.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))


@dataclass(frozen=True)
class ExportedGraphs:
    """What an exporter wrote into the export folder.

    Attributes:
        graphs: graph name -> the graph's description (automm-deploy's ``Graph``: file, inputs, outputs, opset).
        feed: how the runtime feeds the graphs from table rows ("multimodal", "sides", "segmenter", "detector"):
            automm-deploy's feeders are keyed by it, so a task whose network takes one of those inputs needs no
            runtime code of its own.
        sides: for a network with sides (a matcher), side -> the graph that embeds it.
        tokenizer: the fast tokenizer to save as tokenizer.json, or None.
    """

    graphs: Mapping[str, Any]
    feed: str
    sides: Mapping[str, str] = field(default_factory=dict)
    tokenizer: Any = None


# (predictor, folder, opset, tools) -> ExportedGraphs; ``tools`` is automm-deploy's graph writer and checker.
Exporter = Callable[[Any, Any, int, Any], ExportedGraphs]
# (decoder, network outputs, rows, spans) -> one JSON answer per span of rows (a request's rows).
AnswerEncoder = Callable[[Any, Any, Any, list[tuple[int, int]]], list[dict[str, Any]]]

DECODERS: Registry[type] = Registry("decoder")
ANSWER_ENCODERS: Registry[AnswerEncoder] = Registry("answer encoder")
EXPORTERS: Registry[Exporter] = Registry("exporter of network kind")
