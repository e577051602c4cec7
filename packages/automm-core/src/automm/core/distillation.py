"""``fit(..., teacher_predictor=...)``: check the teacher, run it once over the training rows, build the objectives.

The teacher arrives as a fitted ``PredictorState`` (with the folder it is saved in) or as the path of a saved
predictor: this module knows nothing of ``MultiModalPredictor``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .data.ingest import require_features
from .discovery import installed_plugins
from .errors import ConfigError, PredictorLoadError
from .persistence import load_state
from .state import PredictorState

if TYPE_CHECKING:
    from .training.module import AuxiliaryObjective


@dataclass(frozen=True)
class Teacher:
    """A fitted predictor checked to be able to teach a student's task."""

    state: PredictorState
    path: str | None  # where the teacher is saved, when known

    def objectives(self, student: PredictorState, rows: pd.DataFrame, progress: bool) -> list[AuxiliaryObjective]:
        """The soft-label objective, and the feature objective when both networks have embeddings and its weight
        is not 0, over the training ``rows`` (in the order the training loader reads them)."""
        from .training.distillation import FeatureObjective, SoftLabelObjective

        settings = student.config.distiller
        outputs, embeddings = teacher_outputs(self.state, rows, progress)
        found: list[AuxiliaryObjective] = []
        if settings.soft_label_weight > 0:
            soft = student.task.soft_targets(self.state.task, outputs)
            found.append(SoftLabelObjective(student.task.soft_label_loss, soft, settings.temperature,
                                            settings.soft_label_weight))
        if settings.output_feature_loss_weight > 0 and embeddings is not None and _has_parts(student.net):
            found.append(FeatureObjective(student.net.embedding_size, embeddings, settings.output_feature_loss_weight))
        return found

    def summary(self, student: PredictorState, objectives: list[AuxiliaryObjective]) -> dict[str, Any]:
        """What ``fit_info["distillation"]`` records."""
        settings = student.config.distiller
        return {"teacher_path": self.path, "temperature": settings.temperature,
                "soft_label_weight": settings.soft_label_weight,
                "output_feature_loss_weight": settings.output_feature_loss_weight,
                "objectives": [o.name for o in objectives]}


def resolve_teacher(teacher: PredictorState | str | Path, student: PredictorState, path: str | None = None,
                    ) -> Teacher:
    """The teacher (loaded when given as a path), refused with a ConfigError unless it can teach ``student``.

    ``path``: where a teacher given as a state is saved, when known (recorded in ``fit_info``).
    """
    if isinstance(teacher, (str, Path)):
        try:
            state = load_state(Path(teacher))
        except (PredictorLoadError, OSError) as err:
            raise ConfigError(f"teacher_predictor={str(teacher)!r} could not be loaded: {err}") from err
        path = str(Path(teacher))
    elif isinstance(teacher, PredictorState):
        state = teacher
    else:
        raise ConfigError(f"teacher_predictor must be a fitted MultiModalPredictor or the path of a saved one, got "
                          f"{type(teacher).__name__}.")
    _check_compatible(state, student)
    return Teacher(state, path)


def _check_compatible(teacher: PredictorState, student: PredictorState) -> None:
    if not type(student.task).distillable:
        supported = sorted(name for plugin in installed_plugins() for name, task in plugin.tasks.items()
                           if task.distillable)
        raise ConfigError(f"Problem type {student.problem_type!r} does not support distillation "
                          f"(teacher_predictor=); installed problem types that do: {supported}.")
    if teacher.problem_type != student.problem_type:
        raise ConfigError(f"teacher_predictor is a {teacher.problem_type!r} predictor, but this one is "
                          f"{student.problem_type!r}: the teacher must solve the same problem type.")
    if list(teacher.label_columns) != list(student.label_columns):
        raise ConfigError(f"teacher_predictor predicts label column(s) {teacher.label_columns}, this predictor "
                          f"{student.label_columns}: the teacher must predict the same label(s).")
    problem = student.task.teacher_mismatch(teacher.task)
    if problem is not None:
        raise ConfigError(f"teacher_predictor cannot teach this predictor: {problem}. Fit the teacher on the same "
                          "labels.")


def _has_parts(net: Any) -> bool:
    return callable(getattr(net, "forward_parts", None)) and isinstance(getattr(net, "embedding_size", None), int)


def teacher_outputs(state: PredictorState, rows: pd.DataFrame, progress: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The teacher network's outputs ``[rows, outputs]`` and, when it has them, fused embeddings, in one pass."""
    import torch

    from .inference import run_network

    require_features(rows, state.feature_columns, "train_data (read by teacher_predictor)")
    features, env, net = rows[state.feature_columns], state.config.env, state.net
    state.task.check_inputs(features, "train_data")
    width = int(np.prod(net.output_shape))
    parts = _has_parts(net) and state.task.has_embeddings

    def both(batch: Any) -> torch.Tensor:
        found = net.forward_parts(batch)
        return torch.cat([found.outputs.reshape(len(found.outputs), width), found.embedding], dim=1)

    device = next(net.parameters()).device
    net.to(device if device.type != "cpu" or not torch.cuda.is_available() else "cuda")  # a GPU when there is one
    try:
        joined = run_network(net, state.processors, features, env.eval_batch_size, forward=both if parts else None,
                             row_shape=(width + net.embedding_size,) if parts else None,
                             num_workers=env.num_workers, progress=progress)
    finally:
        net.to(device)
    joined = joined.reshape(len(rows), -1)
    return joined[:, :width], (joined[:, width:] if parts else None)
