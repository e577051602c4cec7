"""The image settings every dense-vision task's ``task`` section holds, under the same names in every task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..errors import ConfigError


@dataclass(frozen=True)
class VisionConfig:
    """Which backend and model, at what input size, and how training augments.

    A task's section subclasses it: it sets ``backend_names`` and ``min_image_size`` (``auto_image_size``: 0
    means the backend's default), redeclares the fields whose default differs and adds its own.

    ``backbone``: a timm model name (backends that bring their own ignore it). ``checkpoint``: where pretrained
    weights come from, for backends that read it. ``image_size``: the side of the square letterboxed input.
    ``flip`` and ``scale_jitter_min`` / ``scale_jitter_max``: training's random horizontal flip and resize range.
    """

    backend_names: ClassVar[tuple[str, ...]] = ()
    min_image_size: ClassVar[int] = 32
    auto_image_size: ClassVar[bool] = False

    backend: str = ""
    architecture: str = ""
    backbone: str = "tf_efficientnet_lite0"
    checkpoint: str = ""
    image_size: int = 0
    flip: bool = True  # training: random horizontal flip (of the target too)
    scale_jitter_min: float = 0.75  # training: random resize factor range
    scale_jitter_max: float = 1.25

    def __post_init__(self) -> None:
        if self.backend not in self.backend_names:
            raise ConfigError(f"task.backend must be one of {self.backend_names}, got {self.backend!r}.")
        low, automatic = self.min_image_size, self.auto_image_size and self.image_size == 0
        if not automatic and (self.image_size < low or self.image_size % 32):
            default = "0 (the backend's default) or " if self.auto_image_size else ""
            raise ConfigError(f"task.image_size must be {default}a multiple of 32 and >= {low}, got {self.image_size}.")
        if not 0 < self.scale_jitter_min <= self.scale_jitter_max:
            raise ConfigError(f"task.scale_jitter_min must be > 0 and <= task.scale_jitter_max, got "
                              f"{self.scale_jitter_min} and {self.scale_jitter_max}.")

    @property
    def scale_jitter(self) -> tuple[float, float]:
        """(``scale_jitter_min``, ``scale_jitter_max``)."""
        return self.scale_jitter_min, self.scale_jitter_max
