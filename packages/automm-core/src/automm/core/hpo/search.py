"""Run a hyperparameter search on Ray Tune and save its best trial as the predictor at the given path."""

from __future__ import annotations

import logging
import math
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import presets as preset_registry
from ..config import Config
from ..discovery import fitted_problem_type, task_class
from ..errors import ConfigError, InputError, MissingExtraError
from ..fitting.settings import FitOptions, FitRows, PredictorSettings
from ..metric_choice import tracked
from ..persistence import PREDICTOR_FILE, check_save_target, load_state, save_state
from ..state import PredictorState
from ..tasks import Task
from ..training.budget import Deadline
from .options import TuneOptions, preset_search_space, preset_tune_options, split_hpo_preset
from .spaces import INSTALL_HINT, Space, check_spaces, require_tune, split_spaces
from .trial import FINISHED, SCORE, TrialJob, run_trial, trial_folder

logger = logging.getLogger("automm")
# Kept from a time_limit for loading the best trial and saving it at the predictor's path.
COPY_RESERVE_SECONDS = 5.0
COPY_RESERVE_FRACTION = 0.05
# Trials end this long before Tune's time budget, so their last report arrives before Tune stops them.
REPORT_MARGIN_SECONDS = 2.0
TUNE_LOGGERS = ("ray", "ray.tune", "ray.train", "optuna")
NEW_OUTPUT = "RAY_AIR_NEW_OUTPUT"


def wants_search(presets: str | None, hyperparameters: Mapping[str, Any], tune_kwargs: Any) -> bool:
    """Whether a fit is a search: tune kwargs given, an ``*_hpo`` preset, or a search space in the hyperparameters."""
    return tune_kwargs is not None or split_hpo_preset(presets)[1] or bool(split_spaces(hyperparameters)[1])


def search(settings: PredictorSettings, path: Path, rows: FitRows, deadline: Deadline,
           tune_kwargs: Mapping[str, Any] | None, options: FitOptions) -> PredictorState:
    """Search, then save the best trial at ``path`` and return its state.

    ``settings`` carry the presets and hyperparameters (search spaces included) of the whole call; ``options``
    the fit's ``column_types``, ``holdout_frac``, ``seed`` and ``verbosity``. Everything is checked (data, names
    and values of the spaces, tune kwargs) before Ray starts.
    """
    check_save_target(path)
    labels = rows.train[settings.label_columns]
    problem_type = fitted_problem_type(settings.problem_type, labels)
    task = task_class(problem_type).fit(labels, problem_type, settings.task_arguments)
    metric, mode = objective(task, settings, problem_type)
    preset, config, fixed, spaces, tune_options = _plan(problem_type, settings.presets, settings.hyperparameters,
                                                        tune_kwargs)
    check_spaces(config, fixed, spaces, configure=task.configure)
    root = _trials_root(path)
    tune = require_tune()
    started_ray = _init_ray(options.verbosity)
    try:
        reserve = _copy_reserve(deadline)
        job = TrialJob(
            settings=replace(settings, problem_type=problem_type, presets=preset, hyperparameters=fixed),
            options=FitOptions(column_types=dict(options.column_types) if options.column_types else None,
                               holdout_frac=options.holdout_frac, seed=options.seed, verbosity=0),
            root=str(root), working_dir=os.getcwd(),
            deadline=deadline.on_wall_clock(less=reserve + REPORT_MARGIN_SECONDS))
        started = time.monotonic()
        with _tune_output(options.verbosity) as verbose:
            tuner = _tuner(tune, job, rows, spaces, tune_options, mode,
                           deadline.remaining() - reserve if deadline.limited else None, options.seed, verbose,
                           _max_reports(config, fixed, spaces))
            results = tuner.fit()
        trials = _trials_table(results, spaces, root)
        best = _best(trials, mode == "max", results)
        _save_best(best, trials, tune_options, time.monotonic() - started, path)
        if options.verbosity >= 2:
            print(_trials_text(trials, best, metric), file=sys.stderr)
    finally:
        if started_ray:
            import ray

            ray.shutdown()
        if not tune_options.keep_trials:
            shutil.rmtree(root, ignore_errors=True)
    return load_state(path)


def objective(task: Task, settings: PredictorSettings, problem_type: str) -> tuple[str, str]:
    """(metric, "max" or "min") the search optimises: each trial's final validation score, of the metric its fit
    tracks (``validation_metric=``, else ``eval_metric=``, else the task's default)."""
    task.chosen_metrics = settings.metric_choice(problem_type)
    metric, greater_is_better = tracked(task)
    return metric, "max" if greater_is_better else "min"


def _plan(problem_type: str, presets: str | None, hyperparameters: Mapping[str, Any],
          tune_kwargs: Mapping[str, Any] | None) -> tuple[str | None, Config, dict[str, Any], dict[str, Space],
                                                          TuneOptions]:
    """(base preset, its config, fixed values, spaces, options): an ``*_hpo`` preset adds its space and options
    under the caller's."""
    preset, is_hpo = split_hpo_preset(presets)
    config = preset_registry.resolve(problem_type, preset)
    fixed, spaces = split_spaces(hyperparameters)
    if is_hpo:
        defaults = split_spaces(preset_search_space(config))[1]
        spaces = {**{k: v for k, v in defaults.items() if k not in fixed}, **spaces}
        tune_kwargs = {**preset_tune_options(preset), **(tune_kwargs or {})}
    _check_plan(spaces, tune_kwargs)
    return preset, config, fixed, spaces, TuneOptions.parse(tune_kwargs or {})


def _save_best(best: dict[str, Any], trials: list[dict[str, Any]], options: TuneOptions, seconds: float,
               path: Path) -> None:
    """Save the best trial's predictor at ``path`` (atomically), the search and its trials table in its fit_info."""
    state = load_state(Path(best["folder"]))
    state.fit_info = {**state.fit_info, "hpo": {
        "searcher": options.searcher, "scheduler": options.scheduler, "num_trials": options.num_trials,
        "best_trial": best["trial"], "best_config": best["config"], "seconds": seconds,
        "trials": [{k: v for k, v in t.items() if k != "folder" or options.keep_trials} for t in trials]}}
    save_state(state, path)


def _check_plan(spaces: Mapping[str, Space], tune_kwargs: Mapping[str, Any] | None) -> None:
    if tune_kwargs is not None and not spaces:
        raise ConfigError("hyperparameter_tune_kwargs was given but hyperparameters holds no search space: add one, "
                          'e.g. hyperparameters={"optim.lr": {"loguniform": [1e-5, 1e-3]}} (or tune.loguniform), '
                          "or drop hyperparameter_tune_kwargs for a plain fit.")
    if tune_kwargs is None:
        raise ConfigError(f"hyperparameters holds search spaces ({sorted(spaces)}) but no "
                          'hyperparameter_tune_kwargs: pass e.g. hyperparameter_tune_kwargs={"num_trials": 8} to '
                          "search, or a fixed value for each hyperparameter.")


def _trials_root(path: Path) -> Path:
    """``<path>.hpo``, absolute: trial processes start elsewhere (and on a cluster, on other machines)."""
    root = path.resolve().parent / f"{path.name}.hpo"
    if root.exists() and any(root.iterdir()):
        raise ConfigError(f"{str(root)!r} holds an earlier search's trials (kept with keep_trials=True): remove it, "
                          "or fit to another path.")
    return root


def _init_ray(verbosity: int) -> bool:
    """Start a local Ray when none is running (a cluster joined with ``ray.init(address=...)`` is used as is)."""
    import ray

    if ray.is_initialized():
        return False
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=verbosity >= 3,
             logging_level=logging.INFO if verbosity >= 3 else logging.ERROR)
    return True


@contextmanager
def _tune_output(verbosity: int) -> Iterator[int]:
    """Ray Tune's and Optuna's console output only at verbosity 3 or more; yields Tune's ``verbose`` level."""
    loud = verbosity >= 3
    saved_levels = {name: logging.getLogger(name).level for name in TUNE_LOGGERS}
    saved_output = os.environ.get(NEW_OUTPUT)
    optuna_verbosity = _optuna_verbosity(None if loud else logging.WARNING)
    if not loud:
        for name in TUNE_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        os.environ[NEW_OUTPUT] = "0"  # Tune's newer console output ignores verbose=0
    try:
        yield 2 if loud else 0
    finally:
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        _optuna_verbosity(optuna_verbosity)
        if saved_output is None:
            os.environ.pop(NEW_OUTPUT, None)
        else:
            os.environ[NEW_OUTPUT] = saved_output


def _copy_reserve(deadline: Deadline) -> float:
    """Seconds kept from the deadline for loading the best trial and saving it; refused when nothing is left."""
    if not deadline.limited:
        return 0.0
    reserve = COPY_RESERVE_SECONDS + COPY_RESERVE_FRACTION * deadline.seconds
    if deadline.remaining() - reserve <= 0:
        raise ConfigError(f"time_limit={deadline.seconds} s leaves no time to search after reading the data and "
                          "starting Ray: raise it.")
    return reserve


def _optuna_verbosity(level: int | None) -> int | None:
    """Set Optuna's log level (it configures its own logger on first use); returns the previous one."""
    try:
        import optuna
    except ImportError:  # the random searcher needs no optuna
        return None
    previous = optuna.logging.get_verbosity()
    if level is not None:
        optuna.logging.set_verbosity(level)
    return previous


def _tuner(tune: Any, job: TrialJob, rows: FitRows, spaces: Mapping[str, Space],
           options: TuneOptions, mode: str, budget: float | None, seed: int, verbose: int,
           max_reports: int) -> Any:
    import ray

    gpus = options.gpus_per_trial
    if gpus is None:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    trainable = tune.with_resources(tune.with_parameters(run_trial, job=job, rows=rows),
                                    {"cpu": options.cpus_per_trial, "gpu": gpus})
    tune_config = tune.TuneConfig(metric=SCORE, mode=mode,
                                  num_samples=options.num_trials, search_alg=_searcher(options, seed),
                                  scheduler=_scheduler(options, max_reports), time_budget_s=budget)
    run_config = tune.RunConfig(name="tune", storage_path=str(Path(job.root)), verbose=verbose,
                                failure_config=tune.FailureConfig(max_failures=0))
    return tune.Tuner(trainable, param_space={k: s.to_tune() for k, s in spaces.items()}, tune_config=tune_config,
                      run_config=run_config)


def _searcher(options: TuneOptions, seed: int) -> Any:
    if options.searcher == "random":
        from ray.tune.search.basic_variant import BasicVariantGenerator

        return BasicVariantGenerator(**{"random_state": seed, **options.searcher_init_args})
    try:
        from optuna.samplers import TPESampler
        from ray.tune.search.optuna import OptunaSearch
    except ImportError as err:
        raise MissingExtraError(f'searcher="bayes" runs on Optuna, which is not installed: {INSTALL_HINT}.') from err
    # TPE models the scores once a third of the trials (at least 2) have run; Optuna's default waits for 10.
    startup = max(2, options.num_trials // 3)
    arguments = dict(options.searcher_init_args)
    if "sampler" not in arguments:
        arguments["sampler"] = TPESampler(n_startup_trials=startup, seed=seed)
    return OptunaSearch(**arguments)


def _scheduler(options: TuneOptions, max_reports: int) -> Any:
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    # ASHA's time unit is the number of scores a trial has reported; it stops any trial reaching max_t.
    arguments = options.scheduler_init_args
    if options.scheduler == "ASHA":
        return ASHAScheduler(**{"grace_period": 1, "max_t": max_reports, **arguments})
    return FIFOScheduler(**arguments)


def _max_reports(config: Config, fixed: Mapping[str, Any], spaces: Mapping[str, Space]) -> int:
    """The most scores a trial can report: one per validation (the largest epochs x checks searched) and its last."""
    def largest(key: str, default: int) -> int:
        if key in spaces:
            return int(max(spaces[key].edge_values() or [default]))
        return int(fixed.get(key, default))

    epochs = largest("optim.max_epochs", config.optim.max_epochs)
    return epochs * largest("optim.val_checks_per_epoch", config.optim.val_checks_per_epoch) + 1


def _trials_table(results: Any, spaces: Mapping[str, Space], root: Path) -> list[dict[str, Any]]:
    """One row per trial: its sampled config, last score, seconds, status, and folder.

    "stopped": ASHA stopped it, or the time limit came first (a trial cut before its first report has no score, and
    Tune's folder name stands in for its id).
    """
    rows = []
    for result in results:
        metrics, config = result.metrics or {}, result.config or {}
        trial = str(metrics.get("trial_id") or Path(result.path).name)
        folder = trial_folder(str(root), trial)
        finished = bool(metrics.get(FINISHED)) and (folder / PREDICTOR_FILE).exists()
        status = "failed" if result.error is not None else ("completed" if finished else "stopped")
        score = metrics.get(SCORE)
        rows.append({"trial": trial, "config": {k: _plain(config[k]) for k in spaces if k in config},
                     "score": float(score) if score is not None else math.nan,
                     "seconds": float(metrics.get("time_total_s", math.nan)),
                     "validations": int(metrics.get("training_iteration", 0)), "status": status,
                     **({"error": _first_line(result.error)} if result.error is not None else {}),
                     "folder": str(folder)})
    return rows


def _best(trials: list[dict[str, Any]], greater_is_better: bool, results: Any) -> dict[str, Any]:
    done = [t for t in trials if t["status"] == "completed" and math.isfinite(t["score"])]
    if not done:
        errors = [r.error for r in results if r.error is not None]
        detail = f" The first trial error: {errors[0]!r}" if errors else ""
        raise InputError(f"No trial finished with a validation score ({len(trials)} started): raise time_limit or "
                         f"lower num_trials.{detail}")
    return sorted(done, key=lambda t: t["score"], reverse=greater_is_better)[0]


def _trials_text(trials: list[dict[str, Any]], best: dict[str, Any], metric: str) -> str:
    counts = {status: sum(t["status"] == status for t in trials) for status in ("completed", "stopped", "failed")}
    lines = [f"AutoMM search: {len(trials)} trial(s), " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    for t in trials:
        mark = "*" if t is best else " "
        lines.append(f" {mark} {t['trial']:<12} {t['status']:<9} {metric} {t['score']:.4f}  {t['seconds']:7.1f} s  "
                     + ", ".join(f"{k}={v!r}" for k, v in t["config"].items()))
    return "\n".join(lines)


def _first_line(error: BaseException) -> str:
    """The last line of a trial's error (Ray wraps the trial's own exception in its traceback)."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a sampled value (numpy scalars become Python numbers)."""
    return value.item() if hasattr(value, "item") else value
