"""AutoGluon-MM's ``presets="multilingual"`` sets a text backbone: detection reads none, so it is refused."""

from __future__ import annotations

import pytest

from automm.core.errors import ConfigError
from automm.core.presets import resolve


def test_multilingual_preset_is_refused_for_detection() -> None:
    with pytest.raises(ConfigError, match="Preset 'multilingual' sets the text backbone, which problem_type "
                                          "'object_detection' does not read"):
        resolve("object_detection", "multilingual")
