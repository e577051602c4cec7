"""Mask encodings: learning the class map from training masks, decoding, refusing bad masks, writing back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from automm.core.errors import InputError
from automm.segment.masks import MaskCodec

GRID = np.array([[0, 0, 1, 1], [0, 2, 2, 1], [0, 0, 0, 3]], dtype=np.uint8)  # class indices 0..3


def save(folder: Path, name: str, image: Image.Image) -> tuple[int, str]:
    path = folder / name
    image.save(path)
    return 0, str(path)


def palette_image(indices: np.ndarray) -> Image.Image:
    image = Image.fromarray(indices, mode="P")
    image.putpalette([0, 0, 0, 200, 0, 0, 0, 200, 0, 0, 0, 200] + [0] * 756)
    return image


def test_palette_png_indices_are_classes_and_written_back_with_the_palette(tmp_path: Path) -> None:
    entry = save(tmp_path, "p.png", palette_image(GRID))
    codec = MaskCodec.learn([entry])
    assert codec.kind == "values" and codec.values == (0, 1, 2, 3) and codec.palette is not None
    np.testing.assert_array_equal(codec.decode(entry[1]), GRID)
    written = codec.to_image(GRID)
    assert written.mode == "P" and written.getpalette()[:6] == [0, 0, 0, 200, 0, 0]
    np.testing.assert_array_equal(np.asarray(written), GRID)


def test_zero_255_greyscale_is_binary_and_predictions_are_written_as_0_255(tmp_path: Path) -> None:
    entry = save(tmp_path, "m.png", Image.fromarray((GRID > 0).astype(np.uint8) * 255, mode="L"))
    codec = MaskCodec.learn([entry])
    assert codec.binary and codec.values == (0, 255) and codec.class_names == ["0", "255"]
    np.testing.assert_array_equal(codec.decode(entry[1]), (GRID > 0).astype(np.uint8))
    assert set(np.unique(np.asarray(codec.to_image((GRID > 0).astype(np.uint8))))) == {0, 255}


def test_one_bit_and_sixteen_bit_masks(tmp_path: Path) -> None:
    one_bit = save(tmp_path, "b.png", Image.fromarray(GRID > 0).convert("1"))
    assert MaskCodec.learn([one_bit]).values == (0, 1)
    deep = (GRID.astype(np.uint16) * 1000)
    entry = save(tmp_path, "d.png", Image.fromarray(deep))
    codec = MaskCodec.learn([entry])
    assert codec.values == (0, 1000, 2000, 3000)
    np.testing.assert_array_equal(codec.decode(entry[1]), GRID)
    np.testing.assert_array_equal(np.asarray(codec.to_image(GRID)), deep)


def test_rgb_colour_masks_map_each_colour_to_a_class(tmp_path: Path) -> None:
    colours = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.uint8)
    entry = save(tmp_path, "c.png", Image.fromarray(colours[GRID], mode="RGB"))
    codec = MaskCodec.learn([entry])
    assert codec.kind == "colours" and codec.num_classes == 4
    assert codec.values == (0x000000, 0x0000FF, 0x00FF00, 0xFF0000) and codec.class_names[1] == "#0000ff"
    decoded = codec.decode(entry[1])  # classes in sorted colour order: black, blue, green, red
    np.testing.assert_array_equal(decoded, np.array([0, 3, 2, 1])[GRID])
    np.testing.assert_array_equal(np.asarray(codec.to_image(decoded)), colours[GRID])
    stray = colours[GRID].copy()
    stray[0, 0] = [12, 34, 56]
    bad = save(tmp_path, "stray.png", Image.fromarray(stray, mode="RGB"))[1]
    with pytest.raises(InputError, match=r"stray\.png.*#0c2238.*no training mask had"):
        codec.decode(bad)


def test_soft_edged_0_255_masks_are_thresholded(tmp_path: Path) -> None:
    mask = np.zeros((40, 40), dtype=np.uint8)
    mask[10:30, 10:30] = 255
    mask[10, 10:30] = 130  # a soft edge
    mask[29, 10:30] = 90
    entry = save(tmp_path, "soft.png", Image.fromarray(mask, mode="L"))
    codec = MaskCodec.learn([entry])
    assert codec.kind == "threshold"
    decoded = codec.decode(entry[1])
    assert decoded[10, 15] == 1 and decoded[29, 15] == 0 and decoded[20, 20] == 1


def test_unknown_value_in_a_later_mask_names_the_file_and_the_fix(tmp_path: Path) -> None:
    codec = MaskCodec.learn([save(tmp_path, "a.png", Image.fromarray(GRID, mode="L"))])
    extra = GRID.copy()
    extra[0, 0] = 9
    path = save(tmp_path, "more.png", Image.fromarray(extra, mode="L"))[1]
    with pytest.raises(InputError, match=r"more\.png.*\[9\].*fit again"):
        codec.decode(path, 5)


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="single value 0"):
        MaskCodec.learn([save(tmp_path, "empty.png", Image.new("L", (8, 8)))])
    with pytest.raises(InputError, match="does not exist"):
        MaskCodec.learn([(3, str(tmp_path / "missing.png"))])
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(InputError, match=r"notes\.png.*cannot be read"):
        MaskCodec.learn([(0, str(tmp_path / "notes.png"))])
    with pytest.raises(InputError, match="not a mask file"):
        MaskCodec.learn([(0, 3)])
    grey = save(tmp_path, "g.png", Image.fromarray(GRID, mode="L"))
    colour = save(tmp_path, "rgb.png", Image.fromarray(np.stack([GRID * 60] * 3, -1), mode="RGB"))
    with pytest.raises(InputError, match="one encoding"):
        MaskCodec.learn([grey, colour])
    with pytest.raises(InputError, match="floating-point"):
        MaskCodec.learn([save(tmp_path, "f.tiff", Image.fromarray(GRID.astype(np.float32), mode="F"))])


def test_json_round_trip_and_corrupt_json() -> None:
    codec = MaskCodec("values", (0, 3, 7), tuple(range(768)))
    assert MaskCodec.from_json(codec.to_json()) == codec
    with pytest.raises(ValueError):
        MaskCodec.from_json({"kind": "values", "values": [3, 1]})
