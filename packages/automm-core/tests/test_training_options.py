"""The training options AutoGluon-MM users set: optimizers, LR schedules, accumulation, soups, compile, modalities."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
import transformers
from torch import nn

from automm.core.building import select_modalities
from automm.core.config import Config, OptimConfig
from automm.core.data.column_types import ColumnDecision, ColumnType
from automm.core.errors import ConfigError, InputError
from automm.core.hpo import search
from automm.core.hpo.options import TuneOptions
from automm.core.training import engine
from automm.core.training.budget import Deadline
from automm.core.training.checkpoint_io import read_lightning_weights
from automm.core.training.distillation import SoftLabelObjective
from automm.core.training.module import MultiModalLitModule
from automm.core.training.optim import build_optimizer
from automm.core.training.peft_setup import apply_peft
from automm.core.training.soup import combine_checkpoints


def _optim(**values: object) -> OptimConfig:
    return Config().override({f"optim.{k}": v for k, v in values.items()}).optim


@pytest.mark.parametrize(("name", "kind"), [("adamw", torch.optim.AdamW), ("adam", torch.optim.Adam),
                                            ("sgd", torch.optim.SGD)])
def test_optimizer_is_the_one_named(name: str, kind: type) -> None:
    optimizer, _ = build_optimizer(nn.Linear(3, 2), _optim(optimizer=name), total_steps=10)
    assert type(optimizer) is kind
    if name == "sgd":  # AutoGluon's SGD has momentum 0.9
        assert all(group["momentum"] == 0.9 for group in optimizer.param_groups)


def _lrs(scheduler: torch.optim.lr_scheduler.LRScheduler, steps: list[int]) -> list[float]:
    found, step = [], 0
    for target in steps:
        while step < target:
            scheduler.optimizer.step()
            scheduler.step()
            step += 1
        found.append(scheduler.get_last_lr()[0])
    return found


def _reference(name: str, optimizer: torch.optim.Optimizer, warmup: int, total: int, end_lr: float):
    """transformers' schedule of the same name, as AutoGluon builds it."""
    if name == "cosine":
        # from its module: transformers 4.45 (the lowest accepted) does not export it at the top level
        return transformers.optimization.get_cosine_with_min_lr_schedule_with_warmup(optimizer, warmup, total,
                                                                                     min_lr_rate=end_lr / 0.1)
    if name == "polynomial":
        return transformers.get_polynomial_decay_schedule_with_warmup(optimizer, warmup, total, lr_end=end_lr,
                                                                      power=1.0)
    if name == "linear":
        return transformers.get_linear_schedule_with_warmup(optimizer, warmup, total)
    return transformers.get_constant_schedule_with_warmup(optimizer, warmup)


@pytest.mark.parametrize("name", ["cosine", "polynomial", "linear", "constant"])
def test_each_schedule_gives_transformers_learning_rates(name: str) -> None:
    optim = _optim(lr=0.1, head_lr_multiplier=1.0, weight_decay=0.0, lr_schedule=name, end_lr=0.01, warmup_steps=10)
    steps = [5, 10, 30, 55, 80, 100]
    _, ours = build_optimizer(nn.Linear(3, 2), optim, total_steps=100)
    reference_optimizer = torch.optim.AdamW(nn.Linear(3, 2).parameters(), lr=0.1)
    reference = _reference(name, reference_optimizer, 10, 100, 0.01)
    assert _lrs(ours, steps) == pytest.approx(_lrs(reference, steps), rel=1e-6)


def test_default_schedule_is_unchanged_cosine_to_zero() -> None:
    _, scheduler = build_optimizer(nn.Linear(3, 2), _optim(lr=0.1, head_lr_multiplier=1.0), total_steps=100)
    assert _lrs(scheduler, [10, 55, 100]) == pytest.approx([0.1, 0.05, 0.0], abs=1e-9)


def test_accumulation_and_steps_reach_the_trainer(tmp_path: Path) -> None:
    config = Config().override({"optim.batch_size": 8, "optim.effective_batch_size": 50, "optim.max_steps": 7,
                                "optim.gradient_clip_algorithm": "value", "env.log_every_n_steps": 3})
    trainer = engine._trainer(config, tmp_path, [], verbosity=0)
    assert trainer.accumulate_grad_batches == 7  # ceil(50 / 8)
    assert (trainer.max_steps, trainer.log_every_n_steps) == (7, 3)
    assert trainer.gradient_clip_algorithm == "value"
    # 800 rows: 100 batches, 15 optimizer steps an epoch, capped by max_steps
    assert engine.optimizer_steps(800, config) == 7
    uncapped = config.override({"optim.max_steps": 0, "optim.max_epochs": 2})
    assert engine.optimizer_steps(800, uncapped) == 30
    defaults = engine._trainer(Config(), tmp_path, [], verbosity=0)
    assert (defaults.accumulate_grad_batches, defaults.max_steps, defaults.log_every_n_steps) == (1, -1, 50)


def test_accumulation_counts_every_process() -> None:
    config = Config().override({"optim.batch_size": 8, "optim.effective_batch_size": 64, "env.devices": 2,
                                "env.num_nodes": 2})
    assert engine.accumulation(config) == 2


def _checkpoint(path: Path, value: float) -> Path:
    torch.save({"state_dict": {"net.w": torch.tensor([value]), "net.count": torch.tensor([7])}}, path)
    return path


@pytest.mark.parametrize(("method", "expected", "used"), [("greedy", 1.2, 2), ("uniform", 7.4 / 3, 3),
                                                          ("best", 1.0, 1)])
def test_soup_methods_choose_their_weights(tmp_path: Path, method: str, expected: float, used: int) -> None:
    ranked = [_checkpoint(tmp_path / f"{i}.ckpt", v) for i, v in enumerate([1.0, 5.0, 1.4])]
    evaluated: list[float] = []

    def evaluate(weights: dict[str, torch.Tensor]) -> float:
        evaluated.append(float(weights["w"]))
        return -abs(float(weights["w"]) - 1.2)  # greedy: the mean with 5.0 scores worse, with 1.4 better

    weights, count, score = combine_checkpoints(method, ranked, evaluate, greater_is_better=True)
    assert float(weights["w"]) == pytest.approx(expected) and count == used
    assert int(weights["count"]) == 7  # integer buffers are not averaged
    if method != "greedy":
        assert not evaluated  # no validation pass unless the score is asked for
        assert score() == pytest.approx(-abs(expected - 1.2))


def test_lora_alpha_reaches_peft() -> None:
    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = nn.Sequential(nn.Linear(4, 4))

    default, chosen = Encoder(), Encoder()
    apply_peft(default, "lora", rank=4)
    apply_peft(chosen, "lora", rank=4, alpha=32)
    assert default.backbone.peft_config["default"].lora_alpha == 8  # today's 2 * rank
    assert chosen.backbone.peft_config["default"].lora_alpha == 32


class _Batch:
    def __init__(self) -> None:
        self.target = torch.tensor([0, 1, 1])

    def __len__(self) -> int:
        return 3


def test_task_loss_weight_scales_the_true_label_loss() -> None:
    torch.manual_seed(0)
    net = nn.Linear(1, 2)
    net.forward = lambda batch: net.weight.sum() * torch.ones(3, 2) + torch.arange(6.0).reshape(3, 2)
    losses = []
    for weight in (1.0, 0.25):
        lit = MultiModalLitModule(net, nn.CrossEntropyLoss(), None, "accuracy", OptimConfig(), total_steps=1,
                                  task_loss_weight=weight)
        lit.log = lambda *args, **kwargs: None
        losses.append(float(lit.training_step(_Batch(), 0).detach()))
    assert losses[1] == pytest.approx(0.25 * losses[0])


def test_hard_label_weight_applies_only_when_distilling() -> None:
    config = Config().override({"distiller.hard_label_weight": 0.3})
    soft = SoftLabelObjective(lambda *args: torch.tensor(0.0), torch.zeros(2, 2).numpy(), 1.0, 1.0)
    assert engine.task_loss_weight([soft], config) == 0.3
    assert engine.task_loss_weight([], config) == 1.0


def test_compiled_network_checkpoints_read_back_with_plain_keys(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(3, 2))
    config = Config().override({"env.compile": True, "env.compile_backend": "eager"})
    compiled = engine.compiled(net, config)
    assert compiled is not net and compiled(torch.ones(1, 3)).shape == (1, 2)
    lit = MultiModalLitModule(compiled, nn.MSELoss(), None, "rmse", OptimConfig(), total_steps=1)
    assert next(iter(lit.state_dict())).startswith("net._orig_mod.")
    torch.save({"state_dict": lit.state_dict()}, tmp_path / "c.ckpt")
    assert set(read_lightning_weights(tmp_path / "c.ckpt")) == set(net.state_dict())
    assert engine.compiled(net, Config()) is net


def _decisions(**types: ColumnType) -> dict[str, ColumnDecision]:
    return {name: ColumnDecision(name, kind, "detected") for name, kind in types.items()}


def test_modalities_drop_the_other_columns(caplog: pytest.LogCaptureFixture) -> None:
    columns = _decisions(review=ColumnType.TEXT, photo=ColumnType.IMAGE_PATH, price=ColumnType.NUMERICAL,
                         id=ColumnType.IDENTIFIER)
    with caplog.at_level(logging.INFO, logger="automm"):
        kept = select_modalities(columns, ("text", "tabular"))
    assert {c: d.type for c, d in kept.items()} == {"review": ColumnType.TEXT, "photo": ColumnType.NULL,
                                                     "price": ColumnType.NUMERICAL, "id": ColumnType.IDENTIFIER}
    assert [r.getMessage() for r in caplog.records if "photo" in r.getMessage()]
    assert select_modalities(columns, ()) is columns
    with pytest.raises(InputError, match="leaves no feature column"):
        select_modalities(_decisions(price=ColumnType.NUMERICAL), ("text",))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"optim.optimizer": "adafactor"}, "optim.optimizer"),
    ({"optim.lr_schedule": "multi_step"}, "optim.lr_schedule"),
    ({"optim.end_lr": 1e-3}, "must be below 'optim.lr'"),
    ({"optim.max_steps": -2}, "optim.max_steps"),  # -1 is AutoGluon-MM's "no cap" (0)
    ({"optim.warmup_steps": -5}, "optim.warmup_steps"),
    ({"optim.effective_batch_size": -1}, "optim.effective_batch_size"),
    ({"optim.gradient_clip_algorithm": "l2"}, "optim.gradient_clip_algorithm"),
    ({"optim.soup": "greedy_soup"}, 'Did you mean "greedy"'),
    ({"optim.lora_alpha": -1.0}, "optim.lora_alpha"),
    ({"env.log_every_n_steps": 0}, "env.log_every_n_steps"),
    ({"env.compile_mode": "fast"}, "env.compile_mode"),
    ({"env.compile_dynamic": "maybe"}, "env.compile_dynamic"),
    ({"model.modalities": ["hf_text"]}, 'model.modalities.*Did you mean "text"'),
    ({"distiller.hard_label_weight": -0.5}, "distiller.hard_label_weight"),
])
def test_bad_training_options_are_refused(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config().override(overrides)


def test_new_options_save_and_old_saves_load_with_defaults() -> None:
    chosen = {"optim.optimizer": "sgd", "optim.lr_schedule": "polynomial", "optim.end_lr": 1e-6,
              "optim.max_steps": 9, "optim.warmup_steps": 2, "optim.effective_batch_size": 64,
              "optim.gradient_clip_algorithm": "value", "optim.soup": "uniform", "optim.lora_alpha": 16.0,
              "env.log_every_n_steps": 5, "env.compile": True, "env.compile_mode": "max-autotune",
              "env.compile_dynamic": False, "env.compile_backend": "eager", "model.modalities": ["text"],
              "distiller.hard_label_weight": 0.5}
    config = Config().override(chosen)
    assert Config.from_dict(config.to_dict()) == config
    assert config.model.modalities == ("text",)
    old = config.to_dict()
    for key in chosen:
        section, _, leaf = key.rpartition(".")
        parent = old
        for name in section.split("."):
            parent = parent[name]
        del parent[leaf]
    assert Config.from_dict(old) == Config()


def test_tune_options_read_num_to_keep_and_init_args() -> None:
    pytest.importorskip("ray.tune", reason="hyperparameter_tune_kwargs are read with Ray Tune (automm-core[hpo])")
    assert TuneOptions.parse({"num_to_keep": 3}).keep_trials
    assert not TuneOptions.parse({"num_to_keep": 0}).keep_trials
    with pytest.raises(ConfigError, match="disagree"):
        TuneOptions.parse({"num_to_keep": 2, "keep_trials": False})
    with pytest.raises(ConfigError, match="num_to_keep"):
        TuneOptions.parse({"num_to_keep": -1})
    with pytest.raises(ConfigError, match="scheduler_init_args"):
        TuneOptions.parse({"scheduler_init_args": 3})
    options = TuneOptions.parse({"scheduler": "ASHA", "scheduler_init_args": {"grace_period": 2,
                                                                              "reduction_factor": 3},
                                 "searcher_init_args": {"max_concurrent": 2}})
    scheduler = search._scheduler(options, max_reports=10)
    assert (scheduler._max_t, scheduler._reduction_factor) == (10, 3)
    assert scheduler._brackets[0]._rungs[-1][0] == 2  # the first rung waits grace_period reports
    assert search._searcher(options, seed=0).max_concurrent == 2


def test_a_time_limited_schedule_anneals_within_its_time() -> None:
    clock = [0.0]
    optim = _optim(lr=0.1, head_lr_multiplier=1.0, lr_schedule="linear")
    _, scheduler = build_optimizer(nn.Linear(3, 2), optim, 10_000, Deadline(60, lambda: clock[0]))
    clock[0] = 60.0
    assert _lrs(scheduler, [1])[0] == pytest.approx(0.0, abs=1e-12)
