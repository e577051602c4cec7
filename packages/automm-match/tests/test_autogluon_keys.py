"""AutoGluon-MM's matcher and backbone keys on a matching predictor's Config."""

from __future__ import annotations

from automm.core.config import Config
from automm.match.config import MatchConfig


def test_autogluon_matcher_loss_and_clip_checkpoint_map_onto_the_task() -> None:
    config = Config(task=MatchConfig()).override({"matcher.loss.type": "multi_negatives_softmax_loss",
                                                  "model.clip.checkpoint_name": "openai/clip-vit-base-patch32",
                                                  "optimization.learning_rate": 1e-5})
    assert config.task.loss == "multiple_negatives_ranking" and config.optim.lr == 1e-5
    assert config.model.text.checkpoint == "openai/clip-vit-base-patch32"
    assert Config(task=MatchConfig()).override({"matcher.loss.type": "contrastive_loss"}).task.loss == "contrastive"
