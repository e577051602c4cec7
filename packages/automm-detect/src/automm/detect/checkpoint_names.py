"""AutoGluon-MM's detection model names (``model.mmdet_image.checkpoint_name``) as automm backend + architecture.

AutoGluon-MM names every detector by an mmdet config: short YOLOX names (``"yolox_s"``) or mmdet's full config
names (``"dino-4scale_r50_8xb2-12e_coco"``). automm runs those on its mmdet backend (``automm-detect[mmdet]``).
Without mmdet installed, the Faster R-CNN, RetinaNet and FCOS families run on automm's torchvision backend (its
detector of that family on a timm backbone, not mmdet's COCO-trained weights); other names still go to the mmdet
backend, whose error says how to install it.

Example:
    >>> resolve_checkpoint_name("yolox_s")
    ('mmdet', 'yolox_s_8xb8-300e_coco')
"""

from __future__ import annotations

import importlib.util
import logging

from automm.core.errors import ConfigError

logger = logging.getLogger("automm")

# AutoGluon-MM's short names -> the mmdet config each stands for (M/models/mmdet_image.py).
SHORT_NAMES = {f"yolox_{size}": f"yolox_{size}_8xb8-300e_coco" for size in ("nano", "tiny", "s", "m", "l", "x")}
# Families automm's torchvision backend builds itself.
TORCHVISION_FAMILIES = ("faster_rcnn", "retinanet", "fcos")


def resolve_checkpoint_name(name: str) -> tuple[str, str]:
    """(``task.backend``, ``task.architecture``) for an AutoGluon-MM detection model name.

    Raises:
        ConfigError: The name stands for weights only AutoGluon-MM publishes (``yolox_l_objects365``).
    """
    if name == "yolox_l_objects365":
        raise ConfigError("AutoGluon-MM's 'yolox_l_objects365' loads YOLOX-L weights trained on Objects365 that only "
                          "AutoGluon-MM publishes; automm has no such weights. Write hyperparameters="
                          "{'model.mmdet_image.checkpoint_name': 'yolox_l'} (COCO weights) or give a local weights "
                          "file with 'task.checkpoint'.")
    if name in SHORT_NAMES:
        return "mmdet", SHORT_NAMES[name]
    family = next((f for f in TORCHVISION_FAMILIES if name == f or name.startswith(f"{f}_")), None)
    if family is not None and (name == family or importlib.util.find_spec("mmdet") is None):
        if name != family:
            logger.warning("mmdet is not installed: model.mmdet_image.checkpoint_name=%r runs as automm's torchvision "
                           "%s on a timm backbone (task.backbone), not mmdet's COCO-trained weights. For mmdet's "
                           "own model: pip install 'automm-detect[mmdet]'.", name, family)
        return "torchvision", family
    return "mmdet", name
