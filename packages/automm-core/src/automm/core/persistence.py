"""Save and load a predictor: a directory of JSON + ``model.safetensors`` + tokenizer files; no pickle.

Saves are atomic: the directory is written beside the target and renamed into place; if a crash
leaves only the previous version's backup, ``load`` restores it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from .config import Config
from .data.batch import Processors
from .data.column_types import ColumnDecision, ColumnType
from .data.images import ImageProcessor
from .data.processor_kinds import PROCESSOR_KINDS
from .data.sides import SidedProcessors
from .data.tabular import CategoricalProcessor, NumericalProcessor
from .data.text import TextProcessor
from .discovery import distribution_version, installed_plugins, task_class
from .errors import ConfigError, PredictorLoadError
from .models import ensemble as _ensemble  # noqa: F401 (registers the "ensemble" network kind)
from .models.network import spec_from_json, spec_to_json
from .results import MetricChoice
from .state import PredictorState

# 2: processors.json holds the preprocessing recipe (clip, unknown id, text and image rules, special ids);
# version 1 files still load with the values that were then held in code.
FORMAT_VERSION = 7  # 3: the quantile-normal numeric rule, task settings in the task section (0.3); 4: the
# distiller and ensemble config sections, the "ensemble" network kind, trick keys (0.4); 5: integer rule versions
# in processors.json, the dense-vision names (backbone, num_classes), task.conv_lora, keep_pretrained_if_better
# (0.5); 6: the chosen metrics (metric_choice), the training options of AutoGluon-MM's keys (optimizer, schedule,
# soup, modalities...), task keys of its spellings (0.6); 7: ensemble.budget, the budget's members in fit_info,
# SAM's task.gradient_checkpointing (0.7). Older versions load: each reader maps what an older one wrote
# (tests/test_saved_format_compat.py).
PREDICTOR_FILE = "predictor.json"
PROCESSORS_FILE = "processors.json"
NETWORK_FILE = "network.json"
WEIGHTS_FILE = "model.safetensors"
TEXT_FOLDER = "text_backbone"
TRAINING_DIR = "training"  # a fit's work folder inside the predictor directory
AUTOGLUON_ASSETS = "assets.json"  # what an AutoGluon-MM predictor folder holds instead of predictor.json
LIBRARIES = ("torch", "torchvision", "transformers", "timm")  # their versions are saved with each predictor


def save_state(state: PredictorState, path: Path) -> None:
    """Write ``state`` to ``path`` atomically, replacing any predictor already there."""
    path = Path(path)
    check_save_target(path)
    with staged_folder(path) as staging:
        _write(state, staging)


def check_save_target(path: Path) -> None:
    """Refuse a path that is (or lies under) a file, or a directory of other files that saving would delete."""
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"Cannot save the predictor to {str(path)!r}: {str(folder)!r} is a file. "
                              "Choose a directory path.")
        if folder.exists():
            break
    if path.is_dir():
        entries = sorted(p.name for p in path.iterdir())
        if entries and PREDICTOR_FILE not in entries and entries != [TRAINING_DIR]:
            raise ConfigError(f"Cannot save the predictor to {str(path)!r}: it is a directory holding other files "
                              f"({entries[:5]}), and saving replaces the whole directory. Choose a new or empty "
                              "directory (AutoGluon-MM only warns about an existing path; automm refuses one "
                              "holding other files, so that saving deletes nothing of yours).")


def _write(state: PredictorState, folder: Path) -> None:
    meta = {
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "problem_type": state.problem_type,
        "label_columns": state.label_columns,
        "columns": {c: {"type": d.type.value, "reason": d.reason} for c, d in state.columns.items()},
        "config": state.config.to_dict(),
        "task": state.task.to_json(),
        "fit_info": state.fit_info,
    }
    _write_json(folder / PREDICTOR_FILE, meta)
    _write_json(folder / PROCESSORS_FILE, processors_to_json(state.processors))
    _write_json(folder / NETWORK_FILE, spec_to_json(state.network_spec))
    weights = {k: v.detach().cpu().contiguous() for k, v in state.net.state_dict().items()}
    save_file(weights, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    text = _text_processor(state.processors)
    if text is not None:
        text_folder = folder / TEXT_FOLDER
        text.tokenizer.save_pretrained(str(text_folder))
        _text_backbone(state.net).config.to_json_file(str(text_folder / "config.json"))
    _fsync_tree(folder)


@contextmanager
def staged_folder(path: Path, purpose: str = "saving") -> Iterator[Path]:
    """A new folder beside ``path`` to write into; when the block succeeds it replaces ``path``
    (``swap_into_place``), and whatever happens it is gone afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent / f".{path.name}.{purpose}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
        swap_into_place(staging, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def swap_into_place(staging: Path, path: Path) -> None:
    """Replace ``path`` (a folder, if any) by the finished folder ``staging``: the old one is renamed aside first
    and removed last, so a crash leaves one of the two whole (``load_state`` restores a saved predictor's)."""
    backup = _backup_path(path)
    if path.exists():
        if backup.exists():
            shutil.rmtree(backup)
        os.replace(path, backup)
    os.replace(staging, path)
    shutil.rmtree(backup, ignore_errors=True)


def _backup_path(path: Path) -> Path:
    return path.parent / f".{path.name}.previous"


def load_state(path: Path) -> PredictorState:
    """Rebuild a predictor from its directory; reads only JSON, safetensors and tokenizer files."""
    path = Path(path)
    if not path.exists() and _backup_path(path).exists():  # a save was interrupted between two renames
        os.replace(_backup_path(path), path)
    if path.is_dir() and not (path / PREDICTOR_FILE).exists() and (path / AUTOGLUON_ASSETS).is_file():
        raise PredictorLoadError(
            f"{str(path)!r} was saved by AutoGluon-MM ({AUTOGLUON_ASSETS}, pickled parts), which automm does not load: "
            "the formats differ on purpose (automm loads only JSON and safetensors, never pickle). Fit an automm "
            "predictor on the same data (a teacher for distillation included), or start one from the AutoGluon "
            "model's backbone: its dump_model() folders work as model.text.checkpoint."
        )
    meta = _read_json(path, PREDICTOR_FILE)
    found = meta.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool):
        raise PredictorLoadError(f"{PREDICTOR_FILE} in {str(path)!r} has no valid format_version (found {found!r}); "
                                 "the file is damaged or was edited. Restore the directory from a copy or fit again.")
    if found > FORMAT_VERSION:
        raise PredictorLoadError(
            f"{str(path)!r} was saved in format version {found!r}; this automm-core reads up to {FORMAT_VERSION}. "
            "Upgrade automm-core (pip install -U automm-core) to load it."
        )
    with _damaged(path, PREDICTOR_FILE):
        label_columns = [str(c) for c in meta["label_columns"]]
        problem_type = str(meta["problem_type"])
        task_type = task_class(problem_type)
        config = Config.from_dict(meta["config"], task_type.config_type() if task_type.config_type else None)
        task = task_type.from_json(meta["task"])
        task.chosen_metrics = MetricChoice.from_json(meta.get("fit_info", {}).get("metric_choice"))
        columns = {c: ColumnDecision(c, ColumnType(d["type"]), d["reason"]) for c, d in meta["columns"].items()}
    text_folder = _safe_child(path, TEXT_FOLDER) if (path / TEXT_FOLDER).exists() else None
    if text_folder is not None:
        _refuse_custom_code(text_folder)
    with _damaged(path, PROCESSORS_FILE):
        processors = _processors_from_json(_read_json(path, PROCESSORS_FILE), text_folder)
    with _damaged(path, NETWORK_FILE):
        spec = spec_from_json(_read_json(path, NETWORK_FILE))
    with _damaged(path, PROCESSORS_FILE):
        spec.check_inputs(processors)
        _check_columns(processors, [c for c, d in columns.items() if d.type.is_used])
    with _damaged(path, NETWORK_FILE):
        net = spec.build(text_folder, pretrained=False)
    with _damaged(path, WEIGHTS_FILE):
        weights = load_file(str(_safe_child(path, WEIGHTS_FILE)))
    try:
        net.load_state_dict(weights)
    except RuntimeError as err:
        raise PredictorLoadError(f"{WEIGHTS_FILE} in {str(path)!r} does not match network.json: {err}") from err
    net.eval()
    return PredictorState(label_columns, problem_type, config, columns, task, processors, spec, net, text_folder,
                          meta.get("fit_info", {}))


@contextmanager
def _damaged(path: Path, name: str) -> Iterator[None]:
    """Report unreadable contents of file ``name`` as a PredictorLoadError that names it."""
    try:
        yield
    except PredictorLoadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OSError, SafetensorError) as err:
        raise PredictorLoadError(f"{name} in {str(path)!r} is damaged or was edited ({err!r}). Restore the "
                                 "directory from a copy or fit again.") from err


def processors_to_json(processors: Any) -> dict[str, Any]:
    """processors.json's contents: the preprocessing recipe (automm-deploy redoes it without torch)."""
    kind = getattr(processors, "kind", None)
    if kind is not None:  # a task package's own processors, registered by kind
        return {"kind": kind, **processors.to_json()}
    if isinstance(processors, SidedProcessors):
        return {"sides": {name: processors_to_json(side) for name, side in processors.sides.items()}}
    text = processors.text
    return {
        "numerical": processors.numerical.to_json() if processors.numerical else None,
        "categorical": processors.categorical.to_json() if processors.categorical else None,
        "text": text.to_json() if text else None,
        "image": processors.image.to_json() if processors.image else None,
        "augment_images": processors.augment_images,
    }


def _processors_from_json(data: dict[str, Any], text_folder: Path | None) -> Any:
    if "kind" in data:
        kind = str(data.pop("kind"))
        _expect(kind in PROCESSOR_KINDS, f"processors.json names processor kind {kind!r}, which no installed "
                                         f"task package registers (registered: {list(PROCESSOR_KINDS)})")
        return PROCESSOR_KINDS.get(kind).from_json(data, text_folder)
    if "sides" in data:
        sides = data["sides"]
        _expect(isinstance(sides, dict) and len(sides) > 0 and all(isinstance(v, dict) for v in sides.values()),
                "sides must map each side's name to its processors")
        tokenizer = _load_tokenizer(text_folder) if any(side.get("text") for side in sides.values()) else None
        return SidedProcessors({str(name): _single_processors(side, tokenizer) for name, side in sides.items()})
    return _single_processors(data, _load_tokenizer(text_folder) if data.get("text") else None)


def _load_tokenizer(text_folder: Path | None) -> Any:
    from transformers import AutoTokenizer

    if text_folder is None:
        raise PredictorLoadError(f"processors.json uses text columns but {TEXT_FOLDER}/ is missing.")
    try:
        return AutoTokenizer.from_pretrained(str(text_folder), local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as err:
        raise PredictorLoadError(f"The tokenizer in {str(text_folder)!r} cannot be loaded ({err}). Restore the "
                                 "directory from a copy or fit again.") from err


def _single_processors(data: dict[str, Any], tokenizer: Any) -> Processors:
    _check_processors_json(data)
    text = TextProcessor.from_json(data["text"], tokenizer) if data.get("text") else None
    image = data.get("image")
    return Processors(
        numerical=NumericalProcessor.from_json(data["numerical"]) if data.get("numerical") else None,
        categorical=CategoricalProcessor.from_json(data["categorical"]) if data.get("categorical") else None,
        text=text,
        image=ImageProcessor.from_json(image) if image else None,
        augment_images=data.get("augment_images", True),
    )


def _text_processor(processors: Any) -> TextProcessor | None:
    """The text processor (all sides share one tokenizer), or None without text columns."""
    sides = processors.sides.values() if isinstance(processors, SidedProcessors) else [processors]
    return next((side.text for side in sides if getattr(side, "text", None) is not None), None)


def _text_backbone(net: nn.Module) -> nn.Module:
    """The transformers model holding the text backbone's config (the first module with a config)."""
    return next(m for m in net.modules() if hasattr(getattr(m, "config", None), "to_json_file"))


def _check_processors_json(data: dict[str, Any]) -> None:
    """Types and sizes of processors.json, so an edited file is refused here rather than failing in predict()."""
    numerical, categorical, text, image = (data.get(k) for k in ("numerical", "categorical", "text", "image"))
    if numerical:
        columns = _strings(numerical.get("columns"), "numerical.columns")
        for key in ("medians", "means", "stds"):
            _numbers(numerical.get(key), f"numerical.{key}", len(columns))
        _expect(all(v > 0 for v in numerical["stds"]), "numerical.stds must be positive")
    if categorical:
        columns = _strings(categorical.get("columns"), "categorical.columns")
        vocabularies = categorical.get("vocabularies")
        _expect(isinstance(vocabularies, list) and len(vocabularies) == len(columns),
                f"categorical.vocabularies must be a list of {len(columns)} lists")
        for vocabulary in vocabularies:
            _strings(vocabulary, "each of categorical.vocabularies")
    if text:
        _expect(len(_strings(text.get("columns"), "text.columns")) > 0, "text.columns must name a column")
        _integer(text.get("max_length"), "text.max_length", 8)
    if image:
        columns = _strings(image.get("columns"), "image.columns")
        kinds = _strings(image.get("kinds"), "image.kinds")
        _expect(len(columns) > 0 and len(kinds) == len(columns)
                and all(k in {t.value for t in ColumnType if t.is_image} for k in kinds),
                "image.kinds must give an image column type for each of image.columns")
        _integer(image.get("size"), "image.size", 1)
        _integer(image.get("max_images_per_row", 1), "image.max_images_per_row", 1)
        _numbers(image.get("mean"), "image.mean", 3)
        _expect(all(v > 0 for v in _numbers(image.get("std"), "image.std", 3)), "image.std must be positive")
    _expect(isinstance(data.get("augment_images", True), bool), "augment_images must be true or false")


def _check_columns(processors: Any, features: list[str]) -> None:
    """processors.json reads only columns that predictor.json lists as features."""
    extra = sorted(set(processors.columns) - set(features))
    _expect(not extra, f"processors.json reads columns {extra} that {PREDICTOR_FILE} does not list as features")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _strings(value: Any, name: str) -> list[str]:
    _expect(isinstance(value, list) and all(isinstance(v, str) for v in value), f"{name} must be a list of strings")
    return value


def _numbers(value: Any, name: str, length: int) -> list[float]:
    _expect(isinstance(value, list) and len(value) == length
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value),
            f"{name} must be a list of {length} finite numbers")
    return value


def _integer(value: Any, name: str, minimum: int) -> int:
    _expect(isinstance(value, int) and not isinstance(value, bool) and value >= minimum,
            f"{name} must be an integer >= {minimum}")
    return value


def _refuse_custom_code(text_folder: Path) -> None:
    """Refuse a text backbone whose architecture transformers does not ship.

    For an unknown ``model_type``, transformers would import the Python files that ``auto_map`` in config.json
    names, after asking on the terminal ("Do you wish to run the custom code? [y/N]"), so a tampered directory
    could run code on a single keystroke. A saved predictor only ever needs a built-in architecture.
    """
    from transformers.models.auto.modeling_auto import MODEL_MAPPING_NAMES

    model_type = _read_json(text_folder, "config.json").get("model_type")
    if not isinstance(model_type, str) or model_type not in MODEL_MAPPING_NAMES:
        raise PredictorLoadError(
            f"{TEXT_FOLDER}/config.json in {str(text_folder.parent)!r} names model_type {model_type!r}, which is not "
            "an architecture built into transformers; loading it would run code from the directory, which automm "
            "never does. Restore the directory from a copy or fit again."
        )


def _safe_child(folder: Path, name: str) -> Path:
    """``folder/name``, refusing a symlink or anything that resolves outside ``folder``."""
    child = folder / name
    if child.is_symlink() or not child.resolve().is_relative_to(folder.resolve()):
        raise PredictorLoadError(f"{str(child)!r} is a link or points outside the predictor directory; refusing it.")
    if not child.exists():
        raise PredictorLoadError(f"{str(folder)!r} is not a complete predictor: {name} is missing. Pass the "
                                 "directory that fit() or save() wrote.")
    if child.is_dir():
        for inner in child.iterdir():
            if inner.is_symlink():
                raise PredictorLoadError(f"{str(inner)!r} is a link; refusing to load it.")
    return child


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    if folder.exists() and not folder.is_dir():
        raise PredictorLoadError(f"No predictor at {str(folder)!r}: it is a file; pass the predictor's directory.")
    if not folder.is_dir():
        raise PredictorLoadError(f"No predictor at {str(folder)!r}: the directory does not exist.")
    try:
        data = json.loads(_safe_child(folder, name).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PredictorLoadError(f"{name} in {str(folder)!r} is not valid JSON ({err}).") from err
    if not isinstance(data, dict):
        raise PredictorLoadError(f"{name} in {str(folder)!r} must hold a JSON object.")
    return data


def _write_json(file: Path, data: dict[str, Any]) -> None:
    file.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")


def _fsync_tree(folder: Path) -> None:
    for file in folder.rglob("*"):
        if file.is_file():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())


def _versions() -> dict[str, str]:
    """Versions of core, each installed task plug-in (as it reports itself) and the libraries every predictor uses."""
    found = {"automm-core": distribution_version("automm-core")}
    found.update({plugin.package: plugin.version for plugin in installed_plugins()})
    for library in LIBRARIES:
        try:
            found[library] = version(library)
        except PackageNotFoundError:
            continue
    return found
