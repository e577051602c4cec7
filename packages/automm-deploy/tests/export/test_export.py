"""Exported graphs + the numpy runtime give the torch predictor's answers; export refuses what it cannot do."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest

from automm.deploy import load
from automm.deploy.errors import DeployError
from automm.deploy.manifest import Manifest

from .conftest import CASES, artefact_case

# Matchers: the (query, response) columns of their rows.
SIDES = {"matcher": ("question", "answer"), "clip": ("image", "caption")}


def _test_rows(table: pd.DataFrame, name: str, pairs: pd.DataFrame) -> pd.DataFrame:
    if name == "matcher":
        return pairs[list(SIDES[name])].iloc[60:]
    if name == "clip":
        return table[list(SIDES[name])].dropna().iloc[60:]
    return table[CASES[name][0]].iloc[100:]


@pytest.mark.parametrize(("name", "graphs"), [("matcher", {"query": "shared", "response": "shared"}),
                                              ("clip", {"query": "query", "response": "response"})])
def test_matcher_runtime_equals_the_torch_predictor(name: str, graphs: dict, fitted: dict, exported: dict,
                                                    table: pd.DataFrame, pairs: pd.DataFrame) -> None:
    predictor, model = fitted[name], load(exported[name])
    rows = _test_rows(table, name, pairs)
    pd.testing.assert_series_equal(model.predict(rows), predictor.predict(rows))
    np.testing.assert_allclose(model.predict_proba(rows).to_numpy(), predictor.predict_proba(rows).to_numpy(),
                               atol=1e-4, rtol=0)
    for side, column in zip(("query", "response"), SIDES[name]):
        np.testing.assert_allclose(model.extract_embedding(rows[[column]], signature=side),
                                   predictor.extract_embedding(rows[[column]], signature=side), atol=1e-4, rtol=0)
    manifest = Manifest.read(exported[name])
    assert manifest.sides == graphs  # text-text bi-encoders share one tower; CLIP has a text and a vision graph
    assert sorted(p.name for p in exported[name].iterdir()) == sorted(
        ["manifest.json", "tokenizer.json", *(g.file for g in manifest.graphs.values())])


@pytest.mark.parametrize("name", list(CASES))
def test_runtime_equals_the_torch_predictor(name: str, fitted: dict, exported: dict, table: pd.DataFrame) -> None:
    predictor, model = fitted[name], load(exported[name])
    rows = _test_rows(table, name, table)
    expected, found = predictor.predict(rows), model.predict(rows)
    assert type(found) is type(expected)
    pd.testing.assert_index_equal(found.index, expected.index)
    if name == "tabular":  # regression: values, not labels
        np.testing.assert_allclose(np.asarray(found, float), np.asarray(expected, float), rtol=1e-4, atol=1e-4)
    else:
        assert (np.asarray(found) == np.asarray(expected)).all()  # labels: 100 % equal
        proba, expected_proba = model.predict_proba(rows), predictor.predict_proba(rows)
        assert list(proba.columns) == list(expected_proba.columns) and proba.dtypes.equals(expected_proba.dtypes)
        np.testing.assert_allclose(proba.to_numpy(), expected_proba.to_numpy(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(model.extract_embedding(rows), predictor.extract_embedding(rows), atol=1e-4, rtol=0)
    # One row at a time (the realtime path) gives the same as the batch.
    for position in (0, 5):
        single = model.predict(rows.iloc[[position]])
        assert np.asarray(single).ravel().tolist() == np.asarray(found.iloc[[position]]).ravel().tolist()


def test_manifest_and_graph(exported: dict, fitted: dict) -> None:
    folder = exported["multimodal"]
    manifest = Manifest.read(folder)
    assert manifest.problem_type == "binary" and manifest.task["classes"] == ["high", "low"]
    assert manifest.columns == {"image": "image_path", "caption": "text", "ink": "numerical", "colour": "categorical"}
    graph = manifest.graphs["model"]
    assert graph.inputs == ["numerical", "categorical", "text_ids", "text_mask", "text_present", "image_pixels",
                            "image_mask"] and graph.outputs == ["logits", "embedding"] and graph.opset == 17
    saved = json.loads((fitted["multimodal"].path / "processors.json").read_text())
    assert manifest.processors == saved  # one recipe: the predictor's own processors.json
    model = onnx.load(str(folder / graph.file))
    onnx.checker.check_model(model)
    shapes = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    assert shapes["text_ids"] == ["batch", "sequence"] and shapes["image_pixels"][:2] == ["batch", "slots"]
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "model.onnx", "tokenizer.json"]


@pytest.mark.parametrize(("name", "optimizer"), [("text", "bert"), ("matcher", "bert"), ("clip", "clip"),
                                                 ("tabular", "multihead_attention"), ("image", "none")])
def test_transformer_graphs_are_fused_by_the_onnxruntime_optimizer(name: str, optimizer: str, exported: dict) -> None:
    """Graphs with a BERT-like or CLIP transformer are saved fused by onnxruntime's optimizer, the FT-Transformer's
    self-attention as onnxruntime's MultiHeadAttention (all still equal torch's answers: the tests above); the
    manifest records the fusion and the session settings chosen at export."""
    manifest = Manifest.read(exported[name])
    for graph in manifest.graphs.values():
        assert graph.optimizer == optimizer
        assert (graph.optimization_level, graph.threads, graph.spinning) == ("all", 0, False)
        counts = Counter(node.op_type for node in onnx.load(str(exported[name] / graph.file)).graph.node)
        ops = set(counts)
        fused = {"Attention", "MultiHeadAttention", "SkipLayerNormalization"} & ops
        assert ("MultiHeadAttention" in ops) == (optimizer == "multihead_attention")
        if optimizer == "multihead_attention":  # every pre-norm layer (two LayerNorms, the last one for [CLS] alone)
            assert counts["MultiHeadAttention"] == (counts["LayerNormalization"] - 1) // 2 > 1
        assert bool(fused) == (optimizer != "none")
    stored = json.loads((exported[name] / "manifest.json").read_text())
    assert all(g["optimizer"] == optimizer for g in stored["graphs"].values())


def test_rows_chunked_by_text_length_come_back_in_row_order(exported: dict, table: pd.DataFrame) -> None:
    """Chunks of rows of like text length (each padded to its own longest row) answer as one call does, in the
    rows' order."""
    rows = _test_rows(table, "multimodal", table)
    whole = load(exported["multimodal"], batch_size=len(rows))
    chunked = load(exported["multimodal"], batch_size=7)
    np.testing.assert_allclose(chunked.predict_proba(rows).to_numpy(), whole.predict_proba(rows).to_numpy(),
                               atol=1e-5, rtol=0)
    pd.testing.assert_series_equal(chunked.predict(rows), whole.predict(rows))
    np.testing.assert_allclose(chunked.extract_embedding(rows), whole.extract_embedding(rows), atol=1e-5, rtol=0)
    inputs = chunked.network.runner.inputs
    widths = [feeds["text_ids"].shape[1] for _, feeds in inputs.chunks(rows, 7)]
    assert widths == sorted(widths) and widths[0] < whole.network.runner.inputs(rows)["text_ids"].shape[1]


def test_a_large_call_makes_its_inputs_block_by_block(exported: dict, table: pd.DataFrame,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunked call makes table and text inputs ``BLOCK_ROWS`` rows at a time (its memory is one block's, not the
    whole table's), sorting by text length within each block; the answers are one call's, in row order."""
    from automm.deploy import preprocess

    rows = _test_rows(table, "multimodal", table)
    expected = load(exported["multimodal"], batch_size=len(rows)).predict_proba(rows)
    monkeypatch.setattr(preprocess, "BLOCK_ROWS", 5)
    chunked = load(exported["multimodal"], batch_size=3)
    made: list[int] = []
    features = chunked.network.runner.inputs.features
    monkeypatch.setattr(chunked.network.runner.inputs, "features", lambda frame: made.append(len(frame)) or
                        features(frame))
    np.testing.assert_allclose(chunked.predict_proba(rows).to_numpy(), expected.to_numpy(), atol=1e-5, rtol=0)
    assert made == [5] * (len(rows) // 5) + ([len(rows) % 5] if len(rows) % 5 else [])
    positions = np.concatenate([found for found, _ in chunked.network.runner.inputs.chunks(rows, 3)])
    assert sorted(positions.tolist()) == list(range(len(rows)))


def test_export_refuses_unsupported_and_unsafe_targets(fitted: dict, tmp_path: Path) -> None:
    from automm.deploy import export

    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(DeployError, match="holds other files"):
        export(fitted["text"], other)
    assert (other / "keep.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    with pytest.raises(DeployError, match="is a file"):
        export(fitted["text"], tmp_path / "file")
    again = export(fitted["text"], tmp_path / "out")
    assert export(fitted["text"], again) == again  # an earlier export is replaced
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_runtime_refuses_a_saved_predictor_and_bad_rows(fitted: dict, exported: dict, table: pd.DataFrame) -> None:
    from automm.deploy.errors import InputError

    with pytest.raises(DeployError, match="saved predictor, not an export"):
        load(fitted["text"].path)
    model = load(exported["multimodal"])
    with pytest.raises(InputError, match=r"lack column\(s\) \['caption'\]"):
        model.predict(_test_rows(table, "multimodal", table).drop(columns="caption"))
    with pytest.raises(InputError, match="regression"):
        load(exported["tabular"]).predict_proba(_test_rows(table, "tabular", table))


def test_write_artefacts_for_the_runtime_only_session(fitted: dict, exported: dict, table: pd.DataFrame,
                                                      pairs: pd.DataFrame) -> None:
    """Each export, its test rows and the torch predictor's answers, for nox's runtime-only environment."""
    for name, folder in exported.items():
        rows = _test_rows(table, name, pairs)
        case = artefact_case(name, folder, rows)
        predictor = fitted[name]
        signature = "query" if name in SIDES else None
        embedding = predictor.extract_embedding(rows[[SIDES[name][0]]] if signature else rows, signature=signature)
        answers = {"predict": predictor.predict(rows).to_json(orient="split"), "embedding": embedding.tolist()}
        if name != "tabular":
            answers["proba"] = predictor.predict_proba(rows).to_json(orient="split")
        (case / "expected.json").write_text(json.dumps(answers))


@pytest.mark.parametrize("name", ["multimodal", "matcher"])
def test_int8_quantised_export_runs_close_to_float(name: str, fitted: dict, exported: dict, table: pd.DataFrame,
                                                   pairs: pd.DataFrame, tmp_path: Path) -> None:
    from automm.deploy import export

    folder = export(fitted[name], tmp_path / "int8", quantize="int8")
    manifest = Manifest.read(folder)
    assert all(g.precision == "int8" and g.file.endswith(".int8.onnx") for g in manifest.graphs.values())
    assert not list(folder.glob("model.onnx"))
    ops = {node.op_type for g in manifest.graphs.values() for node in onnx.load(str(folder / g.file)).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeMatMul" in ops
    rows = _test_rows(table, name, pairs)
    quantised, full = load(folder).predict_proba(rows), load(exported[name]).predict_proba(rows)
    assert 0 < np.abs(quantised.to_numpy() - full.to_numpy()).max() < 0.05  # changed, but a little
    with pytest.raises(DeployError, match="quantize must be"):
        export(fitted[name], tmp_path / "x", quantize="int4")


@pytest.mark.gpu
@pytest.mark.parametrize("device", ["cuda", "tensorrt"])
def test_gpu_providers_give_the_cpu_answers(device: str, exported: dict, table: pd.DataFrame) -> None:
    import onnxruntime

    wanted = {"cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider"}[device]
    if wanted not in onnxruntime.get_available_providers():
        pytest.skip(f"{wanted} is not in this onnxruntime (install onnxruntime-gpu, and TensorRT for tensorrt)")
    rows = _test_rows(table, "multimodal", table)
    gpu, cpu = load(exported["multimodal"], device=device), load(exported["multimodal"])
    assert gpu.network.runner.session.get_providers()[0] == wanted
    np.testing.assert_allclose(gpu.predict_proba(rows).to_numpy(), cpu.predict_proba(rows).to_numpy(), atol=1e-3)
    half = load(exported["multimodal"], device=device, fp16=True)
    assert (half.predict(rows) == cpu.predict(rows)).mean() >= 0.95


def test_a_missing_accelerator_falls_back_to_the_cpu_with_a_notice(exported: dict, table: pd.DataFrame,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    model = load(exported["text"], device="cuda")
    assert "CUDAExecutionProvider is not available" in caplog.text and "running on CPUExecutionProvider" in caplog.text
    assert model.network.runner.session.get_providers() == ["CPUExecutionProvider"]
    with pytest.raises(DeployError, match="device must be one of"):
        load(exported["text"], device="tpu")


def test_an_ensemble_exports_as_one_graph_that_answers_like_it(table: pd.DataFrame, tiny_text_model: Path,
                                                               tmp_path: Path) -> None:
    """Ensemble members share the predictor's inputs: one graph runs them all and combines them as torch does."""
    from automm.core import MultiModalPredictor
    from automm.core.testing.tiny_models import tiny_hyperparameters
    from automm.deploy import export

    features, types = CASES["multimodal"][0], CASES["multimodal"][2]
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", use_ensemble=True, ensemble_size=2,
                                    hyperparameters=tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1}))
    predictor.fit(table[[*features, "label"]].iloc[:100], column_types=types, seed=0)
    assert predictor.state.network_spec.kind == "ensemble"
    folder = export(predictor, tmp_path / "export")
    model, rows = load(folder), table[features].iloc[100:]
    assert list(Manifest.read(folder).graphs) == ["model"]
    assert (np.asarray(model.predict(rows)) == np.asarray(predictor.predict(rows))).all()
    np.testing.assert_allclose(model.predict_proba(rows).to_numpy(), predictor.predict_proba(rows).to_numpy(),
                               atol=1e-4, rtol=0)
    np.testing.assert_allclose(model.extract_embedding(rows), predictor.extract_embedding(rows), atol=1e-4, rtol=0)
