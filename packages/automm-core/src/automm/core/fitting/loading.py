"""The state a predictor loads: a finished fit's, or the start and last checkpoint of a killed one (no Lightning)."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import PredictorLoadError
from ..persistence import PREDICTOR_FILE, TRAINING_DIR, load_state
from ..state import PredictorState
from ..training.checkpoint_io import latest_readable_checkpoint

logger = logging.getLogger("automm")
SKELETON_DIR = "predictor"  # under TRAINING_DIR: the untrained state a killed fit resumes from
CHECKPOINT_DIR = "checkpoints"


def saved_state(path: Path) -> PredictorState:
    """The state saved at ``path``; a fit that was killed before saving is named, with how to resume it."""
    if not (path / PREDICTOR_FILE).exists() and (path / TRAINING_DIR).exists():
        raise PredictorLoadError(
            f"The fit saving to {str(path)!r} did not finish. Continue it with "
            f"MultiModalPredictor.load({str(path)!r}, resume=True).fit(train_data)."
        )
    return load_state(path)


def resume_point(path: Path) -> tuple[PredictorState, Path | None]:
    """The untrained state a killed fit at ``path`` started from, and its latest readable checkpoint (or None)."""
    state = load_state(path / TRAINING_DIR / SKELETON_DIR)
    checkpoint = latest_readable_checkpoint(path / TRAINING_DIR / CHECKPOINT_DIR)
    if checkpoint is None:
        logger.warning("No usable checkpoint under %s: fit will start again from the saved start.", path)
    return state, checkpoint
