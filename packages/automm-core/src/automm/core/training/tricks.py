"""The bag of tricks' training settings, built from the config in one place (Bag of Tricks for Multimodal AutoML).

Input augmentation (``model.text.augment_*``, ``model.image.augment_policy``), the cross-modal alignment objective
(``model.fusion.alignment``) and mixup (``optim.mixup_alpha``) change training only; ``model.fusion.missing_modality``
is part of the network (its spec). Which networks and processors support which keys is checked here too.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from ..config import Config, get_value
from ..data.batch import Processors
from ..data.sides import SidedProcessors
from ..data.text_augment import WordAugment
from ..errors import ConfigError
from .alignment import CrossModalAlignment
from .module import AuxiliaryObjective

logger = logging.getLogger("automm")

# Keys read from the network's forward_parts (core's MultiModalNet), and keys core's own processors/spec implement.
NEEDS_FORWARD_PARTS = ("model.fusion.alignment", "optim.mixup_alpha")
NEEDS_CORE_PROCESSORS = ("model.text.augment_delete", "model.text.augment_swap", "model.image.augment_policy",
                         "model.fusion.missing_modality")


def check_supported(net: Any, processors: Any, config: Config, problem_type: str) -> None:
    """Refuse trick keys set away from their defaults that this network or these processors cannot apply."""
    default = Config()
    changed = [key for key in (*NEEDS_FORWARD_PARTS, *NEEDS_CORE_PROCESSORS)
               if get_value(config, key) != get_value(default, key)]
    unsupported = [key for key in changed if
                   (key in NEEDS_FORWARD_PARTS and not hasattr(net, "forward_parts"))
                   or (key in NEEDS_CORE_PROCESSORS and not isinstance(processors, (Processors, SidedProcessors)))]
    if unsupported:
        raise ConfigError(f"Hyperparameter(s) {unsupported} are not supported by the {problem_type} predictor's "
                          f"network ({type(net).__name__}); they apply to classification and regression over "
                          "table columns. Remove them from hyperparameters.")


def training_processors(processors: Any, config: Config) -> Any:
    """``processors`` with the configured training-time augmentation (text words, image policy) switched on."""
    if isinstance(processors, SidedProcessors):
        return SidedProcessors({name: training_processors(side, config) for name, side in processors.sides.items()})
    if not isinstance(processors, Processors):
        return processors  # a task package's own processors augment by their own settings
    words = WordAugment(config.model.text.augment_delete, config.model.text.augment_swap)
    return dataclasses.replace(processors, image_policy=config.model.image.augment_policy,
                               augment_text=words if words.active else None)


def auxiliary_objectives(net: Any, config: Config) -> list[AuxiliaryObjective]:
    """The training-only objectives the config asks for (their layers are not saved with the predictor)."""
    fusion = config.model.fusion
    if fusion.alignment == "none":
        return []
    encoders = getattr(net, "encoders", {})
    if "text" not in encoders or "image" not in encoders:
        logger.warning("model.fusion.alignment=%r needs both text and image columns; this predictor encodes %s, "
                       "so it trains without alignment.", fusion.alignment, sorted(encoders))
        return []
    return [CrossModalAlignment(encoders["text"].out_features, encoders["image"].out_features, fusion.alignment,
                                fusion.alignment_weight)]

