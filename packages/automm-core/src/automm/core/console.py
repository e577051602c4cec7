"""What a fit prints, by ``verbosity``: frameworks quietened while it runs, and one summary at its end.

0: nothing. 1: warnings. 2 (default): plus one progress bar and the summary. 3: plus Lightning's own
information (devices, model summary) and advice. 4: plus the column-type report and framework deprecations.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path
from typing import Any

from .config import Config
from .data.column_types import ColumnDecision, describe_column_types
from .errors import ConfigError

DEFAULT_VERBOSITY = 2
FRAMEWORK_LOGGERS = ("lightning.pytorch", "lightning.fabric")
# torch's pytree deprecation, raised from inside Lightning on every fit: nothing a user can act on.
FRAMEWORK_DEPRECATIONS = r"`isinstance\(treespec, LeafSpec\)` is deprecated"


def check_verbosity(verbosity: Any) -> int:
    if isinstance(verbosity, bool) or not isinstance(verbosity, Integral) or not 0 <= verbosity <= 4:
        raise ConfigError(f"verbosity must be an integer from 0 (silent) to 4 (most detail), got {verbosity!r}.")
    return int(verbosity)


@contextmanager
def quiet_frameworks(verbosity: int) -> Iterator[None]:
    """Logger levels and warning filters for the length of a fit; the caller's settings come back afterwards."""
    import lightning.pytorch  # noqa: F401  (its import sets its logger's level: set ours after it)

    levels = {"automm": logging.WARNING if verbosity else logging.ERROR,
              **dict.fromkeys(FRAMEWORK_LOGGERS, logging.INFO if verbosity >= 3 else logging.WARNING
                              if verbosity else logging.ERROR)}
    saved = {name: logging.getLogger(name).level for name in levels}
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        with warnings.catch_warnings(), _hub_progress_bars(verbosity >= 3):
            _filter_warnings(verbosity)
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@contextmanager
def _hub_progress_bars(show: bool) -> Iterator[None]:
    """Hugging Face's bars ("Loading weights", downloads) hidden unless ``show``; fit has its own bar."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_shown = not are_progress_bars_disabled()
    if show or not was_shown:
        yield
        return
    set_transformers = _transformers_progress_bars()
    disable_progress_bars()
    set_transformers(False)
    try:
        yield
    finally:  # transformers may have been imported during the fit: its switch starts from the hub's
        enable_progress_bars()
        _transformers_progress_bars()(True)


def _transformers_progress_bars() -> Callable[[bool], None]:
    """transformers' own switch for its bars, when it is imported (a no-op otherwise)."""
    if "transformers" not in sys.modules:
        return lambda show: None
    from transformers.utils import logging as hf_logging

    return lambda show: hf_logging.enable_progress_bar() if show else hf_logging.disable_progress_bar()


def _filter_warnings(verbosity: int) -> None:
    from lightning.fabric.utilities.warnings import PossibleUserWarning

    if verbosity == 0:
        warnings.simplefilter("ignore")
    if verbosity < 3:  # Lightning's performance advice (dataloader workers, logging intervals)
        warnings.filterwarnings("ignore", category=PossibleUserWarning)
    if verbosity < 4:
        warnings.filterwarnings("ignore", message=FRAMEWORK_DEPRECATIONS, category=FutureWarning)


def describe_model(spec: Any, config: Config) -> str:
    """The encoders of a core network (backbone names); an ensemble's variants; a task's own network by its
    ``describe()`` when it has one (a detector's model and input size, say), else its kind's name."""
    if callable(getattr(spec, "describe", None)):
        return str(spec.describe())
    if getattr(spec, "variants", None):
        return f"{spec.kind} of {len(spec.variants)}: {', '.join(spec.variants)}"
    parts = []
    if getattr(spec, "text", None) is not None:
        layers = spec.text.get("num_layers", 0) if isinstance(spec.text, dict) else 0
        parts.append(f"text {config.model.text.checkpoint}" + (f" (first {layers} layers)" if layers else ""))
    if getattr(spec, "image", None) is not None:
        parts.append(f"image {spec.image['checkpoint']}")
    if getattr(spec, "tabular", None) is not None:
        parts.append(f"tabular {spec.tabular['model']}")
    if len(parts) > 1:
        parts.append(f"{spec.fusion['model']} fusion")
    return ", ".join(parts) or f"{spec.kind} network"


def summary_text(problem_type: str, columns: dict[str, ColumnDecision], model: str, fit_info: dict[str, Any],
                metric: str, path: Path, verbosity: int) -> str:
    """A short block: what was detected, what trained, how it ended and where it was saved."""
    by_type: dict[str, list[str]] = {}
    for decision in columns.values():
        if decision.type.is_used:
            by_type.setdefault(decision.type.value, []).append(str(decision.column))
    detected = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in by_type.items()) or "none"
    lines = [
        f"AutoMM fit: {problem_type}, {fit_info['train_rows']} training / {fit_info['validation_rows']} "
        "validation rows",
        f"  columns   {detected}",
        f"  model     {model}",
        f"  training  {fit_info['epochs']} epoch(s), {fit_info['steps']} step(s), stopped by "
        f"{fit_info['stopped_by'].replace('_', ' ')}, {fit_info['seconds']:.1f} s",
        f"  best      validation {metric} {fit_info['best_val_score']:.4g}",
        *_ensemble_lines(fit_info.get("ensemble")),
        f"  saved to  {path}",
    ]
    if verbosity >= 4:
        lines += ["", describe_column_types(columns)]
    return "\n".join(lines)


def _ensemble_lines(report: dict[str, Any] | None) -> list[str]:
    """One line on an ensemble's members (kept of trained) and why no further member started."""
    if not report:
        return []
    members = report["members"]
    kept = sum(member["weight"] > 0 for member in members)
    stopped = f"; stopped: {report['stopped']}" if report.get("stopped") else ""
    return [f"  ensemble  {kept} of {len(members)} member(s) kept{stopped}"]
