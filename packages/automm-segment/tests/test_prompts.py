"""Point and box prompt cells: parsing, the per-row layout, augmentation, batching and per-row counts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from automm.core.errors import InputError
from automm.segment.prompts import (
    BOTTOM_RIGHT,
    FOREGROUND,
    PAD,
    TOP_LEFT,
    batch_prompts,
    check_inside,
    parse_box,
    parse_points,
    prompt_counts,
    row_prompts,
    transform,
)


def test_point_cells_in_every_accepted_form() -> None:
    expected = np.asarray([[3, 4, 1], [5, 6, 0]], np.float32)
    np.testing.assert_array_equal(parse_points([[3, 4], [5, 6, 0]], 0, "points"), expected)
    np.testing.assert_array_equal(parse_points("[[3, 4, 1], [5, 6, 0]]", 0, "points"), expected)  # from a CSV
    np.testing.assert_array_equal(parse_points(np.asarray([[3, 4, 1], [5, 6, 0]]), 0, "points"), expected)
    np.testing.assert_array_equal(parse_points([3, 4], 0, "points"), expected[:1])  # one point alone
    for empty in (None, float("nan"), "", "  ", [], "[]"):
        assert parse_points(empty, 0, "points").shape == (0, 3)


@pytest.mark.parametrize(("cell", "message"), [
    ("[[1, 2]", "not JSON"),
    ([[1, 2, 2]], "must be 1 .foreground. or 0"),
    ([[1]], "not a prompt"),
    ([["a", 2]], "not a number"),
    ([[float("nan"), 2]], "NaN"),
    (7, "not a list of points"),
])
def test_bad_point_cells_name_row_and_column(cell: object, message: str) -> None:
    with pytest.raises(InputError, match=rf"Row 'r7', column 'points'.*{message}"):
        parse_points(cell, "r7", "points")


def test_box_cells() -> None:
    np.testing.assert_array_equal(parse_box([1, 2, 30, 40], 0, "box"), [1, 2, 30, 40])
    np.testing.assert_array_equal(parse_box("[[1, 2, 30, 40]]", 0, "box"), [1, 2, 30, 40])  # one box in a list
    assert parse_box(None, 0, "box") is None and parse_box("", 0, "box") is None
    with pytest.raises(InputError, match="holds 2 boxes.*own row"):
        parse_box([[1, 2, 3, 4], [5, 6, 7, 8]], 3, "box")
    with pytest.raises(InputError, match="no area"):
        parse_box([10, 2, 5, 40], 3, "box")
    with pytest.raises(InputError, match="not a prompt"):
        parse_box([1, 2, 3], 3, "box")


def test_row_layout_points_then_corners_or_one_pad() -> None:
    points = parse_points([[3, 4]], 0, "p")
    with_box = row_prompts(points, np.asarray([1, 2, 30, 40], np.float32))
    np.testing.assert_array_equal(with_box, [[3, 4, FOREGROUND], [1, 2, TOP_LEFT], [30, 40, BOTTOM_RIGHT]])
    np.testing.assert_array_equal(row_prompts(points, None), [[3, 4, FOREGROUND], [0, 0, PAD]])
    np.testing.assert_array_equal(row_prompts(np.zeros((0, 3), np.float32), None), [[0, 0, PAD]])


def test_prompts_off_the_image_are_refused() -> None:
    prompts = row_prompts(parse_points([[50, 10]], 0, "p"), None)
    check_inside(prompts, 20, 50, 0, ["p"])  # the right edge itself is on the image
    with pytest.raises(InputError, match=r"Row 4: .*\[\[50.0, 10.0\]\].*outside the 10x10 px image"):
        check_inside(prompts, 10, 10, 4, ["p"])


def test_transform_follows_flip_resize_and_crop() -> None:
    prompts = np.asarray([[10, 5, 1], [90, 5, 0], [20, 10, TOP_LEFT], [40, 30, BOTTOM_RIGHT]], np.float32)
    # Flip about a 100-wide image, scale by 2, crop a 64 x 64 window at (100, 0).
    out = transform(prompts, 100, (2.0, 2.0), (100, 0), 64)
    # x: 10 -> 89 -> 178 -> 78 (off the crop: padding); 90 -> 9 -> 18 -> -82 (off); box x 20..40 -> 79..59 -> 118..158
    # -> 18..58 after the crop (corners swapped back), y 10..30 -> 20..60.
    assert out[0, 2] == PAD and out[1, 2] == PAD and (out[:2, :2] == 0).all()
    np.testing.assert_allclose(out[2:], [[18, 20, TOP_LEFT], [58, 60, BOTTOM_RIGHT]])
    gone = transform(prompts, None, (1.0, 1.0), (50, 0), 32)  # the box lies left of the window
    assert (gone[2:, 2] == PAD).all()
    np.testing.assert_array_equal(prompts[0], [10, 5, 1])  # the input is not modified


def test_batch_padding_and_each_rows_own_count() -> None:
    rows = [row_prompts(parse_points([[1, 1], [2, 2]], 0, "p"), None),  # 2 points + pad: 3
            row_prompts(np.zeros((0, 3), np.float32), np.asarray([0, 0, 5, 5], np.float32)),  # box: 2
            row_prompts(np.zeros((0, 3), np.float32), None)]  # nothing: the pad entry, 1
    batch = batch_prompts(rows)
    assert batch.shape == (3, 3, 3)
    assert torch.equal(batch[2, :, 2], torch.tensor([PAD, PAD, PAD], dtype=torch.float32))
    assert prompt_counts(batch).tolist() == [3, 2, 1]
    dropped = batch.clone()
    dropped[1, :, 2] = PAD  # a box cropped away in training: the row keeps one pad entry
    assert prompt_counts(dropped).tolist() == [3, 1, 1]
