"""MultiModalPredictor: three lines from a table to a fine-tuned, saved, reloadable model."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .console import DEFAULT_VERBOSITY, check_verbosity, describe_model, quiet_frameworks, summary_text
from .data.column_types import describe_column_types
from .data.rows import encode_targets, feature_rows, labelled_rows
from .errors import ConfigError, NotFittedError, require_training_stack
from .fitting.settings import FitOptions, PredictorSettings
from .suggest import did_you_mean
from .tasks import read_rows, task_class

if TYPE_CHECKING:
    from .state import PredictorState

# torch, Lightning and the network code load on first fit, load or predict: importing the predictor stays fast.
logger = logging.getLogger("automm")


class MultiModalPredictor:
    """Fine-tune foundation models on a table of image, text, numeric and categorical columns.

    Example:
        >>> predictor = MultiModalPredictor(label="label")
        >>> predictor.fit("train.csv", time_limit=600)
        >>> predictor.evaluate("test.csv")
        >>> predictor.predict(new_rows)

    ``verbosity``: 0 prints nothing, 1 warnings only, 2 (default) one progress bar and a summary per fit,
    3 also Lightning's own information, 4 also the column-type report.

    ``use_ensemble=True`` (also set by ``presets="best_quality"``) fits several network/training variants within the
    time limit and weights them by greedy ensemble selection on the validation rows; ``ensemble_size`` caps how
    many are trained (hyperparameters ``ensemble.enabled`` and ``ensemble.size``).

    ``eval_metric`` (AutoGluon-MM's names and aliases: ``"acc"``, ``"rmse"``, ``"pearsonr"``...; see
    ``automm.core.problem_types``) is what ``evaluate()`` reports first and, unless ``validation_metric`` names
    another, what fits track: validation score, early stopping, the checkpoints kept, ensemble and search choices.
    """

    def __init__(self, label: str | Sequence[str] | None = None, problem_type: str | None = None,
                 path: str | Path | None = None, presets: str | None = None,
                 hyperparameters: Mapping[str, Any] | None = None, eval_metric: str | None = None,
                 verbosity: int = DEFAULT_VERBOSITY, use_ensemble: bool | None = None,
                 ensemble_size: int | None = None, validation_metric: str | None = None, **task_arguments: Any):
        settings = PredictorSettings.create(label, problem_type, presets, hyperparameters, eval_metric,
                                            {"ensemble.enabled": use_ensemble, "ensemble.size": ensemble_size},
                                            task_arguments, validation_metric)
        self.label_columns, self.problem_type, self.task_arguments = settings.label_columns, \
            settings.problem_type, settings.task_arguments
        self.presets, self.hyperparameters, self.eval_metric = presets, settings.hyperparameters, eval_metric
        self.validation_metric = validation_metric
        self.path = Path(path) if path is not None else Path("automm_models") / time.strftime("%Y%m%d_%H%M%S")
        self.verbosity = check_verbosity(verbosity)
        self._state: PredictorState | None = None
        self._resume_checkpoint: Path | None = None

    # ------------------------------------------------------------------ fit
    def fit(self, train_data: pd.DataFrame | str | Path, tuning_data: pd.DataFrame | str | Path | None = None,
            time_limit: float | None = None, presets: str | None = None,
            hyperparameters: Mapping[str, Any] | None = None, column_types: Mapping[str, str] | None = None,
            holdout_frac: float | None = None, seed: int = 0,
            hyperparameter_tune_kwargs: Mapping[str, Any] | None = None,
            teacher_predictor: MultiModalPredictor | str | Path | None = None) -> MultiModalPredictor:
        """Fit on ``train_data``; a second call continues training the current model on the new data.

        Search spaces in ``hyperparameters`` with ``hyperparameter_tune_kwargs`` (or an ``*_hpo`` preset) run a
        hyperparameter search on Ray Tune (``automm-core[hpo]``) and keep its best trial; see ``automm.core.hpo``.
        ``teacher_predictor`` (a fitted predictor or the path of a saved one, same problem type and labels) distils
        it into this one: the loss adds the teacher's soft labels (and embeddings) on the training rows, weighted
        by the ``distiller.*`` hyperparameters. What it prints follows ``verbosity`` (see ``__init__``): by default
        one progress bar and a summary.

        The modes themselves live in ``automm.core.fitting``.

        Example:
            >>> predictor.fit(train, hyperparameters={"optim.lr": {"loguniform": [1e-5, 1e-3]}},
            ...               hyperparameter_tune_kwargs={"num_trials": 8, "searcher": "bayes", "scheduler": "ASHA"})
            >>> student = MultiModalPredictor(label="label", hyperparameters={"model.text.num_layers": 2})
            >>> student.fit(train, teacher_predictor=teacher)
        """
        require_training_stack("fit")
        from .fit_entry import run_fit  # torch and Lightning load with the first fit
        from .training.budget import Deadline

        verbosity, deadline = check_verbosity(self.verbosity), Deadline(time_limit)
        teacher, teacher_path = self._teacher(teacher_predictor)
        options = FitOptions(presets, hyperparameters, column_types, holdout_frac, seed, verbosity, teacher=teacher,
                             teacher_path=teacher_path, resume_from=self._resume_checkpoint)
        with quiet_frameworks(verbosity):
            state = run_fit(self._state, self._settings(), train_data, tuning_data, deadline, self.path, options,
                            hyperparameter_tune_kwargs)
        self._state, self.problem_type, self._resume_checkpoint = state, state.problem_type, None
        if verbosity >= 2:
            print(summary_text(state.problem_type, state.columns, describe_model(state.network_spec, state.config),
                              state.fit_info, state.fit_info.get("validation_metric", state.task.validation_metric[0]),
                              self.path, verbosity), file=sys.stderr)
        return self

    def _settings(self) -> PredictorSettings:
        return PredictorSettings(self.label_columns, self.problem_type, self.task_arguments, self.presets,
                                 self.hyperparameters, self.eval_metric, self.validation_metric)

    @staticmethod
    def _teacher(teacher: Any) -> tuple[Any, str | None]:
        """(a fitted teacher predictor's state, its saved path when it has one); a path or anything else is passed
        on as it is, to be loaded or refused by ``automm.core.distillation.resolve_teacher``."""
        if not isinstance(teacher, MultiModalPredictor):
            return teacher, None
        if teacher._state is None:
            raise ConfigError("teacher_predictor is not fitted: fit it first, or pass the path of a saved predictor.")
        return teacher._state, str(teacher.path) if (teacher.path / "predictor.json").exists() else None

    def _new_state(self, data: pd.DataFrame, presets: str | None, hyperparameters: Mapping[str, Any] | None,
                   column_types: Mapping[str, str] | None, zero_shot: bool = False) -> PredictorState:
        from .fitting.start import new_state

        return new_state(self._settings().with_overrides(presets, hyperparameters), data, column_types, zero_shot)

    # ------------------------------------------------------------------ inference
    def predict(self, data: pd.DataFrame | str | Path, **options: Any) -> pd.Series | pd.DataFrame:
        """Predictions in the label's own values, indexed like ``data``.

        ``options`` are the task's own (e.g. ``as_coco=True`` for object detection; see its ``predict_options``).
        """
        frame = self._read(data)
        state = self._ready(frame)
        accepted = state.task.predict_options
        unknown = [name for name in options if name not in accepted]
        if unknown:
            raise ConfigError(f"predict() got unexpected argument(s) {unknown} for a {state.problem_type} predictor."
                              f"{did_you_mean(unknown[0], accepted)} It accepts: {list(accepted)}.")
        return state.task.predict_rows(self._outputs(state, self._features(frame, "data", state)), frame, **options)

    def predict_proba(self, data: pd.DataFrame | str | Path) -> pd.DataFrame:
        """Class probabilities, one column per class."""
        frame = self._read(data)
        state = self._ready(frame)
        if not state.task.has_proba:
            raise ConfigError(f"A {state.problem_type} predictor has no class probabilities; predict() gives "
                              "its outputs with their scores.")
        return state.task.predict_proba(self._outputs(state, self._features(frame, "data", state)), frame.index)

    def extract_embedding(self, data: pd.DataFrame | str | Path, signature: str | None = None) -> np.ndarray:
        """The fused representation of each row, ``[rows, embedding_size]``.

        A matching predictor embeds one side at a time: ``signature="query"`` or ``"response"``.
        """
        frame = self._read(data)
        state = self._ready(frame)
        if not state.task.has_embeddings:
            raise ConfigError(f"A {state.problem_type} predictor has no row embeddings.")
        from .embedding import embed_side

        return embed_side(state, frame, signature)

    def search(self, queries: pd.DataFrame | np.ndarray | str | Path, corpus: pd.DataFrame | np.ndarray | str | Path,
               top_k: int = 10, corpus_chunk_size: int = 8192) -> pd.DataFrame:
        """The ``top_k`` corpus rows most similar to each query, for a matching predictor.

        ``queries`` / ``corpus`` are tables with the query / response columns, or embeddings from
        ``extract_embedding``. The corpus is embedded and scored chunk by chunk, so memory stays bounded.
        Returns one row per hit: ``query`` and ``corpus`` (index labels of the inputs), ``rank``, ``score``.

        Example:
            >>> hits = predictor.search(questions, answers, top_k=5)
        """
        frame = queries if isinstance(queries, np.ndarray) else self._read(queries, "queries")
        state = self._ready(frame if isinstance(frame, pd.DataFrame) else None)
        from .embedding import search

        return search(state, frame, corpus, top_k, corpus_chunk_size)

    def evaluate(self, data: pd.DataFrame | str | Path, metrics: str | Sequence[str] | None = None,
                 return_pred: bool = False) -> dict[str, float] | tuple[dict[str, float], Any]:
        """Metrics on labelled ``data``: those ``metrics`` names (AutoGluon's names and aliases too, keyed as
        spelled), else ``eval_metric`` first and then the task's other defaults.

        With ``return_pred=True`` returns ``(scores, predictions)``, the predictions as ``predict`` gives them.
        """
        from .inference import state_scores

        frame = labelled_rows(self._read(data, "evaluation data"), self.label_columns, "evaluation data")
        state = self._ready(frame)
        scores, outputs = state_scores(state, self._features(frame, "evaluation data", state),
                                       encode_targets(state.task, state.label_columns, frame),
                                       ([metrics] if isinstance(metrics, str) else list(metrics)) if metrics else None,
                                       self._progress, keep_outputs=return_pred)
        return (scores, state.task.predict_rows(outputs, frame)) if return_pred else scores

    def _read(self, data: Any, role: str = "data") -> pd.DataFrame:
        return read_rows(data, role, self.problem_type)

    def _outputs(self, state: PredictorState, features: pd.DataFrame) -> np.ndarray | list[Any]:
        from .inference import state_outputs

        return state_outputs(state, features, self._progress)

    @property
    def _progress(self) -> bool | None:
        """Progress bars over many batches (None: when there are several) unless ``verbosity`` < 2."""
        return None if self.verbosity >= 2 else False

    def _features(self, frame: pd.DataFrame, role: str, state: PredictorState) -> pd.DataFrame:
        return feature_rows(frame, state.feature_columns, state.task, role, state.config.env.realtime_max_rows)

    def _ready(self, frame: pd.DataFrame | None) -> PredictorState:
        """The fitted state; a task that works zero-shot builds its pretrained model from ``frame``'s columns."""
        if self._state is None and self.problem_type and task_class(self.problem_type).predicts_before_fit:
            self._state = self._new_state(pd.DataFrame() if frame is None else frame, None, None, None, zero_shot=True)
        return self.state

    # ------------------------------------------------------------------ state, save, load
    @property
    def state(self) -> PredictorState:
        if self._state is None:
            raise NotFittedError("This predictor is not fitted yet: call fit(...) or MultiModalPredictor.load(path).")
        return self._state

    @property
    def column_types(self) -> dict[str, str]:
        return {c: d.type.value for c, d in self.state.columns.items()}

    def describe_columns(self) -> str:
        """What type each column was given, and why."""
        return describe_column_types(self.state.columns)

    @property
    def class_labels(self) -> list[Any] | None:
        return getattr(self.state.task, "classes", None)

    @property
    def fit_summary(self) -> dict[str, Any]:
        return dict(self.state.fit_info)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the predictor (JSON + safetensors + tokenizer) to ``path`` atomically."""
        from .persistence import save_state

        target = Path(path) if path is not None else self.path
        save_state(self.state, target)
        return target

    @classmethod
    def load(cls, path: str | Path, resume: bool = False, verbosity: int = DEFAULT_VERBOSITY) -> MultiModalPredictor:
        """Load a saved predictor offline; ``resume=True`` continues a fit that was killed."""
        require_training_stack("load a predictor")
        from .fitting.loading import resume_point, saved_state

        path, verbosity = Path(path), check_verbosity(verbosity)
        state, checkpoint = resume_point(path) if resume else (saved_state(path), None)
        choice = state.task.chosen_metrics
        predictor = cls(label=state.label_columns or None, problem_type=state.problem_type, path=path,
                        verbosity=verbosity, eval_metric=choice and choice.eval_metric,
                        validation_metric=choice and choice.validation_metric)
        predictor._state, predictor._resume_checkpoint = state, checkpoint
        return predictor

    def __repr__(self) -> str:
        fitted = "fitted" if self._state is not None else "not fitted"
        return f"MultiModalPredictor(label={self.label_columns}, problem_type={self.problem_type!r}, {fitted})"
