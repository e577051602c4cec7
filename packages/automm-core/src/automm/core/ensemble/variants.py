"""The pool of ensemble variants, and the members a fit trains from it.

A variant is a set of hyperparameter overrides applied on top of the predictor's own configuration. Members share
the predictor's data processors (same columns, text backbone, image size and normalisation), so they differ only in
network and training settings; a variant that would change the processors is refused.

To add a variant, append it to ``VARIANTS``. ``needs`` skips it where it cannot make a difference: "fusion" needs
two or more modalities (text, image, tabular), "text_image" both text and image columns, "tabular" numeric or
categorical columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from torch import nn

from ..building import tabular_model
from ..config import Config
from ..errors import ConfigError
from ..persistence import processors_to_json
from ..state import PredictorState


@dataclass(frozen=True)
class Variant:
    """A named set of dotted-key overrides; ``needs`` is "", "fusion", "text_image" or "tabular" (see the module
    docstring)."""

    name: str
    overrides: Mapping[str, Any]
    needs: str = ""


# The pool, in training order: the plain configuration first, so a short time limit still trains it.
VARIANTS: tuple[Variant, ...] = (
    Variant("default", {}),
    Variant("transformer_fusion", {"model.fusion.model": "transformer"}, needs="fusion"),
    Variant("modality_dropout", {"model.fusion.modality_dropout": 0.2}, needs="fusion"),
    Variant("alignment", {"model.fusion.alignment": "positive_kl"}, needs="text_image"),
    Variant("missing_impute", {"model.fusion.missing_modality": "impute", "model.fusion.modality_dropout": 0.0},
            needs="fusion"),
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
    text_image = processors.text is not None and processors.image is not None
    return {"": True, "fusion": modalities >= 2, "text_image": text_image, "tabular": tabular}[variant.needs]


def plan_variants(state: PredictorState, variants: tuple[Variant, ...] = VARIANTS) -> list[tuple[Variant, Config]]:
    """The variants to train, with their configurations: the predictor's own first, then each other that applies
    and trains differently from the earlier ones (not "tabular_mlp" where "auto" is the MLP, say), up to
    ``ensemble.size``."""
    size = state.config.ensemble.size or len(variants)
    planned = [(variants[0], state.config)]
    for variant in variants[1:]:
        config = state.config.override(variant.overrides)
        if (len(planned) < size and applies(variant, state.processors)
                and all(_resolved(config, state) != _resolved(c, state) for _, c in planned)):
            planned.append((variant, config))
    return planned


def _resolved(config: Config, state: PredictorState) -> Config:
    """``config`` with the tabular model "auto" replaced by what it stands for with these processors."""
    tabular = replace(config.model.tabular, model=tabular_model(config.model.tabular.model, state.processors))
    return replace(config, model=replace(config.model, tabular=tabular))


def build_member(state: PredictorState, features: pd.DataFrame, variant: Variant, config: Config,
                 fresh: bool = False) -> Member:
    """``variant``'s pretrained network, on the predictor's processors (``features``: the rows they were fitted on);
    the predictor's own network for its own configuration unless ``fresh`` (a new one, initialised from the current
    random seed)."""
    if config == state.config and not fresh:
        return Member(variant, config, state.network_spec, state.net)
    # Columns in the processors' order (a loaded predictor lists them sorted), so the inputs line up the same way.
    columns = {c: state.columns[c] for c in [*state.processors.columns, *state.columns]}
    built = state.task.build(features, columns, config)
    _check_same_inputs(variant, config, state, built)
    return Member(variant, config, built.spec, built.net)


def _check_same_inputs(variant: Variant, config: Config, state: PredictorState, built: Any) -> None:
    if (processors_to_json(built.processors) != processors_to_json(state.processors)
            or (built.text_folder is None) != (state.text_folder is None)
            or config.model.text.checkpoint != state.config.model.text.checkpoint):
        raise ConfigError(
            f"Ensemble variant {variant.name!r} ({dict(variant.overrides)}) changes how the data is read (columns, "
            "text backbone, image size or normalisation); ensemble members must share the predictor's processors. "
            "Remove those keys from the variant in automm.core.ensemble.variants.VARIANTS."
        )
