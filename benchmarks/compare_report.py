"""The Markdown section of ``benchmarks.compare``: both versions, the machine, and ratios current ÷ baseline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import comb
from statistics import median
from typing import Any

from .report import seconds

SECTION = "## Refactor check: before and after issue 18"
TOLERANCE = 0.10  # a verdict other than "same" needs a median ratio beyond 1 ± this, and repeats that do not overlap
CLEAR = 0.25  # below this, a difference is within reach of the noise of 2 shared cores: "slower?" (rerun), not "slower"
SHOWN_VERSIONS = ("python", "automm-core", "automm-classify", "automm-deploy", "torch", "onnxruntime",
                  "transformers", "numpy", "pandas")


@dataclass(frozen=True)
class Metric:
    """One row of the table: ``get`` reads its value from one repeat (``{"fit": ..., "deploy": ...}`` results)."""

    name: str
    better: str  # "lower" or "higher"
    get: Callable[[dict[str, Any]], float | None]
    unit: str = "s"
    fastest: Callable[[dict[str, Any]], float] | None = None  # a process's fastest call, for per-call latencies

    def format(self, value: float) -> str:
        return seconds(value) if self.unit == "s" else f"{value:.3g} {self.unit}"


def verdict(metric: Metric, baseline: list[float], current: list[float], fastest: float | None = None) -> str:
    """"slower" / "faster" when the medians differ by more than ``CLEAR``, no repeat of one side is as good as any
    of the other's, and the fastest calls (where measured: the ratio ``fastest``) differ by ``TOLERANCE`` the same
    way; "slower?" / "faster?" (rerun to tell) when the medians differ by ``TOLERANCE`` to ``CLEAR`` that way;
    otherwise "same (within noise)"."""
    ratio = median(current) / median(baseline)
    if metric.better == "higher":
        ratio, baseline, current = 1 / ratio, [-v for v in baseline], [-v for v in current]
    if ratio > 1 + TOLERANCE and min(current) > max(baseline) and (fastest is None or fastest > 1 + TOLERANCE):
        return "**slower**" if ratio > 1 + CLEAR else "slower? (rerun)"
    if ratio < 1 / (1 + TOLERANCE) and max(current) < min(baseline) and (
            fastest is None or fastest < 1 / (1 + TOLERANCE)):
        return "faster" if ratio < 1 / (1 + CLEAR) else "faster? (rerun)"
    return "same (within noise)"


def metric_row(metric: Metric, runs: dict[str, list[dict[str, Any]]]) -> str:
    """``| name | baseline median (range) | current median (range) | ratio | ratio of fastest calls | verdict |``."""
    values = {side: [v for v in (metric.get(r) for r in repeats) if v is not None] for side, repeats in runs.items()}
    if not values["baseline"] or not values["current"]:
        return f"| {metric.name} | n/a | n/a | n/a | | not measured by one side |"
    cells = [f"{metric.format(median(v))} ({metric.format(min(v))} – {metric.format(max(v))})"
             for v in (values["baseline"], values["current"])]
    ratio = median(values["current"]) / median(values["baseline"])
    fastest = None
    if metric.fastest is not None:
        best = {side: median(metric.fastest(r) for r in repeats) for side, repeats in runs.items()}
        fastest = best["current"] / best["baseline"]
    return (f"| {metric.name} ({metric.better} is better) | {cells[0]} | {cells[1]} | **{ratio:.2f}** | "
            f"{'–' if fastest is None else f'{fastest:.2f}'} | "
            f"{verdict(metric, values['baseline'], values['current'], fastest)} |")


def _max_difference(first: list[list[float]], second: list[list[float]]) -> float:
    return max(abs(a - b) for row_a, row_b in zip(first, second) for a, b in zip(row_a, row_b))


def checks(runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Lines on what both sides did: steps taken, agreement of the fitted models, what the imports loaded."""
    lines = []
    for case in runs["baseline"][0]["fit"]["cases"]:
        fits = {side: [r["fit"]["cases"][case] for r in repeats] for side, repeats in runs.items()}
        steps = {side: sorted({f["steps"] for f in found}) for side, found in fits.items()}
        across = _max_difference(fits["baseline"][0]["proba"], fits["current"][0]["proba"])
        within = max(_max_difference(fits[side][0]["proba"], f["proba"]) for side in fits for f in fits[side][1:]) \
            if len(fits["baseline"]) > 1 else float("nan")
        lines.append(f"- {case}: training steps baseline {steps['baseline']}, current {steps['current']}; largest "
                     f"probability difference on {len(fits['baseline'][0]['proba'])} held-out rows, baseline vs "
                     f"current (first repeats): {across:.2g} (between repeats of one version: {within:.2g}).")
    for side, repeats in runs.items():
        loaded = sorted({name for r in repeats for name in r["fit"]["imports"]["frameworks_after_import"]})
        runtime = "imported" if any(r["deploy"]["torch_imported"] for r in repeats) else "never imported"
        lines.append(f"- {side}: `from automm.core import MultiModalPredictor` loads {', '.join(loaded) or 'none'} "
                     f"of the frameworks; the deploy runtime process {runtime} torch; torch threads while fitting: "
                     f"{repeats[0]['fit']['torch_threads']}.")
    return lines


def versions_table(results: dict[str, Any]) -> list[str]:
    """Label, interpreter and package versions of both sides."""
    found = {side: results["runs"][side][0]["fit"]["imports"]["versions"] for side in ("baseline", "current")}
    rows = [("Version", results["labels"]["baseline"], results["labels"]["current"]),
            ("Interpreter", f"`{results['pythons']['baseline']}`", f"`{results['pythons']['current']}`"),
            *((name, found["baseline"].get(name, "-"), found["current"].get(name, "-")) for name in SHOWN_VERSIONS)]
    return ["| | Baseline | Current |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]


def method(results: dict[str, Any]) -> str:
    """The paragraph that says how the ratios were measured and when a verdict is given."""
    n = results["repeats"]
    return (
        "**Ratios current ÷ baseline, measured in the same run:** every value comes from a fresh process of one "
        "version's interpreter, the two versions alternating (which goes first swaps every repeat), so both share "
        f"whatever else the machine was doing; each cell is the median of {n} processes (their range in brackets). "
        f"A verdict other than *same* needs the medians {TOLERANCE:.0%} apart and no overlap between the two "
        "versions' repeats (and, for per-call latencies, the fastest calls as far apart); it is *slower?* or "
        f"*faster?* below {CLEAR:.0%} apart: with {n} repeats, chance alone keeps the repeats apart in about one "
        f"measure in {comb(2 * n, n) // 2}, so rerun (or give more `--repeats`) before believing such a flag. "
        "For per-call latencies, *fastest calls* "
        "compares each process's fastest call (median over the processes): contention only ever adds time, so it "
        "shows the code's own cost when the medians are noisy. Fits: seed 0, 2 epochs, no time limit "
        "(`optim.max_epochs` 2, `optim.top_k` 1); tabular = scikit-learn breast cancer (505 training rows, 30 "
        "numeric columns), text = 200 made-up product reviews (136 for fit) through the `medium_quality` preset's "
        "all-MiniLM-L6-v2, each with 64 held-out rows left for predict; steps per second is `fit_summary` steps ÷ "
        f"seconds (validation passes included). Torch and onnxruntime ran {results['threads']} intra-op thread(s) "
        "in every process."
    )


def render(results: dict[str, Any], metrics: list[Metric]) -> str:
    """The whole section, from the results ``benchmarks.compare`` collects."""
    m, runs = results["machine"], results["runs"]
    same = (" **Both sides are the same interpreter: a check of the harness, whose ratios should all be near 1.**"
            if results["same_interpreter"] else "")
    lines = [
        SECTION, "",
        f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.1f} min).{same}", "",
        method(results), "",
        f"**Machine:** {m['cpu']}, {m['cpus']} CPU cores, {m['memory_gb']:.1f} GB RAM; {m['os']}; load average "
        f"{results['load_start']} at start, {results['load_end']} at end (the cores are shared with other work, so "
        "single values are noisy; the ratios compare interleaved runs).", "",
        *versions_table(results), "",
        "| Measure | Baseline: median (range) | Current: median (range) | Current ÷ baseline | Fastest calls: "
        "current ÷ baseline | Verdict |",
        "|---|---|---|---|---|---|",
        *(metric_row(metric, runs) for metric in metrics), "",
        "Checks:", "", *checks(runs),
    ]
    return "\n".join(lines) + "\n"
