"""The mmdet backend: any detector of mmdet 3.x, named by one of its bundled config files.

At fit time ``prepare`` reads the config (a Python file, so only then), adapts it and stores the model part as
plain JSON in ``options.extra["model_config"]``; ``build`` only ever reads that dict, so loading a saved
predictor never runs code from a config file.

Example:
    >>> options = DetectorOptions(architecture="yolox_s_8xb8-300e_coco", num_classes=3, image_size=320)
    >>> backend = BACKENDS.get("mmdet")
    >>> model = backend.build(backend.prepare(options))
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from automm.core.errors import CheckpointNotFoundError, ConfigError
from automm.core.plugin import did_you_mean

from .base import BACKENDS, DetectorBackend, DetectorOptions

logger = logging.getLogger(__name__)

# Scopes a stored config may name ("mmdet.SiLU"); for any other mmengine would import "<scope>.registry".
_KNOWN_SCOPES = ("mmcv", "mmdet", "mmengine", "mmpretrain")


@functools.cache
def bundled_configs() -> dict[str, Path]:
    """Config name -> file for every config shipped inside the mmdet package (``mmdet/.mim/configs``)."""
    import mmdet

    root = Path(mmdet.__file__).parent / ".mim" / "configs"
    files = sorted(root.glob("**/*.py"))
    return {p.stem: p for p in files if not any(part.startswith("_") for part in p.relative_to(root).parts)}


def resolve_config(architecture: str) -> Path:
    """The config file for an mmdet config name or a path to a ``.py`` config."""
    path = Path(architecture).expanduser()
    if path.suffix == ".py":
        if not path.is_file():
            raise ConfigError(f"mmdet config file {str(path)!r} does not exist.")
        return path
    configs = bundled_configs()
    if architecture not in configs:
        raise ConfigError(
            f"Unknown mmdet config {architecture!r}: not among the {len(configs)} configs bundled with mmdet "
            f"(mmdet/.mim/configs) and not a path to a .py file.{did_you_mean(architecture, configs)}"
        )
    return configs[architecture]


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict nested anywhere under ``node`` (``node`` included), parents first."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _dicts(v)
    elif isinstance(node, list | tuple):
        for v in node:
            yield from _dicts(v)


def _strip_pretrained(model_cfg: dict[str, Any]) -> int:
    """Remove every ``init_cfg`` of type "Pretrained" (they download weights); return how many."""
    removed = 0
    for node in list(_dicts(model_cfg)):
        init = node.get("init_cfg")
        inits = init if isinstance(init, list) else [init]
        kept = [c for c in inits if not (isinstance(c, dict) and c.get("type") == "Pretrained")]
        if len(kept) < len(inits):
            removed += len(inits) - len(kept)
            node["init_cfg"] = kept if isinstance(init, list) and kept else None
    return removed


def _check_types(model_cfg: dict[str, Any]) -> None:
    """Refuse registry names with an unknown scope: mmengine would import ``<scope>.registry`` for them."""
    for node in _dicts(model_cfg):
        kind = node.get("type")
        if isinstance(kind, str) and "." in kind and kind.split(".")[0] not in _KNOWN_SCOPES:
            raise ConfigError(f"mmdet model config names type {kind!r} from an unknown scope; known: {_KNOWN_SCOPES}.")


def _apply_options(model_cfg: dict[str, Any], options: DetectorOptions) -> dict[str, Any]:
    """A copy of ``model_cfg`` with the class count (every ``num_classes`` key) and test thresholds of ``options``."""
    cfg = copy.deepcopy(model_cfg)
    for node in _dicts(cfg):
        if "num_classes" in node:
            node["num_classes"] = options.num_classes
    test_cfg = cfg.get("test_cfg")
    if test_cfg is not None:
        test_cfg = test_cfg.get("rcnn", test_cfg)  # two-stage detectors: the final stage, not the RPN proposals
        test_cfg["max_per_img"] = options.max_detections
        if "score_thr" in test_cfg:
            test_cfg["score_thr"] = options.min_score
    return cfg


def _checkpoint(options: DetectorOptions) -> Path | None:
    """The local COCO checkpoint to start from, or None."""
    name = options.extra.get("checkpoint")
    if not name:
        return None
    path = Path(name).expanduser()
    if not path.is_file():
        raise CheckpointNotFoundError(f"mmdet checkpoint {str(path)!r} (options.extra['checkpoint']) does not exist.")
    return path


def prepare(options: DetectorOptions) -> DetectorOptions:
    """Read the config (fit time only) and store its adapted ``model`` part as JSON in ``extra["model_config"]``."""
    from mmengine import Config

    checkpoint = _checkpoint(options)
    model_cfg = Config.fromfile(str(resolve_config(options.architecture))).model.to_dict()
    # Batch augmentations (YOLOX's BatchSyncRandomResize) would resize our letterboxed batch behind our back;
    # automm's processor augments instead. YOLOX's YOLOXModeSwitchHook is a runner hook and does not apply here.
    model_cfg.get("data_preprocessor", {}).pop("batch_augments", None)
    if _strip_pretrained(model_cfg) and options.pretrained and checkpoint is None:
        logger.warning(
            "mmdet config %s points at downloadable backbone weights; they are not used and the model starts from "
            "random init. Pass a local COCO checkpoint as extra['checkpoint'] to start from pretrained weights.",
            options.architecture,
        )
    try:
        model_cfg = json.loads(json.dumps(_apply_options(model_cfg, options)))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"mmdet config {options.architecture!r} has a model part that is not JSON: {err}") from err
    return dataclasses.replace(options, extra={**options.extra, "model_config": model_cfg})


def _load_checkpoint(model: nn.Module, path: Path) -> None:
    """Load mmdet weights into ``model``, skipping tensors whose shape differs (the class heads)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # unpickling errors come in many types
        raise ConfigError(
            f"Could not read {str(path)!r} with weights_only=True ({err}). Re-save only the weights: "
            "torch.save(torch.load(path, weights_only=False)['state_dict'], new_path), if you trust the file."
        ) from err
    state = state.get("state_dict", state)
    own = model.state_dict()
    kept = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    result = model.load_state_dict(kept, strict=False)
    logger.info("Loaded %d tensors from %s; %d not loaded.", len(kept), path, len(result.missing_keys))


class MMDetDetector(nn.Module):
    """Wraps an mmdet detector in the contract of ``base.py`` (RGB ``[0, 1]`` in, input-pixel boxes out)."""

    def __init__(self, detector: nn.Module, options: DetectorOptions) -> None:
        super().__init__()
        self.detector = detector
        self.options = options
        was_training = detector.training
        detector.eval()
        with torch.no_grad():
            self.feature_size = int(self.features(torch.zeros(1, 3, 64, 64)).shape[1])
        detector.train(was_training)

    def _preprocess(self, images: torch.Tensor, samples: list[Any]) -> tuple[torch.Tensor, list[Any]]:
        """Run the detector's own data preprocessor on 0..255 BGR images, as mmdet's image loaders give them."""
        data = self.detector.data_preprocessor({"inputs": images.flip(1) * 255.0, "data_samples": samples})
        return data["inputs"], data["data_samples"]

    def _samples(self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None) -> list[Any]:
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData

        shape = tuple(images.shape[-2:])
        samples = []
        for i in range(images.shape[0]):
            sample = DetDataSample(metainfo={"img_shape": shape, "ori_shape": shape, "scale_factor": (1.0, 1.0)})
            if targets is not None:
                boxes, labels = targets[i]["boxes"], targets[i]["labels"]
                sample.gt_instances = InstanceData(bboxes=boxes.float().reshape(-1, 4), labels=labels.long())
            samples.append(sample)
        return samples

    def forward(self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None = None) -> Any:
        """Losses (training with targets) or one ``{"boxes", "scores", "labels"}`` dict per image."""
        inputs, samples = self._preprocess(images, self._samples(images, targets if self.training else None))
        if self.training and targets is not None:
            losses = self.detector.loss(inputs, samples)
            return {k: sum(v) if isinstance(v, list | tuple) else v for k, v in losses.items() if "loss" in k}
        side = float(images.shape[-1])
        outputs = []
        for result in self.detector.predict(inputs, samples, rescale=False):
            pred = result.pred_instances
            boxes = getattr(pred.bboxes, "tensor", pred.bboxes).clamp(0.0, side)
            scores, order = pred.scores.sort(descending=True)
            keep = order[scores >= self.options.min_score][: self.options.max_detections]
            outputs.append({"boxes": boxes[keep], "scores": pred.scores[keep], "labels": pred.labels[keep].long()})
        return outputs

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, D]``: the last feature map of ``extract_feat``, averaged over space."""
        inputs, _ = self._preprocess(images, None)
        return self.detector.extract_feat(inputs)[-1].mean(dim=(2, 3))


@functools.cache
def _register_mmdet() -> None:
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)


def build(options: DetectorOptions) -> MMDetDetector:
    """Build from ``options.extra["model_config"]`` alone (run ``prepare`` first); never reads a config file."""
    import mmengine
    from mmdet.registry import MODELS
    from mmengine.logging import MMLogger

    if "model_config" not in options.extra:
        raise ConfigError("The mmdet backend needs options.extra['model_config']: call the backend's prepare first.")
    model_cfg = _apply_options(options.extra["model_config"], options)
    _check_types(model_cfg)
    _register_mmdet()
    detector = MODELS.build(mmengine.ConfigDict(model_cfg))
    mm_logger = MMLogger.get_current_instance()
    level = mm_logger.level
    mm_logger.setLevel(logging.WARNING)  # init_weights logs one INFO record per parameter
    try:
        detector.init_weights()
    finally:
        mm_logger.setLevel(level)
    checkpoint = _checkpoint(options) if options.pretrained else None
    if checkpoint is not None:
        _load_checkpoint(detector, checkpoint)
    return MMDetDetector(detector, options)


def pretrained_classes(options: DetectorOptions) -> list[str] | None:
    """The 80 COCO names when a COCO checkpoint is loaded with its 80-class head unchanged, else None."""
    if not (options.pretrained and options.extra.get("checkpoint") and options.num_classes == 80):
        return None
    from mmdet.datasets import CocoDataset

    return list(CocoDataset.METAINFO["classes"])


BACKENDS.register("mmdet")(DetectorBackend(build=build, prepare=prepare, pretrained_classes=pretrained_classes))
