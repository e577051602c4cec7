"""The ``automm.tasks`` entry point of automm-match."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from automm.core.tasks import TaskPlugin

from . import clip, network  # noqa: F401  (registers the "bi_encoder" and "clip" network kinds)
from .presets import PRESETS
from .task import MatchTask

try:
    _VERSION = version("automm-match")
except PackageNotFoundError:
    _VERSION = "0.0.0"

PLUGIN = TaskPlugin(
    package="automm-match",
    version=_VERSION,
    tasks={"text_similarity": MatchTask, "image_similarity": MatchTask, "image_text_similarity": MatchTask},
    presets=PRESETS,
)
