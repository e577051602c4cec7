"""The prose rules that automm-core <= 0.4 (and automm-deploy 0.2) stored in processors.json, kept once.

Saved predictors and exports from before integer rule versions carry these dicts; each one recognised here is
rule version 1. Anything else written as prose is an unknown old rule (version 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IMAGE_RULES = {
    "cells": "image_path cells hold paths separated by ';', image_base64 one base64 image, image_bytes raw bytes; "
             "an unreadable image is skipped",
    "decode": "PIL open, draft('RGB', (draft_size, draft_size)); 16-bit and float images scaled to 8 bits "
              "(by 65535 when the maximum exceeds 255, else by 255); alpha composited over white; then RGB",
    "resize": "PIL bilinear resize of the shorter side to size, the longer to int(size * long / short)",
    "crop": "centre crop to size x size, top = round((height - size) / 2), left = round((width - size) / 2)",
    "pixels": "float32 / 255, minus mean, divided by std, channels first",
    "slots": "the row's readable images in column order, at most max_images_per_row; mask true where a slot "
             "holds an image, zeros elsewhere",
}
TEXT_RULES = {
    "tokenizer": "tokenizer.json, without special tokens, truncation or padding, one call per column",
    "missing": "None / NaN / NA cells are empty strings",
    "join": "start_id, then each column's tokens followed by end_id (ids that are null are left out)",
    "truncation": "longest_first: shorten the longest column's tokens until the joined sequence fits max_length",
    "padding": "right, with pad_id, to the longest sequence of the batch (at least 2)",
    "present": "a row has text when any column has at least one token",
}
_DECODE = "EXIF-rotated, RGB (alpha over white, 16-bit rescaled)"
_PAD = "zeros at the bottom and right to image_size x image_size"
_SCALE = "pixels / 255, no mean/std (the network normalises)"
LETTERBOX_RULES = {"decode": _DECODE, "resize": "PIL bilinear resize of the 8-bit RGB image to (max(1, round(H * s)), "
                   "max(1, round(W * s))) with s = image_size / max(H, W)", "pad": _PAD, "scale": _SCALE}
# core 0.2.2 named the resize so; core 0.2.3 and later predict such predictors with LETTERBOX_RULES' resize.
LETTERBOX_RULES_0_2_2 = {**LETTERBOX_RULES, "resize": "longer side to image_size, bilinear with antialias"}
BOXES_RULE = "output / scale, clipped to the original image"
PROMPTS_RULE = ("point_column / box_column cells (JSON lists, original pixels) -> per row [m, 3] (x, y, label): points "
                "(label 1 foreground, 0 background), then the box as corners labelled 2 and 3, or one padding entry "
                "labelled -1; coordinates times (resized width / width, resized height / height); the network runs "
                "rows with the same count together (padding changes SAM's masks)")
MASKS_RULE = ("output logits cropped to the resized image (top-left), resized bilinearly (half-pixel centres, no "
              "antialias) to the original size, then sigmoid (binary: foreground where p >= threshold) or softmax "
              "(argmax over classes)")
CATEGORY_STRINGS = "str-with-integral-floats-as-int"


def _letterbox(extra: Mapping[str, str]) -> tuple[dict[str, str], ...]:
    return tuple({**rules, **extra} for rules in (LETTERBOX_RULES, LETTERBOX_RULES_0_2_2))


def _known_recipe(recipe: Any, variants: tuple[dict[str, str], ...]) -> bool:
    """``recipe`` holds one variant's rules (keys a variant lacks were added later and are optional)."""
    if not isinstance(recipe, Mapping):
        return False
    return any(all(recipe.get(key, rule) == rule for key, rule in variant.items())
               and all(recipe.get(key) == variant[key] for key in LETTERBOX_RULES) for variant in variants)


def legacy_rule_version(family: str, data: Mapping[str, Any]) -> int:
    """1 when ``data`` carries no rules or the prose of ``family``'s rules that automm <= 0.4 wrote, else 0.

    Predictors saved before the rules were stored (no prose at all) held the same rules in code.
    """
    if family in ("image", "text"):
        prose = data.get("rules")
        return int(prose is None or prose == (IMAGE_RULES if family == "image" else TEXT_RULES))
    if family == "numerical":
        return int(data.get("missing", "median") == "median")
    if family == "categorical":
        return int((data.get("unknown_id", 0), data.get("strings", CATEGORY_STRINGS)) == (0, CATEGORY_STRINGS))
    if family in ("detection", "segmentation"):
        recipe = data.get("recipe")
        extra = {"boxes": BOXES_RULE} if family == "detection" else {"prompts": PROMPTS_RULE, "masks": MASKS_RULE}
        return int(recipe is None or _known_recipe(recipe, _letterbox(extra)))
    return 0
