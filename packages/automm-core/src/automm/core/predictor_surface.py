"""AutoGluon-MM's properties and methods of ``MultiModalPredictor`` that automm answers from its own state."""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import check_verbosity
from .errors import ConfigError

if TYPE_CHECKING:
    from .state import PredictorState


class FitSummary(dict):
    """The fit's summary dict; also callable, as AutoGluon-MM's ``fit_summary(verbosity=0, show_plot=False)``.

    Example:
        >>> predictor.fit_summary["best_score"] == predictor.fit_summary()["best_score"]
        True
    """

    def __call__(self, verbosity: int = 0, show_plot: bool = False) -> dict[str, Any]:
        """This summary as a plain dict. ``show_plot=True`` plots the validation scores when the fit recorded
        them (``automm.classify.plots`` draws the training curves of a saved predictor); ``verbosity`` > 0 prints
        the summary."""
        if verbosity > 0:
            print("\n".join(f"{key}: {value}" for key, value in self.items()))
        if show_plot:
            _plot_scores(self)
        return dict(self)


def _plot_scores(summary: dict[str, Any]) -> None:
    """The fit's validation scores, as bars."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("fit_summary(show_plot=True) draws with matplotlib, which is not installed: "
                          "pip install matplotlib.") from None

    scores = {name: value for name, value in summary.items() if "score" in name and isinstance(value, (int, float))}
    figure, axis = plt.subplots(figsize=(5, 3))
    axis.bar(list(scores), list(scores.values()))
    axis.set_ylabel("validation score")
    figure.tight_layout()
    plt.show()


class AutoGluonSurface:
    """Mixed into ``MultiModalPredictor``: AutoGluon-MM's spellings of what an automm predictor holds."""

    label_columns: list[str]
    task_arguments: dict[str, Any]
    problem_type: str | None
    path: Path
    verbosity: int
    _state: PredictorState | None
    _runtime: Any

    if TYPE_CHECKING:
        @property
        def state(self) -> PredictorState: ...

        @property
        def class_labels(self) -> list[Any] | None: ...

    # ------------------------------------------------------------------ properties
    @property
    def label(self) -> str | list[str] | None:
        """The label column (a list when there are several; None for a task without labels)."""
        if not self.label_columns:
            return None
        return self.label_columns[0] if len(self.label_columns) == 1 else list(self.label_columns)

    @property
    def query(self) -> str | list[str] | None:
        """A matching predictor's query column(s)."""
        return self._side("query")

    @property
    def response(self) -> str | list[str] | None:
        """A matching predictor's response column(s)."""
        return self._side("response")

    @property
    def match_label(self) -> Any:
        """The label value meaning "match" (given, or found in the labels at fit)."""
        if self._state is not None and hasattr(self._state.task, "match_label"):
            return self._state.task.match_label  # type: ignore[attr-defined]
        return self.task_arguments.get("match_label")

    def _side(self, side: str) -> str | list[str] | None:
        sides = getattr(self._state.task, "sides", None) if self._state is not None else None
        columns = sides.get(side) if isinstance(sides, dict) else self.task_arguments.get(side)
        if isinstance(columns, (list, tuple)) and len(columns) == 1:
            return columns[0]
        return list(columns) if isinstance(columns, (list, tuple)) else columns

    @property
    def classes(self) -> list[Any] | None:
        """The class labels (detection: the object classes); the same as ``class_labels``."""
        return self.class_labels

    @property
    def positive_class(self) -> Any:
        """A binary predictor's positive class: the second of its two sorted classes (``predict_proba``'s last
        column). Raises ``ConfigError`` for a predictor without exactly two classes."""
        classes = self.class_labels
        if not classes or len(classes) != 2 or len(self.state.label_columns) != 1:
            raise ConfigError(f"positive_class is defined for binary predictors (two classes in one label column); "
                              f"this {self.state.problem_type} predictor has classes {classes}.")
        return classes[1]

    @property
    def problem_property(self) -> Any:
        """The problem type's properties (supported metrics, default metric...): ``PROBLEM_TYPES_REG``'s entry for
        ``problem_type``; None while it is not settled (none given, or ``"classification"`` before fit)."""
        from .problem_types import PROBLEM_TYPES_REG

        return PROBLEM_TYPES_REG.get(self.problem_type) if self.problem_type in PROBLEM_TYPES_REG else None

    @property
    def total_parameters(self) -> int:
        """Number of parameters of the network."""
        return sum(p.numel() for p in self.state.net.parameters())

    @property
    def trainable_parameters(self) -> int:
        """Number of parameters a fit updates."""
        return sum(p.numel() for p in self.state.net.parameters() if p.requires_grad)

    @property
    def model_size(self) -> float:
        """Size of the network's parameters and buffers in megabytes (2**20 bytes), as AutoGluon-MM counts it."""
        tensors = [*self.state.net.parameters(), *self.state.net.buffers()]
        return sum(t.numel() * t.element_size() for t in tensors) / 2**20

    # ------------------------------------------------------------------ settings after fit or load
    def set_verbosity(self, verbosity: int) -> None:
        """0 prints nothing ... 4 everything (see the class docstring)."""
        self.verbosity = check_verbosity(verbosity)

    def get_num_gpus(self) -> int:
        """GPUs the next fit uses (``env.devices`` on a GPU accelerator; 0 on the CPU)."""
        env = self.state.config.env
        if env.accelerator == "cpu":
            return 0
        if env.accelerator == "auto":
            import torch

            return min(env.devices, torch.cuda.device_count())
        return env.devices

    def set_num_gpus(self, num_gpus: int) -> None:
        """Use ``num_gpus`` GPUs from now on: 0 runs on the CPU, 1 or more on CUDA (several: DDP while fitting),
        -1 every GPU. As in AutoGluon-MM, asking for more GPUs than the machine has uses those it has (none: the
        CPU), with a warning.

        The network moves to the device at once, so a loaded predictor predicts there.
        """
        import torch

        if not isinstance(num_gpus, int) or isinstance(num_gpus, bool) or num_gpus < -1:
            raise ConfigError(f"set_num_gpus() takes a whole number of GPUs (0 for the CPU, -1 for all), got "
                              f"{num_gpus!r}.")
        available = torch.cuda.device_count()
        if num_gpus > available:
            warnings.warn(f"set_num_gpus({num_gpus}): this machine has {available} CUDA GPU(s); using "
                          f"{available or 'the CPU'}.", UserWarning, stacklevel=2)
        num_gpus = available if num_gpus == -1 else min(num_gpus, available)
        state = self.state
        env = dataclasses.replace(state.config.env, accelerator="gpu" if num_gpus else "cpu",
                                  devices=max(1, num_gpus))
        state.config = dataclasses.replace(state.config, env=env)
        state.net.to("cuda" if num_gpus else "cpu")

    @staticmethod
    def list_supported_models(pretrained: bool = True) -> list[str]:
        """Names ``model.image.checkpoint`` accepts: timm's architectures (those with pretrained weights, by
        default; without timm's ``.tag`` suffixes).

        ``model.text.checkpoint`` takes any Hugging Face model name or local folder; the presets use
        ``automm.core.config.MINILM_L6`` and friends (see ``automm.core.presets``).
        """
        import timm

        return sorted({name.split(".")[0] for name in timm.list_models(pretrained=pretrained)})

    def dump_model(self, save_path: str | Path | None = None) -> list[Path]:
        """Write the fine-tuned backbones as ``save_path/hf_text`` and ``save_path/timm_image`` (default
        ``<predictor path>/model_dump``), to start another predictor from: see ``automm.core.model_dump``."""
        from .model_dump import dump_backbones

        return dump_backbones(self.state, Path(save_path) if save_path is not None else self.path / "model_dump")

    def optimize_for_inference(self, providers: Sequence[str] | None = None) -> Any:
        """Export the network to ONNX (``automm-deploy``) and answer ``predict``/``predict_proba`` with onnxruntime.

        ``providers``: onnxruntime execution providers; the device is chosen from them ("tensorrt", "cuda" or
        the CPU; None: CUDA when torch sees a GPU). The exported folder lives in a temporary directory for this
        process; to keep one, run ``automm-deploy export`` and ``automm.deploy.load(folder)``. Returns the runtime
        predictor, used until the next ``fit``.
        """
        try:
            from automm.deploy import export, load
        except ImportError:
            raise ConfigError("optimize_for_inference() exports with automm-deploy, which is not installed: "
                              "pip install 'automm-deploy[export]'.") from None
        folder = Path(tempfile.mkdtemp(prefix="automm-onnx-")) / "exported"
        export(self, folder)
        self._runtime = load(folder, device=_device(providers))
        return self._runtime


def _device(providers: Sequence[str] | None) -> str:
    """automm-deploy's device for onnxruntime ``providers`` (AutoGluon-MM's argument)."""
    if providers is None:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    names = [p if isinstance(p, str) else p[0] for p in providers]
    if "TensorrtExecutionProvider" in names:
        return "tensorrt"
    return "cuda" if "CUDAExecutionProvider" in names else "cpu"
