"""automm.core.vision.input_size: the letterboxed input side chosen from the training images' headers."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from automm.core.vision.input_size import InputSizeChoice, choose_input_size, image_size_given, longer_sides


def _images(folder: Path, sizes: list[tuple[int, int]]) -> list[str]:
    """PNG files of these (width, height) sizes, in order."""
    paths = []
    for i, size in enumerate(sizes):
        path = folder / f"{i}.png"
        Image.new("RGB", size).save(path)
        paths.append(str(path))
    return paths


def test_the_size_covers_90_percent_of_the_longer_sides_rounded_up_to_32(tmp_path: Path) -> None:
    paths = _images(tmp_path, [(250, 200)] * 8 + [(180, 240), (1000, 600)])  # one large outlier
    choice = choose_input_size(paths, preset=416, minimum=64)
    assert choice == InputSizeChoice(size=256, preset=416, covered=250, images=10)
    assert choice.describe() == ("input size 256 px chosen from the training images (90% are ≤ 250 px; "
                                 "preset 416)")
    assert InputSizeChoice.from_json(choice.to_json()) == choice


def test_the_size_is_never_above_the_preset_nor_below_the_minimum(tmp_path: Path) -> None:
    (tmp_path / "large").mkdir(), (tmp_path / "small").mkdir()
    large = _images(tmp_path / "large", [(800, 600)] * 3)
    small = _images(tmp_path / "small", [(20, 30)] * 3)
    assert choose_input_size(large, preset=416, minimum=64).size == 416
    assert choose_input_size(small, preset=416, minimum=64).size == 64
    assert choose_input_size(small, preset=416, minimum=32).size == 32


@pytest.mark.parametrize("side", [33, 95, 96, 97, 300])
def test_the_size_is_a_multiple_of_32(tmp_path: Path, side: int) -> None:
    size = choose_input_size(_images(tmp_path, [(side, side // 2)]), preset=1024, minimum=32).size
    assert size % 32 == 0 and side <= size < side + 32


def test_unreadable_files_are_skipped_and_none_readable_keeps_the_preset(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"not an image")
    paths = [str(tmp_path / "broken.png"), str(tmp_path / "missing.png")]
    assert choose_input_size(paths, preset=416, minimum=64) is None
    readable = _images(tmp_path, [(128, 100)])
    assert choose_input_size(paths + readable, preset=416, minimum=64).images == 1


def test_a_large_set_is_sampled_the_same_way_every_time(tmp_path: Path) -> None:
    paths = _images(tmp_path, [(40 + i, 40) for i in range(30)])
    sampled = longer_sides(paths, limit=8)
    assert len(sampled) == 8 and sampled == longer_sides(paths, limit=8) and set(sampled) < set(range(40, 70))


class _Section:
    aliases: ClassVar[dict[str, str]] = {"model.other.size": "task.image_size", "task.encoder": "task.backbone"}
    value_aliases: ClassVar[dict[tuple[str, object], tuple[str, object]]] = {
        ("optim.peft", "big"): ("task.image_size", 1024)}


@pytest.mark.parametrize(("overrides", "given"), [
    ({}, False),
    ({"task.backbone": "resnet18", "optim.lr": 1e-3}, False),
    ({"task.image_size": 256}, True),
    ({"task": {"image_size": 256}}, True),
    ({"task.image_size": {"choice": [256, 320]}}, True),  # a search space
    ({"model.other.size": 256}, True),  # the section's alias of task.image_size
    ({"optim.peft": "big"}, True),  # a value alias that sets it
    ({"optim.peft": ["unhashable"]}, False),
])
def test_a_size_given_by_the_user_is_told_apart_from_the_presets(overrides: dict, given: bool) -> None:
    assert image_size_given(overrides, _Section()) is given
