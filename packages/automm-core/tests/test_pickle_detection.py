"""The contract's pickle check finds a pickle of any protocol, and torch.save files, under any name."""

from __future__ import annotations

import io
import json
import pickle

import pytest
import torch
from safetensors.torch import save

from automm.core.testing.contract import is_pickle

PAYLOAD = {"weights": [1.5, -2.0], "name": "head", "shape": (2,), "flag": True, "blob": b"\x00\x01"}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_pickle_protocol_is_found(protocol: int) -> None:
    assert is_pickle(pickle.dumps(PAYLOAD, protocol=protocol))


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_torch_save_is_found(zipped: bool) -> None:
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(3)}, buffer, _use_new_zipfile_serialization=zipped)
    assert is_pickle(buffer.getvalue())


@pytest.mark.parametrize("data", [
    json.dumps({"a": [1, 2], "b": "text"}).encode(),
    save({"w": torch.ones(3)}),
    b"[PAD]\n[UNK]\n[CLS]\nthe\n",
    b"",
    b"N",  # an opcode, but no STOP
], ids=["json", "safetensors", "vocab", "empty", "truncated"])
def test_saved_predictor_files_are_not_pickles(data: bytes) -> None:
    assert not is_pickle(data)
