"""The Markdown section of ``benchmarks.matching``: quality tables, throughput and search ratios."""

from __future__ import annotations

from typing import Any

from .report import digests

SECTION = "## Matching (derived pairs)"
RETRIEVAL = ("mrr@10", "recall@1", "recall@5", "recall@10", "ndcg@10")
TEXT_MAX_LENGTH = 64  # tokens; both halves of most reviews fit (median ~145 characters), and it halves fit cost
IMAGE_SIZE = 64

def _fmt(value: Any) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def _seconds(value: float) -> str:
    return f"{value * 1000:.3g} ms" if value < 1 else f"{value:.3g} s"


def quality_table(case: dict[str, Any], extra: tuple[str, ...], baseline_name: str) -> list[str]:
    """Zero-shot, fine-tuned and their difference, one metric per column."""
    metrics = [*RETRIEVAL, *extra]
    lines = ["| Model | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for name, key in ((baseline_name, "zero_shot"), ("fine-tuned", "fine_tuned")):
        lines.append(f"| {name} | " + " | ".join(_fmt(case[key][m]) for m in metrics) + " |")
    lines.append("| **fine-tuned − baseline** | " + " | ".join(
        f"**{case['fine_tuned'][m] - case['zero_shot'][m]:+.3f}**" for m in metrics) + " |")
    return lines


# Measured separately (not by this script) on 2026-11-23, on the image validation grid (train split; never the test
# set), to find out why fine-tuning did not beat the ImageNet features; it led to freeze_batchnorm in the presets.
IMAGE_INVESTIGATION = (
    "**Why the matching presets freeze BatchNorm (investigation, separate runs on the validation grid of the train "
    "split, 2026-11-23, library at `20678a3`, before the change):** zero-shot validation mrr@10 was 0.705 and the best "
    "*trained* checkpoint scored lower with every setting tried — defaults 0.533–0.642, batch size 8 0.643, "
    "lr 1e-5 0.543, no augmentation 0.619, labelled pairs with online contrastive loss ROC-AUC 0.741 vs 0.794 "
    "zero-shot. The cause was EfficientNet-Lite0's BatchNorm running statistics: 60 train-mode forward passes over "
    "train images *without any weight update* dropped validation mrr@10 from 0.705 to 0.507. With the BatchNorm "
    "layers held in eval mode the same fit reached validation mrr@10 0.849 after 170 steps in 150 s; the matching "
    "presets now set `model.image.freeze_batchnorm=True`. Independently, a fit that ends worse on validation than the "
    "pretrained weights keeps the pretrained weights (`fit_summary['kept_pretrained']`).")


def beats(case: dict[str, Any], metrics: tuple[str, ...]) -> str:
    """How many of ``metrics`` the fine-tuned model improves over the baseline."""
    better = [m for m in metrics if case["fine_tuned"][m] > case["zero_shot"][m] + 1e-9]
    verdict = "beats" if len(better) == len(metrics) else ("does NOT beat" if not better else "partly beats")
    return f"**Fine-tuned {verdict} the baseline** ({len(better)} of {len(metrics)} metrics higher)."


def fit_line(fit_result: dict[str, Any]) -> str:
    f = fit_result
    return (f"Fit: {f['train_pairs']:,} train pairs, {f['tuning_pairs']:,} validation pairs (train split), "
            f"time_limit {f['time_limit_s']:.0f} s → wall {f['fit_s']:.0f} s (validation and checkpoint soup "
            f"included), {f['epochs']} epoch(s), {f['steps']} steps, stopped by {f['stopped_by']}, "
            f"soup of {f['soup_size']}, best validation mrr@10 of a trained checkpoint {_fmt(f['best_val_score'])}"
            + (", **kept the pretrained weights** (they scored better on validation)" if f.get("kept_pretrained")
               else "") + ".")


def render(results: dict[str, Any]) -> str:
    """The Markdown section."""
    sizes = results["sizes"]
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s']:.0f} s; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 shared CPU cores, no GPU — other work "
             "may run concurrently (see the load averages and contention probes), so timings are noisy; each ratio "
             "compares two measurements taken in the same run, interleaved). Predictors use the `medium_quality` "
             "preset (all-MiniLM-L6-v2, "
             f"EfficientNet-Lite0, offline weights) with text `max_length` {TEXT_MAX_LENGTH} and images at "
             f"{IMAGE_SIZE} px. Every pair set is **derived pairs** — no human-labelled pair set exists offline — "
             "so the scores measure how well a model learns the derivation rule, not human relevance. Library source "
             f"digest at start → end: {digests(results['source_digest'])}.", ""]
    lines += _text_section(results.get("text"), sizes)
    lines += _image_section(results.get("image"))
    lines += _dual_section(results.get("dual"))
    lines += _throughput_section(results.get("throughput"))
    lines += _search_section(results.get("search"))
    parts = [f"{name} {results[name]['wall_s']:.0f} s (load {results[name]['load_start']})"
             for name in ("text", "image", "dual", "throughput", "search") if name in results]
    lines += ["Wall time per part (load average at its start): " + "; ".join(parts) + ".", ""]
    return "\n".join(lines).rstrip() + "\n"


def _failed(part: dict[str, Any] | None) -> list[str] | None:
    if part is None:
        return ["Not run.", ""]
    if "error" in part:
        return [f"**Failed:** `{part['error']}`", ""]
    return None


def _text_section(text: dict[str, Any] | None, sizes: dict[str, Any]) -> list[str]:
    lines = ["### Text: fine-food review halves (derived pairs)", ""]
    failed = _failed(text)
    if failed:
        return lines + failed
    d = text["data"]
    lines += [
        f"**Pair rule.** The brief's rule — two reviews of the same `product` — yields no pairs: the "
        f"{d['reviews']:,} reviews of `datasets.fine_foods()` name {d['products']:,} distinct products (every "
        f"product once; {d['products_in_both_splits']} products in both splits). So a pair is the first and second "
        "half of one review (split at the sentence boundary nearest the middle; reviews with one sentence and "
        f"duplicate texts dropped): {d['train_pairs_available']:,} train-split pairs, {d['test_pairs_available']:,} "
        f"test-split pairs, of which the first {d['test_pairs']:,} are the test set. Train and test halves come "
        "from different reviews and different products.",
        "",
        f"**Metrics.** Retrieval: `evaluate` on the {d['test_pairs']:,} positive test pairs (each first half ranks "
        f"all {d['test_pairs']:,} second halves; one is relevant). ROC-AUC: cosine of the {d['test_pairs']:,} "
        "positive pairs against as many negatives (each first half with the second half of another, random review), "
        "computed with sklearn from `extract_embedding`.",
        "",
        *quality_table(text, ("roc_auc",), "zero-shot MiniLM"),
        "",
        beats(text, ("mrr@10", "recall@1", "recall@5", "recall@10", "ndcg@10", "roc_auc")),
        "",
        fit_line(text["fit"]) + f" Loss chosen automatically: `{text['fit']['loss']}` (in-batch negatives).",
        f"`evaluate` vs the same metrics recomputed from `extract_embedding`: largest difference "
        f"{text['fine_tuned']['evaluate_vs_embeddings']:.1e}.",
        "",
    ]
    return lines


def _image_section(image: dict[str, Any] | None) -> list[str]:
    lines = ["### Image: Fashion-MNIST, same class (derived pairs)", ""]
    failed = _failed(image)
    if failed:
        return lines + failed
    d = image["data"]
    lines += [
        f"Test set: {d['test_queries']} query and {d['test_responses']} response images from the test split (as many "
        f"per class); every same-class (query, response) combination is a positive pair ({d['test_pairs']:,} rows "
        "given to `evaluate`), so retrieval is class-level: each query has "
        f"{d['test_responses'] // 10} relevant responses among {d['test_responses']}, and recall@k (the share of "
        f"them in the top k) is at most k / {d['test_responses'] // 10}. ROC-AUC: cosine of all positive combinations "
        "against as many random different-class ones. Training pairs: train-split images of one class paired two "
        "by two, positives only (in-batch negatives: about a tenth of each batch's 'negatives' are the same class).",
        "",
        *quality_table(image, ("roc_auc",), "zero-shot (ImageNet features)"),
        "",
        beats(image, ("mrr@10", "recall@1", "recall@5", "recall@10", "ndcg@10", "roc_auc")),
        "",
        fit_line(image["fit"]),
        "",
    ]
    return [*lines, IMAGE_INVESTIGATION, ""]


def _dual_section(dual: dict[str, Any] | None) -> list[str]:
    lines = ["### Image–text: Fashion-MNIST image ↔ \"a photo of a <class>.\" (derived pairs)", ""]
    failed = _failed(dual)
    if failed:
        return lines + failed
    lines += [
        f"{dual['data']['test_pairs']} test images (balanced), each paired with its class sentence. Retrieval is image "
        "→ sentence among the 10 distinct sentences, so recall@10 is 1 by construction and recall@1 is the "
        "classification accuracy; `zero_shot_classify(predictor, images, class_names)` with the same template "
        "(chance 0.10). Baseline: the same dual encoder before fine-tuning (random 256-d projection heads: "
        "zero-shot is meaningless for it, as documented).",
        "",
        *quality_table(dual, ("zero_shot_accuracy",), "untrained dual encoder"),
        "",
        beats(dual, ("mrr@10", "recall@1", "ndcg@10", "zero_shot_accuracy")),
        "",
        fit_line(dual["fit"]) + f" Symmetric ranking loss: {dual['fit']['symmetric_loss']}.",
        "",
    ]
    return lines


def _throughput_section(throughput: dict[str, Any] | None) -> list[str]:
    lines = ["### Embedding throughput: `extract_embedding` vs the bare forward", ""]
    failed = _failed(throughput)
    if failed:
        return lines + failed
    lines += [
        "Same rows, chunks of `env.eval_batch_size`; *bare* is `with torch.inference_mode(): net.encode(side, batch)` "
        "on batches collated beforehand (*with collation* also times `processors.sides[side].collate`). Medians of "
        "the repeats, interleaved.",
        "",
        "| Input | Rows | `extract_embedding` | Rows/s | Bare: model only / with collation | ÷ bare: model only / "
        "with collation | Max abs difference | Contention probe before / after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, t in throughput["inputs"].items():
        lines.append(
            f"| {name} | {t['rows']:,} (×{t['repeats']}) | {_seconds(t['extract'])} | "
            f"{t['rows'] / t['extract']:,.0f} | "
            f"{_seconds(t['bare'])} / {_seconds(t['collate_bare'])} | **{t['extract'] / t['bare']:.2f}x** / "
            f"{t['extract'] / t['collate_bare']:.2f}x | {t['max_abs_difference']:.1e} | "
            + " / ".join(_seconds(v) for v in t["contention_probe_s"]) + " |")
    return lines + [""]


def _search_section(search: dict[str, Any] | None) -> list[str]:
    lines = ["### Search: `predictor.search` vs brute force", ""]
    failed = _failed(search)
    if failed:
        return lines + failed
    s = search
    brute = s["brute_force"]
    lines += [
        f"Corpus: {s['corpus_rows']:,} × {s['dim']} float32 ({s['corpus_mib']:.0f} MiB) — {s['base_rows']:,} real "
        "zero-shot MiniLM embeddings of test-split review halves, tiled to size with N(0, 0.01) noise per dimension "
        f"and re-normalised (so each base vector has ~{s['corpus_rows'] // s['base_rows']} near-copies). "
        f"{s['queries']} queries (test-split first halves), top_k=10. Brute force: numpy `q @ C.T` over the whole "
        "corpus + `argpartition` on the query embeddings. RSS rise: peak resident memory during the call "
        f"(sampled every 5 ms) minus just before, in a fresh process; median latency of {s['repeats']} run(s), "
        "largest rise. Calls that embed the queries include the text encoder's activations for the 100 queries "
        "(one batch).",
        "",
        "| Call | Latency | ÷ brute force | RSS rise | Top-10 agreement with brute force |",
        "|---|---|---|---|---|",
        f"| brute force (baseline) | {_seconds(brute['seconds'])} | 1.00x | {brute['rss_rise'] / 2**20:.0f} MiB | – |",
        f"| `extract_embedding` of the {s['queries']} queries | {_seconds(s['embed_queries']['seconds'])} | – | "
        f"{s['embed_queries']['rss_rise'] / 2**20:.0f} MiB | – |",
    ]
    rows = (("search_frame", "`search(queries_df, corpus)` (embeds the queries too)",
             brute["seconds"] + s["embed_queries"]["seconds"]),
            ("search_embeddings", "`search(query_embeddings, corpus)`", brute["seconds"]),
            ("search_small_chunk", f"`search(query_embeddings, corpus, corpus_chunk_size={s['small_chunk']})`",
             brute["seconds"]))
    for key, label, baseline in rows:
        r = s[key]
        note = " (÷ embed + brute force)" if key == "search_frame" else ""
        lines.append(f"| {label} | {_seconds(r['seconds'])} | **{r['seconds'] / baseline:.2f}x**{note} | "
                     f"{r['rss_rise'] / 2**20:.0f} MiB | {s['agreement'][key]:.1%} |")
    return lines + [""]
