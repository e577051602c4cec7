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
from .discovery import canonical_problem_type, read_rows, task_class
from .errors import ConfigError, NotFittedError, require_training_stack
from .fitting.settings import FitOptions, PredictorSettings, constructor_shortcuts, fit_shortcuts
from .predictor_surface import AutoGluonSurface, FitSummary
from .returns import positive_column, returned, wants_pandas
from .suggest import did_you_mean
from .utils import apply_id_mappings

if TYPE_CHECKING:
    from .state import PredictorState

# torch, Lightning and the network code load on first fit, load or predict: importing the predictor stays fast.
logger = logging.getLogger("automm")


class MultiModalPredictor(AutoGluonSurface):
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

    AutoGluon-MM's spellings are accepted too (``docs/migration``): ``problem_type="classification"`` (binary or
    multiclass, from the labels) or ``"named_entity_recognition"``, in any case; ``pretrained=False`` (random
    backbone weights); ``enable_progress_bar=False``; ``ensemble_mode="one_shot"``. Arguments after
    ``problem_type`` are keyword-only (AutoGluon-MM's third positional is ``query``). ``path`` is a ``Path``:
    write ``str(predictor.path)`` where a string is needed.
    """

    def __init__(self, label: str | Sequence[str] | None = None, problem_type: str | None = None, *,
                 path: str | Path | None = None, presets: str | None = None,
                 hyperparameters: Mapping[str, Any] | str | list[str] | None = None, eval_metric: str | None = None,
                 verbosity: int = DEFAULT_VERBOSITY, use_ensemble: bool | None = None,
                 ensemble_size: int | None = None, ensemble_mode: str | None = None, pretrained: bool | None = None,
                 enable_progress_bar: bool | None = None, warn_if_exist: bool | None = None,
                 validation_metric: str | None = None, **task_arguments: Any):
        problem_type = canonical_problem_type(problem_type)
        shortcuts = {"ensemble.enabled": use_ensemble, "ensemble.size": ensemble_size,
                     **constructor_shortcuts(problem_type, pretrained, ensemble_mode)}
        settings = PredictorSettings.create(label, problem_type, presets, hyperparameters, eval_metric, shortcuts,
                                            task_arguments, validation_metric)
        self.label_columns, self.problem_type, self.task_arguments = settings.label_columns, \
            settings.problem_type, settings.task_arguments
        self.presets, self.hyperparameters, self.eval_metric = presets, settings.hyperparameters, eval_metric
        self.validation_metric = validation_metric
        self.path = Path(path) if path is not None else Path("automm_models") / time.strftime("%Y%m%d_%H%M%S")
        self.verbosity, self.enable_progress_bar = check_verbosity(verbosity), enable_progress_bar is not False
        self._state: PredictorState | None = None
        self._resume_checkpoint: Path | None = None
        self._runtime: Any = None  # onnxruntime predictor of optimize_for_inference()
        if warn_if_exist and (self.path / "predictor.json").exists():
            logger.warning("%s already holds a predictor: fit() replaces it (pass another path to keep it).",
                           self.path)

    # ------------------------------------------------------------------ fit
    def fit(self, train_data: pd.DataFrame | str | Path, tuning_data: pd.DataFrame | str | Path | None = None,
            time_limit: float | None = None, presets: str | None = None,
            hyperparameters: Mapping[str, Any] | str | list[str] | None = None,
            column_types: Mapping[str, str] | None = None,
            holdout_frac: float | None = None, seed: int = 0,
            hyperparameter_tune_kwargs: Mapping[str, Any] | None = None,
            teacher_predictor: MultiModalPredictor | str | Path | None = None, *, save_path: str | Path | None = None,
            max_num_tuning_data: int | None = None, id_mappings: Mapping[str, Any] | None = None,
            standalone: bool = True, clean_ckpts: bool = True, predictions: Any = None, labels: Any = None,
            predictors: Any = None) -> MultiModalPredictor:
        """Fit on ``train_data``; a second call continues training the current model on the new data.

        Search spaces in ``hyperparameters`` with ``hyperparameter_tune_kwargs`` (or an ``*_hpo`` preset) run a
        hyperparameter search on Ray Tune (``automm-core[hpo]``) and keep its best trial; see ``automm.core.hpo``.
        ``teacher_predictor`` (a fitted predictor or the path of a saved one, same problem type and labels) distils
        it into this one: the loss adds the teacher's soft labels (and embeddings) on the training rows, weighted
        by the ``distiller.*`` hyperparameters. What it prints follows ``verbosity`` (see ``__init__``): by default
        one progress bar and a summary.

        AutoGluon-MM's keywords: ``save_path`` (fit and save there; it becomes ``predictor.path``),
        ``max_num_tuning_data`` (``optim.max_num_tuning_data``), ``id_mappings`` (column -> {id: content}, applied
        to both tables), ``standalone=True`` and ``clean_ckpts=True`` (automm always is). The second positional
        argument is ``tuning_data`` (AutoGluon-MM's is ``presets``: pass ``presets=`` by name).

        The modes themselves live in ``automm.core.fitting``.

        Example:
            >>> predictor.fit(train, hyperparameters={"optim.lr": {"loguniform": [1e-5, 1e-3]}},
            ...               hyperparameter_tune_kwargs={"num_trials": 8, "searcher": "bayes", "scheduler": "ASHA"})
            >>> student = MultiModalPredictor(label="label", hyperparameters={"model.text.num_layers": 2})
            >>> student.fit(train, teacher_predictor=teacher)
        """
        require_training_stack("fit")
        from .autogluon_values import as_hyperparameters
        from .fit_entry import run_fit  # torch and Lightning load with the first fit
        from .training.budget import Deadline
        from .training.progress import HideProgressBar

        verbosity, deadline = check_verbosity(self.verbosity), Deadline(time_limit)
        extra = fit_shortcuts(tuning_data, max_num_tuning_data, standalone, clean_ckpts,
                              {"predictions": predictions, "labels": labels, "predictors": predictors})
        if id_mappings:
            train_data = apply_id_mappings(self._read(train_data, "train_data"), id_mappings, "train_data")
            if tuning_data is not None:
                tuning_data = apply_id_mappings(self._read(tuning_data, "tuning_data"), id_mappings, "tuning_data")
        self.path = Path(save_path) if save_path is not None else self.path
        teacher, teacher_path = self._teacher(teacher_predictor)
        hidden_bar = () if self.enable_progress_bar else (HideProgressBar(),)
        hyperparameters = as_hyperparameters(hyperparameters)  # AutoGluon-MM's dotlist string or list too
        options = FitOptions(presets, {**(hyperparameters or {}), **extra} or hyperparameters, column_types,
                             holdout_frac, seed, verbosity, callbacks=hidden_bar, teacher=teacher,
                             teacher_path=teacher_path, resume_from=self._resume_checkpoint)
        with quiet_frameworks(verbosity):
            state = run_fit(self._state, self._settings(), train_data, tuning_data, deadline, self.path, options,
                            hyperparameter_tune_kwargs)
        self._state, self.problem_type, self._resume_checkpoint, self._runtime = state, state.problem_type, None, None
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
    def predict(self, data: pd.DataFrame | dict[str, Any] | str | Path, candidate_data: Any = None,
                id_mappings: Mapping[str, Any] | None = None, as_pandas: bool | None = None,
                realtime: bool | None = None, **options: Any) -> pd.Series | pd.DataFrame | np.ndarray | Any:
        """Predictions in the label's own values, indexed like ``data``.

        ``as_pandas`` (AutoGluon-MM's): a pandas Series/DataFrame when True, a numpy array when False; by default
        numpy for a dict of columns, pandas for a DataFrame, a path or a list of images. ``realtime`` is accepted
        and needs no setting: inputs of at most ``env.realtime_max_rows`` rows always skip the DataLoader.
        ``options`` are the task's own (e.g. ``as_coco=True`` for object detection; see its ``predict_options``).
        ``candidate_data`` (zero-shot, matchers): the position of the best-matching candidate for each row.
        """
        if candidate_data is not None:
            return self._candidates(data, candidate_data, id_mappings, best=True)
        frame = apply_id_mappings(self._read(data), id_mappings)
        if self._runtime is not None and not options:
            return returned(self._runtime.predict(frame), wants_pandas(data, as_pandas))
        state = self._ready(frame)
        accepted = state.task.predict_options
        unknown = [name for name in options if name not in accepted]
        if unknown:
            raise ConfigError(f"predict() got unexpected argument(s) {unknown} for a {state.problem_type} predictor."
                              f"{did_you_mean(unknown[0], accepted)} It accepts: {list(accepted)}.")
        context = {"predictor_path": self.path} if "predictor_path" in state.task.predict_context else {}
        own_pandas = "as_pandas" in accepted  # the task shapes its own answer (detection's COCO list)
        if own_pandas and as_pandas is not None:
            options["as_pandas"] = as_pandas
        result = state.task.predict_rows(self._outputs(state, self._features(frame, "data", state)), frame,
                                         **options, **context)
        return result if own_pandas else returned(result, wants_pandas(data, as_pandas))

    def predict_proba(self, data: pd.DataFrame | dict[str, Any] | str | Path, candidate_data: Any = None,
                      id_mappings: Mapping[str, Any] | None = None, as_pandas: bool | None = None,
                      as_multiclass: bool = True, realtime: bool | None = None,
                      ) -> pd.DataFrame | pd.Series | np.ndarray:
        """Class probabilities, one column per class (with ``candidate_data``: one column per candidate).

        ``as_multiclass=False``: a binary predictor's probability of its ``positive_class`` alone (a Series, or a
        vector with ``as_pandas=False``). ``as_pandas`` and ``realtime`` as in ``predict``.
        """
        if candidate_data is not None:
            return self._candidates(data, candidate_data, id_mappings, best=False)
        frame = apply_id_mappings(self._read(data), id_mappings)
        if self._runtime is not None:
            proba = self._runtime.predict_proba(frame)
        else:
            state = self._ready(frame)
            if not state.task.has_proba:
                raise ConfigError(f"A {state.problem_type} predictor has no class probabilities; predict() gives "
                                  "its outputs with their scores.")
            proba = state.task.predict_proba(self._outputs(state, self._features(frame, "data", state)), frame.index)
        return returned(positive_column(proba, self.class_labels, as_multiclass), wants_pandas(data, as_pandas))

    def _candidates(self, data: Any, candidate_data: Any, id_mappings: Any, best: bool) -> Any:
        """Zero-shot scoring of ``data`` against ``candidate_data`` (see ``automm.core.retrieval``): numpy for a
        dict or list, pandas indexed like ``data`` for a DataFrame, as AutoGluon-MM returns them."""
        state = self._ready(None if isinstance(data, (list, tuple)) else self._read(data))
        if not state.task.signatures:
            raise ConfigError(f"candidate_data= scores rows against candidates with a matching or zero-shot "
                              f"predictor; this one is {state.problem_type!r}.")
        from .retrieval import candidate_probabilities

        probabilities, index = candidate_probabilities(state, data, candidate_data, id_mappings)
        result = probabilities.argmax(axis=1) if best else probabilities
        if index is None:
            return result
        return pd.Series(result, index=index) if best else pd.DataFrame(result, index=index)

    def extract_embedding(self, data: pd.DataFrame | Mapping[str, Any] | Sequence[Any] | str | Path,
                          signature: str | None = None, id_mappings: Mapping[str, Any] | None = None,
                          as_tensor: bool = False, as_pandas: bool = False, realtime: bool | None = None) -> Any:
        """The fused representation of each row, ``[rows, embedding_size]`` (numpy; ``as_tensor`` / ``as_pandas``
        give a torch tensor / a DataFrame).

        A matching predictor embeds one side at a time: ``signature="query"`` or ``"response"``, inferred from the
        columns of ``data`` when omitted; ``data`` may also be a list of one side's texts or image paths.
        ``id_mappings`` ({column: {id: content}}) replaces ids by their content. ``realtime`` is accepted for
        AutoGluon-MM's signature: automm picks the in-process path by itself for small inputs.
        """
        from .embedding import embed_side, embedding_output, values_frame

        values = isinstance(data, (list, tuple))
        frame = None if values else apply_id_mappings(self._read(data), id_mappings)
        state = self._ready(frame)
        if not state.task.has_embeddings:
            raise ConfigError(f"A {state.problem_type} predictor has no row embeddings.")
        if frame is None:
            frame, signature = values_frame(state, list(data), signature)
        return embedding_output(embed_side(state, frame, signature), frame.index, as_tensor, as_pandas)

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

    def evaluate(self, data: pd.DataFrame | str | Path, query_data: Any = None, response_data: Any = None,
                 id_mappings: Mapping[str, Any] | None = None, metrics: str | Sequence[str] | None = None,
                 return_pred: bool = False, chunk_size: int = 1024, similarity_type: str = "cosine",
                 cutoffs: Sequence[int] | None = None, label: str | None = None, realtime: bool | None = None,
                 eval_tool: str | None = None) -> dict[str, float] | tuple[dict[str, float], Any]:
        """Metrics on labelled ``data``: those ``metrics`` names (AutoGluon's names and aliases too, keyed as
        spelled), else ``eval_metric`` first and then the task's other defaults.

        With ``return_pred=True`` returns ``(scores, predictions)``, the predictions as ``predict`` gives them.
        A matcher given ``query_data`` and ``response_data`` ranks every response for every query instead (chunks
        of ``chunk_size`` responses, ``similarity_type`` "cosine" or "dot_prod") and returns ndcg / recall / mrr /
        map / precision at each of ``cutoffs`` (default 1, 5, 10) against ``data``'s ``label`` relevance column;
        ``id_mappings`` ({column: {id: content}}) resolves ids in any of the three tables. ``realtime`` is accepted
        as in ``predict``; ``eval_tool`` ("pycocotools" or "torchmetrics", AutoGluon-MM's detection choice) is
        accepted: automm computes COCO mAP with torchmetrics' COCO-style implementation either way.
        """
        if eval_tool not in (None, "pycocotools", "torchmetrics"):
            raise ConfigError(f"eval_tool={eval_tool!r}: AutoGluon-MM's choices are 'pycocotools' and 'torchmetrics' "
                              "(automm computes COCO mAP one way for both); leave it out.")
        from .inference import state_scores

        if query_data is not None or response_data is not None:
            return self._evaluate_ranking(data, query_data, response_data, id_mappings, metrics, return_pred,
                                          chunk_size, similarity_type, cutoffs, label)
        frame = labelled_rows(self._read(data, "evaluation data"), self.label_columns, "evaluation data")
        frame = apply_id_mappings(frame, id_mappings, "evaluation data")
        state = self._ready(frame)
        scores, outputs = state_scores(state, self._features(frame, "evaluation data", state),
                                       encode_targets(state.task, state.label_columns, frame, "evaluation data"),
                                       ([metrics] if isinstance(metrics, str) else list(metrics)) if metrics else None,
                                       self._progress, keep_outputs=return_pred)
        return (scores, state.task.predict_rows(outputs, frame)) if return_pred else scores

    def _evaluate_ranking(self, data: Any, query_data: Any, response_data: Any, id_mappings: Any, metrics: Any,
                          return_pred: bool, chunk_size: int, similarity_type: str, cutoffs: Any, label: Any,
                          ) -> dict[str, float]:
        if query_data is None or response_data is None:
            raise ConfigError("Ranking evaluation needs both query_data= and response_data= (the corpus); pass both, "
                              "or neither to score the labelled pairs in data.")
        if return_pred:
            raise ConfigError("return_pred=True is for pair evaluation; a ranking evaluation (query_data=, "
                              "response_data=) returns only the scores. Use automm.match.semantic_search for the hits.")
        state = self._ready(None)
        if not state.task.signatures:
            raise ConfigError(f"query_data= / response_data= rank a corpus for a matching predictor; this one is "
                              f"{state.problem_type!r}. Call evaluate(data) without them.")
        from .retrieval import evaluate_ranking

        return evaluate_ranking(state, data, query_data, response_data, id_mappings, label, metrics, chunk_size,
                                similarity_type, cutoffs, self.eval_metric)

    def _read(self, data: Any, role: str = "data") -> pd.DataFrame:
        return read_rows(data, role, self.problem_type)

    def _outputs(self, state: PredictorState, features: pd.DataFrame) -> np.ndarray | list[Any]:
        from .inference import state_outputs

        return state_outputs(state, features, self._progress)

    @property
    def _progress(self) -> bool | None:
        """Progress bars over many batches (None: when there are several) unless ``verbosity`` < 2 or
        ``enable_progress_bar=False``."""
        return None if self.verbosity >= 2 and self.enable_progress_bar else False

    def _features(self, frame: pd.DataFrame, role: str, state: PredictorState) -> pd.DataFrame:
        return feature_rows(frame, state.feature_columns, state.task, role, state.config.env.realtime_max_rows,
                            state.processors)

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
    def fit_summary(self) -> FitSummary:
        """What the fit recorded (a dict; also callable as AutoGluon-MM's ``fit_summary(verbosity, show_plot)``)."""
        return FitSummary(self.state.fit_info)

    def save(self, path: str | Path | None = None, standalone: bool = True) -> Path:
        """Write the predictor (JSON + safetensors + tokenizer) to ``path`` atomically.

        Every save is standalone (loads offline); ``standalone=False`` (AutoGluon-MM's) is refused.
        """
        from .persistence import save_state

        fit_shortcuts(None, None, standalone, True, {})
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

