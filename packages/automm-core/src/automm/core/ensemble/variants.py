"""The pool of ensemble variants, and the members a fit trains from it.

A variant is a set of hyperparameter overrides applied on top of the predictor's own configuration. Members share
the predictor's data processors (same columns, text backbone, image size and normalisation), so they differ only in
network and training settings; a variant that would change the processors is refused.

To add a variant, append it to ``VARIANTS``. ``needs`` skips it where it cannot make a difference: "fusion" needs
two or more modalities (text, image, tabular), "tabular" needs numeric or categorical columns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from torch import nn

from ..config import Config
from ..errors import ConfigError
from ..models.network import spec_to_json
from ..persistence import processors_to_json
from ..state import PredictorState

logger = logging.getLogger("automm")


@dataclass(frozen=True)
class Variant:
    """A named set of dotted-key overrides; ``needs`` is "", "fusion" or "tabular" (see the module docstring)."""

    name: str
    overrides: Mapping[str, Any]
    needs: str = ""


# The pool, in training order: the plain configuration first, so a short time limit still trains it.
VARIANTS: tuple[Variant, ...] = (
    Variant("default", {}),
    Variant("transformer_fusion", {"model.fusion.model": "transformer"}, needs="fusion"),
    Variant("modality_dropout", {"model.fusion.modality_dropout": 0.2}, needs="fusion"),
    Variant("tabular_mlp", {"model.tabular.model": "mlp"}, needs="tabular"),
    Variant("tabular_ft_transformer", {"model.tabular.model": "ft_transformer"}, needs="tabular"),
)


@dataclass
class Member:
    """One variant built for this predictor: its configuration, network spec and (pretrained) network."""

    variant: Variant
    config: Config
    spec: Any
    net: nn.Module


def applies(variant: Variant, processors: Any) -> bool:
    """Whether ``variant`` can change anything for data read by ``processors``."""
    tabular = processors.numerical is not None or processors.categorical is not None
    modalities = (processors.text is not None) + (processors.image is not None) + tabular
    return {"": True, "fusion": modalities >= 2, "tabular": tabular}[variant.needs]


def plan_members(state: PredictorState, features: pd.DataFrame,
                 variants: tuple[Variant, ...] = VARIANTS) -> list[Member]:
    """The members to train: the predictor's own network first, then each other variant that applies and builds a
    different network or training setup, up to ``ensemble.size`` members.

    ``features`` are the rows the predictor's processors were fitted on, so each variant's processors can be
    compared with them.
    """
    size = state.config.ensemble.size or len(variants)
    members = [Member(variants[0], state.config, state.network_spec, state.net)]
    seen = {_identity(members[0])}
    for variant in variants[1:]:
        if len(members) >= size or not applies(variant, state.processors):
            continue
        config = state.config.override(variant.overrides)
        built = state.task.build(features, state.columns, config)
        _check_same_inputs(variant, config, state, built)
        member = Member(variant, config, built.spec, built.net)
        if _identity(member) in seen:
            logger.info("ensemble: variant %r equals an earlier member here; skipped", variant.name)
            continue
        seen.add(_identity(member))
        members.append(member)
    return members


def _check_same_inputs(variant: Variant, config: Config, state: PredictorState, built: Any) -> None:
    if (processors_to_json(built.processors) != processors_to_json(state.processors)
            or (built.text_folder is None) != (state.text_folder is None)
            or config.model.text.checkpoint != state.config.model.text.checkpoint):
        raise ConfigError(
            f"Ensemble variant {variant.name!r} ({dict(variant.overrides)}) changes how the data is read (columns, "
            "text backbone, image size or normalisation); ensemble members must share the predictor's processors. "
            "Remove those keys from the variant in automm.core.ensemble.variants.VARIANTS."
        )


def _identity(member: Member) -> str:
    """Network spec plus every setting; ``model.tabular.model`` is left to the spec, which holds what "auto"
    resolved to."""
    config = member.config
    settings = replace(config, model=replace(config.model, tabular=replace(config.model.tabular, model=""))).to_dict()
    return json.dumps([spec_to_json(member.spec), settings], sort_keys=True, default=str)
