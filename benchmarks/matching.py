"""Matching (automm-match) on derived pairs: zero-shot vs fine-tuned, embedding throughput, top-k search.

    python -m benchmarks.matching            # full run (~20 min on 2 CPU cores); writes its section of BENCHMARKS.md
    python -m benchmarks.matching --quick    # tiny sizes, a smoke check; prints only

No human-labelled pair set loads offline, so every pair set here is *derived* from labelled data:

* text: the two halves of one fine-food review (split at the sentence boundary nearest the middle) are a
  matching pair. The brief asked for "two reviews of the same product", but every product occurs exactly
  once in modeldata's 5,000 reviews, so no such pair exists;
* image: two Fashion-MNIST images of the same class;
* image-text: a Fashion-MNIST image and "a photo of a <class>.".

Every number is reported next to a baseline measured in the same run: the zero-shot (or untrained) model
for quality, the bare forward of pre-collated batches for ``extract_embedding``, and a brute-force numpy
top-k for ``search``. Work files (PNGs, predictors) go to ``benchmarks/.work/matching``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import pandas as pd

from .fit_cases import run_record, source_digest
from .matching_report import IMAGE_SIZE, RETRIEVAL, SECTION, TEXT_MAX_LENGTH, render
from .report import replace_section

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "matching"
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
TEMPLATE = "a photo of a {}."


@dataclass(frozen=True)
class Sizes:
    """Everything that changes between a full run and ``--quick``."""

    text_train: int  # train pairs (review halves) at most
    text_tuning: int  # validation pairs, from the train split
    text_test: int  # test pairs, from the test split
    text_time_limit: float
    fashion_train: int  # Fashion-MNIST train images (class-balanced)
    fashion_test: int  # Fashion-MNIST test images
    grid_tuning: int  # image-image validation grid: this many queries and responses per class
    grid_test: int  # image-image test grid: this many queries and responses per class
    image_time_limit: float
    dual_tuning: int  # image-text validation pairs
    dual_test: int  # image-text test pairs
    dual_time_limit: float
    throughput_rows: int
    corpus_rows: int
    search_queries: int
    search_repeats: int
    max_epochs: int | None = None  # cap (quick runs), else the preset's


FULL = Sizes(text_train=4000, text_tuning=128, text_test=500, text_time_limit=240, fashion_train=4000,
             fashion_test=1000, grid_tuning=5, grid_test=10, image_time_limit=150, dual_tuning=200, dual_test=500,
             dual_time_limit=150, throughput_rows=1000, corpus_rows=100_000, search_queries=100, search_repeats=3)
QUICK = Sizes(text_train=48, text_tuning=16, text_test=32, text_time_limit=20, fashion_train=120, fashion_test=100,
              grid_tuning=2, grid_test=3, image_time_limit=20, dual_tuning=20, dual_test=40, dual_time_limit=20,
              throughput_rows=64, corpus_rows=5_000, search_queries=10, search_repeats=1, max_epochs=1)


# ---------------------------------------------------------------------------------------------- timing, memory
def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def peak_rss_rise(fn: Callable[[], Any]) -> tuple[float, int, Any]:
    """(seconds, rise of resident memory above its value just before the call, result); RSS sampled every 5 ms."""
    from .memory import _current_rss, _RssSampler

    before = _current_rss()
    sampler = _RssSampler()
    sampler.start()
    try:
        seconds, result = timed(fn)
    finally:
        sampler.running = False
        sampler.join()
    return seconds, max(sampler.highest - before, 0), result


def load_average() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


# ---------------------------------------------------------------------------------------------- derived pairs
def _sentences(text: str) -> list[str]:
    text = re.sub(r"<br\s*/?>", " ", text)
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]


def review_halves(reviews: pd.Series, seed: int = 0) -> pd.DataFrame:
    """``query`` = first half, ``response`` = second half of each distinct review with two or more sentences."""
    rows = []
    for review in reviews.drop_duplicates():
        sentences = _sentences(review)
        if len(sentences) < 2:
            continue
        ends = np.cumsum([len(s) for s in sentences])
        cut = int(np.argmin(np.abs(ends[:-1] - ends[-1] / 2))) + 1
        rows.append((" ".join(sentences[:cut]), " ".join(sentences[cut:])))
    frame = pd.DataFrame(rows, columns=["query", "response"])
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def same_class_pairs(images: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Images of one class paired two by two (each image used once): training pairs, positives only."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _, group in images.groupby("label"):
        paths = rng.permutation(group["image"].to_numpy())
        pairs.append(pd.DataFrame({"query": paths[0:-1:2], "response": paths[1::2]}))
    return pd.concat(pairs).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def class_grid(images: pd.DataFrame, per_class: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(queries, responses, positive pairs): ``per_class`` queries and responses per class, and every
    (query, response) of the same class as a pair, so all same-class responses count as relevant."""
    queries, responses = [], []
    for _, group in images.groupby("label"):
        if len(group) < 2 * per_class:
            raise ValueError(f"class grid needs {2 * per_class} images per class, got {len(group)}")
        queries.append(group.iloc[:per_class])
        responses.append(group.iloc[per_class : 2 * per_class])
    q, r = pd.concat(queries, ignore_index=True), pd.concat(responses, ignore_index=True)
    pairs = q.merge(r, on="label", suffixes=("_q", "_r"))
    return q, r, pd.DataFrame({"query": pairs["image_q"], "response": pairs["image_r"]})


def caption_pairs(images: pd.DataFrame) -> pd.DataFrame:
    """Each image with the sentence describing its class (``TEMPLATE``)."""
    return pd.DataFrame({"image": images["image"].to_numpy(),
                         "text": [TEMPLATE.format(name.lower()) for name in images["label"]]})


# ---------------------------------------------------------------------------------------------- quality
def roc_auc_from_embeddings(query: np.ndarray, response: np.ndarray, positive: np.ndarray,
                            negative: np.ndarray) -> float:
    """ROC-AUC of cosine similarity, ``positive`` / ``negative``: [pairs, 2] row positions into query / response."""
    from sklearn.metrics import roc_auc_score

    pairs = np.concatenate([positive, negative])
    cosine = (query[pairs[:, 0]] * response[pairs[:, 1]]).sum(axis=1)
    labels = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    return float(roc_auc_score(labels, cosine))


def derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A permutation of range(n) with no fixed point (a random cyclic shift of a random order)."""
    order = rng.permutation(n)
    result = np.empty(n, dtype=np.int64)
    result[order] = order[(np.arange(n) + int(rng.integers(1, n))) % n]
    return result


def text_quality(predictor: Any, test: pd.DataFrame) -> dict[str, Any]:
    """Retrieval metrics from ``evaluate`` on the positive pairs, ROC-AUC on positives + as many mismatched halves."""
    from automm.match.metrics import retrieval_scores

    evaluate_s, scores = timed(lambda: predictor.evaluate(test))
    query = predictor.extract_embedding(test[["query"]], signature="query")
    response = predictor.extract_embedding(test[["response"]], signature="response")
    rows = np.arange(len(test))
    negative = np.c_[rows, derangement(len(test), np.random.default_rng(1))]
    # The same retrieval metrics recomputed from extract_embedding: a check that both paths agree.
    outputs = np.stack([query, response], axis=1)
    groups = [pd.factorize(test[side])[0].astype(np.float32) for side in ("query", "response")]
    recomputed = retrieval_scores(outputs, *groups)
    return {**{m: scores[m] for m in RETRIEVAL}, "roc_auc": roc_auc_from_embeddings(query, response, np.c_[rows, rows],
                                                                                    negative),
            "evaluate_s": evaluate_s, "evaluate_vs_embeddings": max(abs(scores[m] - recomputed[m]) for m in RETRIEVAL),
            "_embeddings": (query, response)}


def image_quality(predictor: Any, queries: pd.DataFrame, responses: pd.DataFrame,
                  pairs: pd.DataFrame) -> dict[str, Any]:
    """Class-level retrieval from ``evaluate`` on the grid's positive pairs; ROC-AUC on all positives and as many
    random different-class (query, response) combinations."""
    evaluate_s, scores = timed(lambda: predictor.evaluate(pairs))
    query = predictor.extract_embedding(queries[["image"]].rename(columns={"image": "query"}), signature="query")
    response = predictor.extract_embedding(responses[["image"]].rename(columns={"image": "response"}),
                                           signature="response")
    same = queries["label"].to_numpy()[:, None] == responses["label"].to_numpy()[None, :]
    positive, negative = np.argwhere(same), np.argwhere(~same)
    negative = negative[np.random.default_rng(1).choice(len(negative), len(positive), replace=False)]
    roc_auc = roc_auc_from_embeddings(query, response, positive, negative)
    return {**{m: scores[m] for m in RETRIEVAL}, "roc_auc": roc_auc, "evaluate_s": evaluate_s}


def dual_quality(predictor: Any, test: pd.DataFrame, labels: pd.Series) -> dict[str, Any]:
    """Image -> caption retrieval from ``evaluate`` (10 distinct captions, so recall@10 is 1 by construction),
    and accuracy of ``zero_shot_classify`` with the class names (chance 0.10)."""
    from automm.match import zero_shot_classify

    evaluate_s, scores = timed(lambda: predictor.evaluate(test))
    names = sorted({name.lower() for name in labels})
    probabilities = zero_shot_classify(predictor, test[["image"]], names, template=TEMPLATE)
    accuracy = float((probabilities.idxmax(axis=1).to_numpy() == labels.str.lower().to_numpy()).mean())
    return {**{m: scores[m] for m in RETRIEVAL}, "zero_shot_accuracy": accuracy, "evaluate_s": evaluate_s}


def fit(predictor: Any, train: pd.DataFrame, tuning: pd.DataFrame, time_limit: float) -> dict[str, Any]:
    """Fit with ``tuning`` as the validation set; wall time and the fit summary."""
    seconds, _ = timed(lambda: predictor.fit(train, tuning_data=tuning, time_limit=time_limit, seed=0))
    info = predictor.fit_summary
    return {"train_pairs": len(train), "tuning_pairs": len(tuning), "time_limit_s": time_limit, "fit_s": seconds,
            **{k: info.get(k) for k in ("epochs", "steps", "stopped_by", "soup_size", "best_val_score",
                                        "kept_pretrained")}}


def predictor_for(problem_type: str, path: Path, hyperparameters: dict[str, Any], **sides: str) -> Any:
    from automm.core import MultiModalPredictor

    shutil.rmtree(path, ignore_errors=True)
    return MultiModalPredictor(problem_type=problem_type, path=path, hyperparameters=hyperparameters, **sides)


def _fit_hyperparameters(base: dict[str, Any], sizes: Sizes) -> dict[str, Any]:
    return {**base, **({"optim.max_epochs": sizes.max_epochs} if sizes.max_epochs else {})}


# ---------------------------------------------------------------------------------------------- the three pair sets
def text_case(sizes: Sizes) -> dict[str, Any]:
    """Review halves: zero-shot MiniLM vs MiniLM fine-tuned on train-split halves (positives only)."""
    from . import datasets

    train_reviews, test_reviews = datasets.fine_foods()
    train_pairs, test = review_halves(train_reviews["review"]), review_halves(test_reviews["review"])
    tuning = train_pairs.iloc[: sizes.text_tuning]
    train = train_pairs.iloc[sizes.text_tuning : sizes.text_tuning + sizes.text_train].reset_index(drop=True)
    test = test.iloc[: sizes.text_test].reset_index(drop=True)
    base = {"model.text.max_length": TEXT_MAX_LENGTH}
    sides = {"query": "query", "response": "response"}
    zero_shot = predictor_for("text_similarity", WORK / "text_zero_shot", base, **sides)
    result: dict[str, Any] = {"zero_shot": text_quality(zero_shot, test)}
    tuned = predictor_for("text_similarity", WORK / "text_fine_tuned", _fit_hyperparameters(base, sizes), **sides)
    result["fit"] = fit(tuned, train, tuning, sizes.text_time_limit)
    config = tuned.state.config
    result["fit"]["loss"] = type(tuned.state.task.loss(config.optim, config.task).inner).__name__
    result["fine_tuned"] = text_quality(tuned, test)
    products = pd.concat([train_reviews["product"], test_reviews["product"]])
    result["data"] = {"reviews": len(products), "products": int(products.nunique()),
                      "products_in_both_splits": len(set(train_reviews["product"]) & set(test_reviews["product"])),
                      "train_pairs_available": len(train_pairs), "test_pairs_available": len(review_halves(
                          test_reviews["review"])), "test_pairs": len(test)}
    result["_zero_shot"], result["_test"] = zero_shot, test  # for the throughput and search parts
    return result


def fashion(sizes: Sizes) -> tuple[pd.DataFrame, pd.DataFrame]:
    from . import datasets

    return datasets.fashion_mnist(sizes.fashion_train, sizes.fashion_test, WORK / "fashion-mnist")


def _split_grid_images(train_images: pd.DataFrame, per_class: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(grid images: the first 2 * per_class of each class, the rest) of the train split."""
    in_grid = train_images.groupby("label").cumcount() < 2 * per_class
    return train_images[in_grid], train_images[~in_grid]


def image_case(sizes: Sizes) -> dict[str, Any]:
    """Same-class Fashion-MNIST pairs: ImageNet EfficientNet-Lite0 features vs fine-tuned."""
    train_images, test_images = fashion(sizes)
    grid_images, rest = _split_grid_images(train_images, sizes.grid_tuning)
    tuning = class_grid(grid_images, sizes.grid_tuning)[2]
    train = same_class_pairs(rest)
    queries, responses, test = class_grid(test_images, sizes.grid_test)
    base = {"model.image.image_size": IMAGE_SIZE}
    sides = {"query": "query", "response": "response"}
    zero_shot = predictor_for("image_similarity", WORK / "image_zero_shot", base, **sides)
    result: dict[str, Any] = {"zero_shot": image_quality(zero_shot, queries, responses, test)}
    tuned = predictor_for("image_similarity", WORK / "image_fine_tuned", _fit_hyperparameters(base, sizes), **sides)
    result["fit"] = fit(tuned, train, tuning, sizes.image_time_limit)
    result["fine_tuned"] = image_quality(tuned, queries, responses, test)
    result["data"] = {"test_queries": len(queries), "test_responses": len(responses), "test_pairs": len(test)}
    result["_tuned"], result["_images"] = tuned, test_images  # for the throughput part
    return result


def dual_case(sizes: Sizes) -> dict[str, Any]:
    """Image <-> caption: MiniLM + EfficientNet-Lite0 dual encoder, untrained (random projections) vs fine-tuned."""
    import torch

    train_images, test_images = fashion(sizes)
    tuning_images = train_images.groupby("label").head(sizes.dual_tuning // 10)
    train = caption_pairs(train_images.drop(tuning_images.index)).sample(frac=1.0, random_state=0)
    tuning = caption_pairs(tuning_images)
    test_images = test_images.groupby("label").head(sizes.dual_test // 10).reset_index(drop=True)
    test = caption_pairs(test_images)
    base = {"model.image.image_size": IMAGE_SIZE}
    sides = {"query": "image", "response": "text"}
    torch.manual_seed(0)  # the projection heads start random
    untrained = predictor_for("image_text_similarity", WORK / "dual_untrained", base, **sides)
    result: dict[str, Any] = {"zero_shot": dual_quality(untrained, test, test_images["label"])}
    torch.manual_seed(0)
    tuned = predictor_for("image_text_similarity", WORK / "dual_fine_tuned", _fit_hyperparameters(base, sizes),
                          **sides)
    result["fit"] = fit(tuned, train, tuning, sizes.dual_time_limit)
    result["fit"]["symmetric_loss"] = bool(tuned.state.config.task.symmetric)
    result["fine_tuned"] = dual_quality(tuned, test, test_images["label"])
    result["data"] = {"test_pairs": len(test)}
    return result


# ---------------------------------------------------------------------------------------------- throughput
def _bare_encode(net: Any, side: str, batches: list[Any]) -> list[Any]:
    import torch

    with torch.inference_mode():
        return [net.encode(side, b) for b in batches]


def embedding_throughput(predictor: Any, frame: pd.DataFrame, side: str, repeats: int) -> dict[str, Any]:
    """``extract_embedding`` over ``frame`` vs the bare ``net.encode`` of the same rows, in chunks of
    ``env.eval_batch_size`` collated beforehand (model only) or inside the timing (with collation); interleaved."""
    import torch

    from .measure import contention_probe

    state = predictor.state
    net, processors, size = state.net, state.processors.sides[side], state.config.env.eval_batch_size
    net.eval()
    chunks = [frame.iloc[s : s + size][processors.columns] for s in range(0, len(frame), size)]
    batches = [processors.collate(c) for c in chunks]
    predictor.extract_embedding(frame.head(4), signature=side)  # warm-up
    _bare_encode(net, side, batches[:1])
    probe_before = contention_probe()
    times: dict[str, list[float]] = {"extract": [], "bare": [], "collate_bare": []}
    embedded = bare = None
    for _ in range(repeats):
        seconds, embedded = timed(lambda: predictor.extract_embedding(frame, signature=side))
        times["extract"].append(seconds)
        seconds, bare = timed(lambda: _bare_encode(net, side, batches))
        times["bare"].append(seconds)
        times["collate_bare"].append(timed(lambda: _bare_encode(net, side, [processors.collate(c) for c in chunks]))[0])
    difference = float(np.abs(embedded - torch.cat(bare).numpy()).max())
    return {"rows": len(frame), "chunk": size, "repeats": repeats, **{k: median(v) for k, v in times.items()},
            "max_abs_difference": difference, "contention_probe_s": [probe_before, contention_probe()]}


# ---------------------------------------------------------------------------------------------- search
def tiled_corpus(base: np.ndarray, rows: int, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    """``rows`` unit vectors: ``base`` repeated, plus N(0, noise) per dimension, re-normalised."""
    rng = np.random.default_rng(seed)
    corpus = base[np.arange(rows) % len(base)] + rng.normal(0.0, noise, (rows, base.shape[1]))
    return (corpus / np.linalg.norm(corpus, axis=1, keepdims=True)).astype(np.float32)


def brute_force_top_k(queries: np.ndarray, corpus: np.ndarray, k: int) -> np.ndarray:
    """Corpus positions of the ``k`` best cosines per query (unit vectors): one matmul + argpartition."""
    scores = queries @ corpus.T
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def _agreement(hits: pd.DataFrame, expected: np.ndarray) -> float:
    """Mean share of each query's top-k (as sets) that the brute force also returns."""
    found = hits.sort_values(["query", "rank"])["corpus"].to_numpy().reshape(len(expected), -1)
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, expected)]))


def search_case(predictor: Any, base: np.ndarray, queries: pd.DataFrame, sizes: Sizes,
                small_chunk: int = 2048) -> dict[str, Any]:
    """``predictor.search`` over a tiled corpus of real embeddings vs brute force, with the RSS rise of each call."""
    corpus = tiled_corpus(base, sizes.corpus_rows)
    predictor.search(queries.head(2), corpus[:100], top_k=10)  # warm-up
    runs: dict[str, list[tuple[float, int]]] = {}
    results: dict[str, Any] = {}
    query_embeddings = predictor.extract_embedding(queries, signature="query")
    calls = {
        "embed_queries": lambda: predictor.extract_embedding(queries, signature="query"),
        "brute_force": lambda: brute_force_top_k(query_embeddings, corpus, 10),
        "search_frame": lambda: predictor.search(queries, corpus, top_k=10),
        "search_embeddings": lambda: predictor.search(query_embeddings, corpus, top_k=10),
        "search_small_chunk": lambda: predictor.search(query_embeddings, corpus, top_k=10,
                                                       corpus_chunk_size=small_chunk),
    }
    for _ in range(sizes.search_repeats):
        for name, call in calls.items():
            seconds, rise, results[name] = peak_rss_rise(call)
            runs.setdefault(name, []).append((seconds, rise))
    expected = results["brute_force"]
    return {"corpus_rows": len(corpus), "queries": len(queries), "dim": corpus.shape[1], "base_rows": len(base),
            "small_chunk": small_chunk, "corpus_mib": corpus.nbytes / 2**20, "repeats": sizes.search_repeats,
            **{name: {"seconds": median(s for s, _ in r), "rss_rise": max(m for _, m in r)}
               for name, r in runs.items()},
            "agreement": {name: _agreement(results[name], expected)
                          for name in ("search_frame", "search_embeddings", "search_small_chunk")}}


def search_in_fresh_process(base_file: str, queries_file: str, quick: bool, out: str) -> None:
    """``search_case`` with the zero-shot text matcher, in this (fresh) process; writes its JSON to ``out``."""
    base, queries = np.load(base_file), pd.read_parquet(queries_file)
    predictor = predictor_for("text_similarity", WORK / "search_zero_shot", {"model.text.max_length": TEXT_MAX_LENGTH},
                              query="query", response="response")
    Path(out).write_text(json.dumps(search_case(predictor, base, queries, QUICK if quick else FULL)))


def search_part(base: np.ndarray, queries: pd.DataFrame, quick: bool) -> dict[str, Any]:
    """Run the search measurements in a fresh process, so that memory freed by the fits cannot hide the RSS rise."""
    np.save(WORK / "search_base.npy", base)
    queries.to_parquet(WORK / "search_queries.parquet")
    out = WORK / "search.json"
    out.unlink(missing_ok=True)
    code = ("import sys; from benchmarks.matching import search_in_fresh_process as f; "
            "f(sys.argv[1], sys.argv[2], sys.argv[3] == 'quick', sys.argv[4])")
    subprocess.run([sys.executable, "-c", code, str(WORK / "search_base.npy"), str(WORK / "search_queries.parquet"),
                    "quick" if quick else "full", str(out)], cwd=ROOT, check=True, env={**OFFLINE, **os.environ})
    return json.loads(out.read_text())


# ---------------------------------------------------------------------------------------------- main
def public(value: Any) -> Any:
    """``value`` without its runtime-only entries (keys starting with "_": predictors, frames, arrays)."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not str(k).startswith("_")}
    return value


def run_part(name: str, fn: Callable[[], dict[str, Any]], results: dict[str, Any]) -> dict[str, Any] | None:
    """Run one part, recording its wall time, or its error without stopping the others."""
    load = load_average()
    print(f"{name} ... (load average {load})", flush=True)
    started = time.perf_counter()
    try:
        part = fn()
    except Exception as exc:  # noqa: BLE001 - one failing part must not hide the others' numbers
        import traceback

        traceback.print_exc()
        part = {"error": f"{type(exc).__name__}: {exc}"}
    part["wall_s"], part["load_start"] = time.perf_counter() - started, load
    print(f"  {name}: {part.get('error', 'done')} ({part['wall_s']:.0f} s)", flush=True)
    results[name] = part
    return part if "error" not in part else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and time limits; prints only")
    args = parser.parse_args(argv)
    os.environ.update({k: v for k, v in OFFLINE.items() if k not in os.environ})
    sizes = QUICK if args.quick else FULL
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("matching", argv), "sizes": asdict(sizes)}
    text = run_part("text", lambda: text_case(sizes), results)
    image = run_part("image", lambda: image_case(sizes), results)
    run_part("dual", lambda: dual_case(sizes), results)
    throughput: dict[str, Any] = {}
    if text:
        throughput_texts = pd.DataFrame({"query": pd.concat([text["_test"]["query"], text["_test"]["response"]])
                                         .iloc[: sizes.throughput_rows].to_numpy()})
        throughput["text (review halves, MiniLM)"] = lambda: embedding_throughput(
            text["_zero_shot"], throughput_texts, "query", repeats=1)
    if image:
        throughput_images = pd.DataFrame({"query": image["_images"]["image"].iloc[: sizes.throughput_rows].to_numpy()})
        throughput["images (64 px, EfficientNet-Lite0, fine-tuned)"] = lambda: embedding_throughput(
            image["_tuned"], throughput_images, "query", repeats=3)
    run_part("throughput", lambda: {"inputs": {name: fn() for name, fn in throughput.items()}}, results)
    if text:
        test = text["_test"]
        base = np.concatenate(text["zero_shot"]["_embeddings"])
        queries = test[["query"]].iloc[: sizes.search_queries]
        run_part("search", lambda: search_part(base, queries, args.quick), results)
    results["load_end"] = load_average()
    results["source_digest"].append(source_digest())  # the library may be edited while this runs
    results["wall_s"] = time.perf_counter() - started
    section = render(results)
    print("\n" + section)
    (WORK / ("results-quick.json" if args.quick else "results.json")).write_text(
        json.dumps(public(results), indent=1, default=str))
    if not args.quick:
        report = ROOT / "BENCHMARKS.md"
        report.write_text(replace_section(report.read_text() if report.exists() else "# Benchmarks\n", section))
        print(f"wrote the {SECTION!r} section of {report}")
    return 1 if any(isinstance(p, dict) and "error" in p for p in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
