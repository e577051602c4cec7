"""The rule-version check of automm-core's base, with the runtime's error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from automm.core.base.rules import check_rule_version
from automm.core.errors import RuleVersionError

from ..errors import DeployError


def require_rules(family: str, recipe: Mapping[str, Any]) -> None:
    """Refuse ``recipe`` (a processors.json part) unless this runtime implements its rule version.

    Raises:
        DeployError: the rules are newer (upgrade) or old ones no version implements (save and export again).
    """
    try:
        check_rule_version(family, recipe)
    except RuleVersionError as err:
        raise DeployError(f"processors.json: {err}") from err
