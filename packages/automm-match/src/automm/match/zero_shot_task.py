"""``problem_type="zero_shot_image_classification"``: a pretrained CLIP scores images against candidate texts.

As in AutoGluon-MM it is used without fit: ``predict_proba({"image": paths}, candidate_data={"text": names})``
gives one probability per candidate (``automm.core.retrieval.candidate_probabilities``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError

from .task import MatchTask

PROBLEM_TYPE = "zero_shot_image_classification"
USAGE = ("predictor.predict_proba({'image': [paths]}, candidate_data={'text': [class texts]}) (or predict(...) for "
         "the best candidate's position)")


class ZeroShotImageClassificationTask(MatchTask):
    """Images (query side, column "image" by default) against candidate texts (response side, "text")."""

    text_side: ClassVar[str] = "response"

    def training_data(self, net: Any, processors: Any, features: pd.DataFrame, targets: np.ndarray, config: Any,
                      ) -> tuple[Any, pd.DataFrame, np.ndarray]:
        raise ConfigError(f"problem_type={PROBLEM_TYPE!r} is used zero-shot, without fit (as in AutoGluon-MM). To "
                          "fine-tune on image-text pairs use problem_type='image_text_similarity' with query= and "
                          "response=, then score candidates with predict_proba(data, candidate_data=...).")

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.Series:
        raise ConfigError(f"A {PROBLEM_TYPE} predictor scores images against candidates: {USAGE}.")

    def predict_proba(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        raise ConfigError(f"A {PROBLEM_TYPE} predictor scores images against candidates: {USAGE}.")
