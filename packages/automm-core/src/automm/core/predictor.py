"""MultiModalPredictor: three lines from a table to a fine-tuned, saved, reloadable model."""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import presets as preset_registry
from .config import check_applicable
from .console import DEFAULT_VERBOSITY, check_verbosity, describe_model, quiet_frameworks, summary_text
from .data.column_types import describe_column_types, detect_column_types
from .data.ingest import read_table, require_columns, require_features
from .data.splitting import default_holdout_fraction, holdout_split
from .errors import ConfigError, InputError, NotFittedError, PredictorLoadError, require_training_stack
from .suggest import did_you_mean
from .tasks import infer_problem_type, task_class

if TYPE_CHECKING:
    from .state import PredictorState

# torch, Lightning and the network code load on first fit, load or predict: importing the predictor stays fast.
logger = logging.getLogger("automm")
SKELETON_DIR = "predictor"
CHECKPOINT_DIR = "checkpoints"


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
    """

    def __init__(self, label: str | Sequence[str] | None = None, problem_type: str | None = None,
                 path: str | Path | None = None, presets: str | None = None,
                 hyperparameters: Mapping[str, Any] | None = None, eval_metric: str | None = None,
                 verbosity: int = DEFAULT_VERBOSITY, use_ensemble: bool | None = None,
                 ensemble_size: int | None = None, **task_arguments: Any):
        if hyperparameters is not None and not isinstance(hyperparameters, Mapping):
            raise ConfigError(f'hyperparameters must be a dict such as {{"optim.lr": 1e-4}}, '
                              f"got {type(hyperparameters).__name__}.")
        self.task_arguments = _check_task_arguments(problem_type, task_arguments)
        if label is None and problem_type is not None:
            label = task_class(problem_type).default_label
        if label is None:
            if problem_type is None or not task_class(problem_type).labels_optional:
                raise ConfigError("label is required: the name of the column (or list of columns) to predict.")
            self.label_columns: list[str] = []
        else:
            single = isinstance(label, str) or not isinstance(label, Sequence)
            self.label_columns = [str(label)] if single else [str(c) for c in label]
            if not self.label_columns:
                raise ConfigError("label must name at least one column.")
            if len(set(self.label_columns)) < len(self.label_columns):
                raise ConfigError(f"label names a column more than once: {self.label_columns}.")
        self.problem_type = problem_type
        self.path = Path(path) if path is not None else Path("automm_models") / time.strftime("%Y%m%d_%H%M%S")
        self.presets, self.hyperparameters, self.eval_metric = presets, dict(hyperparameters or {}), eval_metric
        ensemble = {"ensemble.enabled": use_ensemble, "ensemble.size": ensemble_size}
        self.hyperparameters.update({key: value for key, value in ensemble.items() if value is not None})
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

        Example:
            >>> predictor.fit(train, hyperparameters={"optim.lr": {"loguniform": [1e-5, 1e-3]}},
            ...               hyperparameter_tune_kwargs={"num_trials": 8, "searcher": "bayes", "scheduler": "ASHA"})
            >>> student = MultiModalPredictor(label="label", hyperparameters={"model.text.num_layers": 2})
            >>> student.fit(train, teacher_predictor=teacher)
        """
        require_training_stack("fit")
        verbosity = check_verbosity(self.verbosity)
        _check_time_limit(time_limit)
        first = self._state is None or bool(self._state.fit_info.get("zero_shot"))
        with quiet_frameworks(verbosity):
            if first and self._wants_search(presets, hyperparameters, hyperparameter_tune_kwargs):
                if teacher_predictor is not None:
                    raise ConfigError("teacher_predictor cannot be combined with a hyperparameter search: distil "
                                      "into a predictor with fixed hyperparameters.")
                from .hpo.search import search

                search(self, train_data, tuning_data, time_limit, presets or self.presets,
                       {**self.hyperparameters, **(hyperparameters or {})}, hyperparameter_tune_kwargs,
                       column_types, holdout_frac, seed)
            elif hyperparameter_tune_kwargs is not None:
                raise ConfigError("hyperparameter_tune_kwargs searches on the first fit only; this predictor is "
                                  "already fitted (fit again without it to continue training).")
            else:
                self._fit(train_data, tuning_data, time_limit, presets, hyperparameters, column_types,
                          holdout_frac, seed, verbosity, teacher_predictor=teacher_predictor)
        if verbosity >= 2:
            state = self.state
            print(summary_text(state.problem_type, state.columns, describe_model(state.network_spec, state.config),
                              state.fit_info, state.task.validation_metric[0], self.path, verbosity), file=sys.stderr)
        return self

    def _wants_search(self, presets: str | None, hyperparameters: Mapping[str, Any] | None,
                      tune_kwargs: Mapping[str, Any] | None) -> bool:
        from .hpo.search import wants_search

        return wants_search(presets or self.presets, {**self.hyperparameters, **(hyperparameters or {})}, tune_kwargs)

    def _fit(self, train_data: pd.DataFrame | str | Path, tuning_data: pd.DataFrame | str | Path | None,
             time_limit: float | None, presets: str | None, hyperparameters: Mapping[str, Any] | None,
             column_types: Mapping[str, str] | None, holdout_frac: float | None, seed: int, verbosity: int,
             callbacks: Sequence[Any] = (),
             teacher_predictor: MultiModalPredictor | str | Path | None = None) -> None:
        import lightning.pytorch as pl

        from .persistence import TRAINING_DIR, check_save_target, save_state
        from .training.budget import Deadline, parameter_bytes, save_seconds
        from .training.engine import train
        from .training.peft_setup import apply_peft, merge_peft
        from .training.tricks import auxiliary_objectives, check_supported, training_processors

        _check_time_limit(time_limit)
        deadline = Deadline(time_limit)  # the whole call, reading the data and the final save included
        check_save_target(self.path)
        pl.seed_everything(seed, workers=True, verbose=False)
        data = self._labelled(self._read(train_data, "train_data"), "train_data")
        if self._state is None or self._state.fit_info.get("zero_shot"):
            state = self._new_state(data, presets, hyperparameters, column_types)
        elif presets or hyperparameters or column_types:
            raise ConfigError("presets, hyperparameters and column_types are fixed after the first fit.")
        elif self._state.network_spec.kind == "ensemble":
            raise ConfigError("An ensemble predictor cannot continue training: fit a new MultiModalPredictor "
                              "(use_ensemble=True) on all the data instead.")
        else:
            state = self._state
        if state.task.fits_directly:
            if teacher_predictor is not None:
                raise ConfigError(f"teacher_predictor does not apply to {state.problem_type}: it fits a classifier "
                                  "on frozen embeddings without gradient training. Remove teacher_predictor.")
            if holdout_frac is not None:
                raise ConfigError(f"holdout_frac does not apply to {state.problem_type}: it fits every row and "
                                  "validates itself (see its documentation). Remove holdout_frac, or pass "
                                  "tuning_data to score the fit on rows of your own.")
            if state.config.ensemble.enabled:
                logger.warning("%s fits one classifier on frozen embeddings: the ensemble setting is ignored.",
                               state.problem_type)
            self._fit_directly(state, data, tuning_data, deadline, seed)
            return
        # All input checks happen before anything is written, so bad data leaves no half-made predictor behind.
        check_supported(state.net, state.processors, state.config, state.problem_type)
        train_rows, val_rows = self._split(state, data, tuning_data, holdout_frac, seed)
        cap = state.config.optim.max_num_tuning_data
        if cap and len(val_rows) > cap:  # validation cost bounded: mAP passes are slow on large sets
            val_rows = val_rows.sample(cap, random_state=seed)
        train_set = self._encoded(state, train_rows, "train_data")
        val_set = self._encoded(state, val_rows, "tuning_data" if tuning_data is not None else "train_data")
        teacher, auxiliary = None, []
        if teacher_predictor is not None and state.config.ensemble.enabled:
            raise ConfigError("teacher_predictor cannot be combined with an ensemble (use_ensemble, or "
                              "presets='best_quality'): distil into a single model, e.g. use_ensemble=False.")
        if teacher_predictor is not None:
            from .distillation import resolve_teacher

            teacher = resolve_teacher(teacher_predictor, state, MultiModalPredictor)
            auxiliary = teacher.objectives(state, train_rows, progress=verbosity >= 2)
        workdir = self.path / TRAINING_DIR
        skeleton_seconds = None
        if self._resume_checkpoint is None:
            started = time.monotonic()
            save_state(state, workdir / SKELETON_DIR)
            skeleton_seconds = time.monotonic() - started
        extra_info = {}
        if state.config.ensemble.enabled:
            from .ensemble.fitting import fit_ensemble

            result, extra_info["ensemble"] = fit_ensemble(state, data[list(state.columns)], train_set, val_set,
                                                          workdir / CHECKPOINT_DIR, deadline, verbosity,
                                                          skeleton_seconds)
        else:
            apply_peft(state.net, state.config.optim.peft, state.config.optim.lora_rank)
            try:
                train_processors, *train_set = state.task.training_data(
                    state.net, training_processors(state.processors, state.config), *train_set, state.config)
                result = train(state.net, state.task, state.processors, tuple(train_set), val_set, state.config,
                               workdir / CHECKPOINT_DIR, deadline, resume_from=self._resume_checkpoint,
                               train_processors=train_processors, verbosity=verbosity,
                               save_seconds=save_seconds(parameter_bytes(state.net), skeleton_seconds),
                               callbacks=callbacks,
                               auxiliary=[*auxiliary, *auxiliary_objectives(state.net, state.config)])
            finally:  # a failed fit must not leave adapters that save() would write as unloadable weights
                merge_peft(state.net)
        state.net.eval()
        if state.task.calibrates:  # a forward pass only for tasks that calibrate
            state.task.calibrate(self._outputs(state, val_set[0], progress=False), val_set[1])
        self._state, self.problem_type, self._resume_checkpoint = state, state.problem_type, None
        state.fit_info = {**asdict(result), "train_rows": len(train_rows), "validation_rows": len(val_rows),
                          "seed": seed, **extra_info}
        if teacher is not None:
            state.fit_info["distillation"] = teacher.summary(state, auxiliary)
        logger.info("fit done: %s", state.fit_info)
        self.save(self.path)

    def _fit_directly(self, state: PredictorState, data: pd.DataFrame, tuning_data: Any, deadline: Any,
                      seed: int) -> None:
        """Fit a task that sets its network's weights itself (no Lightning): on every row, no holdout split."""
        val_set = None
        if tuning_data is not None:
            val_set = self._encoded(state, self._labelled(self._read(tuning_data, "tuning_data"), "tuning_data"),
                                    "tuning_data")
        train_set = self._encoded(state, data, "train_data")
        result = state.task.fit_directly(state.net, state.processors, train_set, val_set, state.config, deadline, seed)
        state.net.eval()
        self._state, self.problem_type = state, state.problem_type
        state.fit_info = {**asdict(result), "train_rows": len(data),
                          "validation_rows": 0 if val_set is None else len(val_set[0]), "seed": seed}
        logger.info("fit done: %s", state.fit_info)
        self.save(self.path)

    def _new_state(self, data: pd.DataFrame, presets: str | None, hyperparameters: Mapping[str, Any] | None,
                   column_types: Mapping[str, str] | None, zero_shot: bool = False) -> PredictorState:
        from .state import build_state

        # Zero-shot data may lack the label column(s): the task then sees them empty.
        labels = data.reindex(columns=self.label_columns) if zero_shot else data[self.label_columns]
        problem_type = self.problem_type or infer_problem_type(labels)
        task = task_class(problem_type).fit(labels, problem_type, self.task_arguments)
        task = task.for_zero_shot() if zero_shot else task
        config = preset_registry.resolve(problem_type, presets or self.presets)
        overrides = {**self.hyperparameters, **(hyperparameters or {})}
        check_applicable(overrides, type(task).config_sections, type(task).config_hints, problem_type)
        task, config = task.configure(config.override(overrides), overrides)
        if config.ensemble.enabled and task.ensemble_combine is None:
            raise ConfigError(f"use_ensemble (hyperparameter 'ensemble.enabled') is not available for problem_type "
                              f"{problem_type!r}: its outputs cannot be averaged across models. Pass "
                              "use_ensemble=False (a best_quality preset of a task that supports it turns it on).")
        inputs = task.input_columns
        if inputs is not None:
            present = [c for c in inputs if c in data.columns]
            if not zero_shot:
                why = (f"named in MultiModalPredictor({self.task_arguments})" if self.task_arguments
                       else f"the {problem_type} task reads it")
                require_columns(data, inputs, "train_data", why)
            data = data.reindex(columns=self.label_columns + present)  # zero-shot data may lack the labels
        columns = detect_column_types(data, self.label_columns, column_types)
        used = [c for c, d in columns.items() if d.type.is_used]
        if not used and inputs is None:
            raise InputError(
                "No usable feature column: every column besides the label is empty, constant or an id.\n"
                + describe_column_types(columns) + "\nSet column_types={...} to force a column's type."
            )
        logger.info("column types:\n%s", describe_column_types(columns))
        state = build_state(data[list(columns)], labels, columns, task, config, problem_type)
        if zero_shot:
            state.fit_info = {"zero_shot": True}
        return state

    def _labelled(self, data: pd.DataFrame, role: str) -> pd.DataFrame:
        """Rows with a label, keeping the caller's index; a label column that is missing or empty is an error."""
        require_columns(data, self.label_columns, role, "the label given to MultiModalPredictor")
        if len(data) == 0:
            raise InputError(f"{role} has no rows.")
        present = data[self.label_columns].notna().all(axis=1).to_numpy()
        if not present.any():
            raise InputError(f"{role}: label column(s) {self.label_columns} have no values (all missing).")
        if not present.all():
            logger.warning("%s: dropping %d row(s) with a missing label.", role, int((~present).sum()))
        return data[present]

    def _split(self, state: PredictorState, data: pd.DataFrame, tuning_data: Any, holdout_frac: float | None,
               seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        if tuning_data is not None:
            return data, self._labelled(self._read(tuning_data, "tuning_data"), "tuning_data")
        if len(data) < 2:
            raise InputError(f"train_data has {len(data)} labelled row(s); at least 2 are needed to train.")
        fraction = holdout_frac if holdout_frac is not None else default_holdout_fraction(len(data))
        if not 0 < fraction < 1:
            raise ConfigError(f"holdout_frac must be between 0 and 1, got {fraction!r}.")
        groups = state.task.stratify_key(data[self.label_columns])
        train_rows, val_rows = holdout_split(len(data), fraction, groups, seed)
        return data.iloc[train_rows], data.iloc[val_rows]

    def _encoded(self, state: PredictorState, data: pd.DataFrame, role: str) -> tuple[pd.DataFrame, np.ndarray]:
        features = self._features(data, role, state)
        return features, self._targets(state, data)

    def _targets(self, state: PredictorState, data: pd.DataFrame) -> np.ndarray:
        """The task's encoding of the labels (a task may also read its input columns, e.g. to group pairs)."""
        wanted = state.task.target_columns if state.task.target_columns is not None else self.label_columns
        return state.task.encode(data[wanted])

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

    def evaluate(self, data: pd.DataFrame | str | Path, metrics: Sequence[str] | None = None,
                 return_pred: bool = False) -> dict[str, float] | tuple[dict[str, float], Any]:
        """Metrics on labelled ``data`` (the task's defaults unless ``metrics`` names some).

        With ``return_pred=True`` returns ``(scores, predictions)``, the predictions as ``predict`` gives them.
        """
        frame = self._labelled(self._read(data, "evaluation data"), "evaluation data")
        state = self._ready(frame)
        outputs = self._outputs(state, self._features(frame, "evaluation data", state))
        scores = state.task.score(outputs, self._targets(state, frame), list(metrics) if metrics else None)
        return (scores, state.task.predict_rows(outputs, frame)) if return_pred else scores

    def _read(self, data: Any, role: str = "data") -> pd.DataFrame:
        """The user's data as a table, in the formats the problem type accepts (CSV/parquet/DataFrame at least)."""
        return task_class(self.problem_type).read_data(data, role) if self.problem_type else read_table(data, role)

    def _outputs(self, state: PredictorState, features: pd.DataFrame, progress: bool | None = None) -> np.ndarray:
        """The network's outputs; a progress bar over many batches unless ``progress`` or ``verbosity`` < 2 says no."""
        from .inference import run_network

        env = state.config.env
        return run_network(state.net, state.processors, features, env.eval_batch_size, num_workers=env.num_workers,
                           realtime_max_rows=env.realtime_max_rows, progress=progress if self.verbosity >= 2 else False)

    def _features(self, frame: pd.DataFrame, role: str, state: PredictorState | None = None) -> pd.DataFrame:
        state = state or self.state
        require_features(frame, state.feature_columns, role)
        # Processors read their columns by name: a few rows skip the sub-table (it costs more than their forward).
        small = len(frame) <= state.config.env.realtime_max_rows
        features = frame if small else frame[state.feature_columns]
        state.task.check_inputs(features, role)
        return features

    def _ready(self, frame: pd.DataFrame | None) -> PredictorState:
        """The fitted state; a task that works zero-shot builds its pretrained model from ``frame``'s columns."""
        if self._state is None and self.problem_type and task_class(self.problem_type).predicts_before_fit:
            self._state = self._new_state(frame if frame is not None else pd.DataFrame(), None, None, None,
                                          zero_shot=True)
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
        from .persistence import TRAINING_DIR, load_state

        path, verbosity = Path(path), check_verbosity(verbosity)
        if resume:
            return cls._load_for_resume(path, verbosity)
        if not (path / "predictor.json").exists() and (path / TRAINING_DIR).exists():
            raise PredictorLoadError(
                f"The fit saving to {str(path)!r} did not finish. Continue it with "
                f"MultiModalPredictor.load({str(path)!r}, resume=True).fit(train_data)."
            )
        return cls._from_state(load_state(path), path, verbosity)

    @classmethod
    def _from_state(cls, state: PredictorState, path: Path, verbosity: int) -> MultiModalPredictor:
        predictor = cls(label=state.label_columns or None, problem_type=state.problem_type, path=path,
                        verbosity=verbosity)
        predictor._state = state
        return predictor

    @classmethod
    def _load_for_resume(cls, path: Path, verbosity: int) -> MultiModalPredictor:
        from .persistence import TRAINING_DIR, load_state
        from .training.checkpoint_io import latest_readable_checkpoint

        predictor = cls._from_state(load_state(path / TRAINING_DIR / SKELETON_DIR), path, verbosity)
        predictor._resume_checkpoint = latest_readable_checkpoint(path / TRAINING_DIR / CHECKPOINT_DIR)
        if predictor._resume_checkpoint is None:
            logger.warning("No usable checkpoint under %s: fit will start again from the saved start.", path)
        return predictor

    def __repr__(self) -> str:
        fitted = "fitted" if self._state is not None else "not fitted"
        return f"MultiModalPredictor(label={self.label_columns}, problem_type={self.problem_type!r}, {fitted})"


def _check_time_limit(time_limit: Any) -> None:
    if time_limit is not None and not (isinstance(time_limit, Real) and not isinstance(time_limit, bool)
                                       and math.isfinite(time_limit) and time_limit > 0):
        raise ConfigError(f"time_limit must be a positive number of seconds (or None for no limit), "
                          f"got {time_limit!r}.")


def _check_task_arguments(problem_type: str | None, arguments: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments a task reads (``query=``, ``response=``...), checked against the task's list."""
    accepted = task_class(problem_type).arguments if problem_type is not None else ()
    unknown = [name for name in arguments if name not in accepted]
    if unknown and problem_type is None:
        raise ConfigError(f"MultiModalPredictor got argument(s) {unknown} that belong to a task: pass problem_type "
                          "as well, e.g. problem_type='text_similarity' with query= and response=.")
    if unknown:
        raise ConfigError(f"MultiModalPredictor got unexpected argument(s) {unknown} for problem_type "
                          f"{problem_type!r}.{did_you_mean(unknown[0], accepted)} It accepts: {list(accepted)}.")
    return dict(arguments)
