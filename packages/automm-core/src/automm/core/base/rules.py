"""Integer versions of the prediction-time rules, one per rule family, as processors.json stores them.

A rule family is what one processor kind does at prediction time (read, decode, resize, tokenize, encode, ...).
Its version is bumped whenever that behaviour changes; the torch predictor and the ONNX runtime (automm-deploy)
check it at load and refuse a version they do not implement, instead of comparing prose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from automm.core.errors import RuleVersionError

from .legacy import legacy_rule_version

RULE_VERSION_KEY = "rule_version"
RULE_VERSIONS: dict[str, int] = {
    "image": 1,  # cells, decode, shorter-side resize, centre crop, normalise, slots (base/images.py)
    "text": 1,  # join, longest-first truncation, padding, has-text (base/text.py)
    "numerical": 1,  # median imputation, quantile-normal / standard (base/tabular.py)
    "categorical": 1,  # category strings, unknown id 0 (base/tabular.py)
    "detection": 1,  # letterbox (base/letterbox.py), boxes mapped back to the original image
    "segmentation": 1,  # letterbox, point / box prompts (base/prompts.py), masks mapped back
}


def versioned(family: str) -> dict[str, int]:
    """The ``{"rule_version": n}`` entry a processor of ``family`` writes into processors.json."""
    return {RULE_VERSION_KEY: RULE_VERSIONS[family]}


def rule_version(family: str, data: Mapping[str, Any]) -> int:
    """The rule version ``data`` (a processor's JSON) was written with: its integer, or that of its legacy prose.

    Returns 0 for prose of rules no version of automm implements.
    """
    stored = data.get(RULE_VERSION_KEY)
    if stored is None:
        return legacy_rule_version(family, data)
    if isinstance(stored, bool) or not isinstance(stored, int):
        return 0
    return stored


def check_rule_version(family: str, data: Mapping[str, Any]) -> int:
    """The version of ``data``'s rules, checked against this code's.

    Raises:
        RuleVersionError: the rules are newer than this code's (upgrade), or old ones no version implements
            (load and save the predictor with automm-core >= 0.4, then export again).
    """
    known = RULE_VERSIONS.get(family)
    if known is None:
        raise RuleVersionError(f"{family!r} names no preprocessing rules this version implements (it knows "
                               f"{sorted(RULE_VERSIONS)}). Upgrade automm-core / automm-deploy.")
    version = rule_version(family, data)
    if version > known:
        raise RuleVersionError(f"The {family} preprocessing rules are version {version}; this code implements "
                               f"version {known}. Upgrade automm-core / automm-deploy.")
    if version < 1:
        raise RuleVersionError(f"The {family} preprocessing rules ({data.get(RULE_VERSION_KEY)!r}) are not rules "
                               "this version implements: load the predictor with automm-core 0.4 or newer, save it "
                               "again, then export it again with automm-deploy.")
    return version
