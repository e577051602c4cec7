"""The ``task`` section of a segmentation predictor's Config (``hyperparameters={"task.image_size": 512}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from automm.core.errors import ConfigError
from automm.core.vision.config import VisionConfig

BACKEND_NAMES = ("auto", "smp", "sam")


@dataclass(frozen=True)
class SegmentConfig(VisionConfig):
    """Which segmenter, at what input size, and how training augments (image settings: ``VisionConfig``).

    ``backend`` "auto" means SAM when ``checkpoint`` names a SAM checkpoint, else segmentation-models-pytorch.
    ``architecture``: "unet" / "fpn" / ... (smp decoders on the timm ``backbone``), or "vit_b" / "vit_l" / "vit_h"
    (SAM; read from the checkpoint when it says otherwise). ``checkpoint``: a SAM hub id, a local Hugging Face
    folder, or an official ``sam_vit_*.pth`` file (AutoGluon's ``model.sam.checkpoint_name`` sets it).
    ``image_size``: the side of the square letterboxed input (0: 384 for smp, 1024 for SAM).
    ``point_column`` / ``box_column``: columns of SAM point / box prompts (``prompts.py``), empty for none; with
    them a pretrained SAM predicts binary masks before any fit (zero-shot), and a fit trains with them.
    ``conv_lora``: SAM only; build Conv-LoRA adapters (rank ``optim.lora_rank``) into the image encoder and train
    them in place of the encoder's own weights (``{"optim.peft": "conv_lora"}`` sets it too, as before 0.5).
    ``task.encoder``, the name automm-segment 0.1 used, still sets ``task.backbone``.
    ``gradient_checkpointing``: SAM only; while training, recompute the image encoder's blocks in backward instead
    of keeping their activations, a few images at a time as the free memory allows (``sam_memory``). Off: faster
    steps, several times the memory.
    ``train_transforms``: AutoGluon-MM's ``model.sam.train_transforms`` list; ``["random_horizontal_flip"]`` sets
    ``flip``, ``[]`` clears it (then it is cleared itself).
    """

    aliases: ClassVar[dict[str, str]] = {"model.sam.checkpoint_name": "task.checkpoint",
                                         "model.sam.train_transforms": "task.train_transforms",
                                         "task.encoder": "task.backbone"}
    value_aliases: ClassVar[dict[tuple[str, object], tuple[str, object]]] = {
        ("optim.peft", "conv_lora"): ("task.conv_lora", True)}
    backend_names: ClassVar[tuple[str, ...]] = BACKEND_NAMES
    auto_image_size: ClassVar[bool] = True

    backend: str = "auto"
    # U-Net: more test IoU per training minute than FPN on 2 CPU cores (0.180 vs 0.176; IoU 0.965 vs 0.943 after
    # a 300 s budget on the composited benchmark, BENCHMARKS.md), at the same predict speed.
    architecture: str = "unet"
    threshold: float = 0.5  # binary: foreground where its probability is >= threshold
    point_column: str = ""
    box_column: str = ""
    conv_lora: bool = False
    gradient_checkpointing: bool = True
    train_transforms: tuple[str, ...] | None = None  # AutoGluon-MM's spelling of the flip; None: not given

    def __post_init__(self) -> None:
        if self.train_transforms is not None:
            object.__setattr__(self, "flip", _flip_of(self.train_transforms))
            object.__setattr__(self, "train_transforms", None)
        super().__post_init__()
        if self.backend == "sam" and not self.checkpoint:
            raise ConfigError("task.backend='sam' needs a SAM checkpoint: hyperparameters={'model.sam.checkpoint_name':"
                              " 'facebook/sam-vit-base'} (a hub id, a local folder or a sam_vit_b_01ec64.pth file).")
        if (self.point_column or self.box_column) and self.point_column == self.box_column:
            raise ConfigError(f"task.point_column and task.box_column name the same column {self.point_column!r}.")
        if not 0 < self.threshold < 1:
            raise ConfigError(f"task.threshold must be in (0, 1), got {self.threshold}.")

    @property
    def resolved_backend(self) -> str:
        """"sam" or "smp"."""
        if self.backend != "auto":
            return self.backend
        return "sam" if self.checkpoint else "smp"

    @property
    def resolved_image_size(self) -> int:
        return self.image_size or (1024 if self.resolved_backend == "sam" else 384)


def _flip_of(transforms: object) -> bool:
    """Whether AutoGluon-MM's ``model.sam.train_transforms`` list asks for the random horizontal flip."""
    names = [transforms] if isinstance(transforms, str) else list(transforms) if isinstance(transforms, (list, tuple)) \
        else None
    unknown = [name for name in names or [] if name != "random_horizontal_flip"]
    if names is None or unknown:
        raise ConfigError(f"model.sam.train_transforms accepts ['random_horizontal_flip'] or [] (AutoGluon-MM's SAM "
                          f"transforms), got {transforms!r}. automm's segmentation augmentation is task.flip and "
                          "task.scale_jitter_min / task.scale_jitter_max.")
    return bool(names)
