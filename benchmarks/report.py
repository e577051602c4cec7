"""Render benchmark results (the dict ``run.py`` collects) as the Markdown of BENCHMARKS.md."""

from __future__ import annotations

from typing import Any

from .measure import FRAMEWORKS

AIM_SINGLE_ROW_RATIO = 1.3  # from the issue: single-row predict <= 1.3x the bare forward
AIM_IMPORT_S = 1.5  # from the issue: `from automm.core import MultiModalPredictor` within 1.5 s

# Quoted from the issue; NOT measured by this script.
REFERENCE = """\
### Reference: AutoGluon-MM 1.6.3 (quoted from the issue, not measured in this run)

Numbers the issue reports for the incumbent, measured by its author on this machine type. They are
context only: the tables and settings are not identical to the cases above.

| Workload (as described in the issue) | Import | Single-row predict | Batch predict | Peak memory |
|---|---|---|---|---|
| 21-column tabular table | 15 s | 64 ms | 2.3 s (1,119 rows) | 1.15 GB |
| 4,000 short product reviews, same MiniLM-L6 encoder | – | 563 ms | 240 s (1,000 rows) | 13.5 GB |
"""


def seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.3g} ms"
    return f"{value:.3g} s" if value < 100 else f"{value:,.0f} s"


def gigabytes(value: float) -> str:
    return f"{value / 1e9:.2f} GB"


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator > 0 else "n/a"


def digests(pair: list[str]) -> str:
    """``abc`` or ``abc → def (changed while running)``."""
    first, last = pair
    return f"`{first}`" if first == last else f"`{first}` → `{last}` (**library changed while running**)"


def _scores(scores: dict[str, float]) -> str:
    return " · ".join(f"{name} {value:.4f}" for name, value in scores.items())


def case_table(name: str, case: dict[str, Any]) -> str:
    """One dataset's Markdown section."""
    lines = [f"### {name}", "", case["description"], ""]
    if "error" in case:
        return "\n".join([*lines, f"**Failed:** `{case['error']}`", ""])
    fit, cold = case["fit"], case.get("cold")
    lat, info = fit["latency"], fit["fit_info"]
    single, batch, fastest = lat["single"], lat["batch"], lat["single_min"]
    types = ", ".join(f"{c}={t}" for c, t in fit["column_types"].items())
    rows = [
        ("Data", f"{fit['rows']['train']:,} train / {fit['rows']['test']:,} test rows; columns: {types}"),
        ("Hyperparameters", f"`{fit['hyperparameters']}`" if fit["hyperparameters"] else "preset defaults"),
        ("Test score (`evaluate`)", _scores(fit["scores"])),
        ("Fit wall time", f"{seconds(fit['fit_s'])} (time_limit {fit['time_limit_s']:.0f} s; {info.get('epochs')} "
                          f"epochs, {info.get('steps')} steps, stopped by {info.get('stopped_by')}; "
                          f"soup of {info.get('soup_size')})"),
        (f"Evaluate, {fit['rows']['test']:,} rows", seconds(fit["evaluate_s"])),
        ("Peak RSS, process that fits, evaluates, predicts",
         f"{gigabytes(fit['peak_rss']['end'])} (before fit: {gigabytes(fit['peak_rss']['before_fit'])})"),
    ]
    if cold:
        rows += [
            ("Peak RSS, fresh process: load + predict 1 row", gigabytes(cold["peak_rss"])),
            ("First use, fresh process: import + load + first predict",
             f"{seconds(cold['import_to_first_prediction_s'])} = {seconds(cold['import_s'])} + "
             f"{seconds(cold['load_s'])} + {seconds(cold['first_predict_s'])} "
             f"(second predict {seconds(cold['second_predict_s'])})"),
        ]
    rows += [
        (f"Single-row predict, median of {lat['single_calls']} rows (min; p90)",
         f"**{seconds(single['predict'])}** ({seconds(fastest['predict'])}; "
         f"{seconds(lat['single_p90_predict'])})"),
        ("Bare forward of the same rows: model only / with collation (min)",
         f"{seconds(single['bare'])} / {seconds(single['collate_bare'])} "
         f"({seconds(fastest['bare'])} / {seconds(fastest['collate_bare'])})"),
        ("Single-row predict ÷ bare: model only / with collation (ratio of minima)",
         f"**{ratio(single['predict'], single['bare'])}** / {ratio(single['predict'], single['collate_bare'])} "
         f"({ratio(fastest['predict'], fastest['bare'])} / "
         f"{ratio(fastest['predict'], fastest['collate_bare'])})"),
        (f"Batch predict, {lat['batch_rows']:,} rows, median of {lat['batch_repeats']}",
         f"**{seconds(batch['predict'])}**"),
        (f"Bare forward, same rows in chunks of {lat['batch_chunk']}: model only / with collation",
         f"{seconds(batch['bare'])} / {seconds(batch['collate_bare'])}"),
        ("Batch predict ÷ bare: model only / with collation",
         f"**{ratio(batch['predict'], batch['bare'])}** / {ratio(batch['predict'], batch['collate_bare'])}"),
        ("Bare forward's labels equal predict's", f"{lat['bare_predict_agreement']:.1%} of rows"),
        ("Contention probe before / after the latency runs (1-row GELU; ~30 us when the cores are free)",
         " / ".join(seconds(v) for v in lat["contention_probe_s"])),
        ("Case wall time (all of the above)", seconds(case["wall_s"])),
        ("Library source digest, start → end of this case", digests(case["source_digest"])),
    ]
    table = ["| Measure | Value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join([*lines, *table, ""])


def verdict(median_ratio: float, min_ratio: float) -> str:
    """Whether the single-row aim is met; medians and minima must agree (contention inflates both sides)."""
    met = [value <= AIM_SINGLE_ROW_RATIO for value in (median_ratio, min_ratio)]
    return "yes" if all(met) else ("**no**" if not any(met) else "unclear (noisy)")


def summary_table(cases: dict[str, dict[str, Any]]) -> str:
    """One line per dataset: the headline numbers and whether the single-row aim is met."""
    lines = ["| Dataset | Test score | Fit | Peak RSS | Single-row predict (÷ bare: medians; minima) | "
             f"Batch predict (÷ bare) | Single-row ≤ {AIM_SINGLE_ROW_RATIO}x bare? |", "|---|---|---|---|---|---|---|"]
    for name, case in cases.items():
        if "error" in case:
            lines.append(f"| {name} | failed | | | | | |")
            continue
        fit = case["fit"]
        single, fastest, batch = fit["latency"]["single"], fit["latency"]["single_min"], fit["latency"]["batch"]
        first_metric, first_score = next(iter(fit["scores"].items()))
        lines.append(
            f"| {name} | {first_metric} {first_score:.4f} | {seconds(fit['fit_s'])} | "
            f"{gigabytes(fit['peak_rss']['end'])} | {seconds(single['predict'])} "
            f"({ratio(single['predict'], single['bare'])}; {ratio(fastest['predict'], fastest['bare'])}) | "
            f"{seconds(batch['predict'])} for {fit['latency']['batch_rows']:,} rows "
            f"({ratio(batch['predict'], batch['bare'])}) | "
            f"{verdict(single['predict'] / single['bare'], fastest['predict'] / fastest['bare'])} |"
        )
    return "\n".join(lines) + "\n"


def render(results: dict[str, Any]) -> str:
    """The whole BENCHMARKS.md."""
    machine, versions, imports = results["machine"], results["versions"], results["imports"]
    header = [
        "# Benchmarks",
        "",
        f"Generated by `{results['command']}` on {results['date']} "
        f"(whole run: {seconds(results['total_wall_s'])}{'; **--quick smoke sizes**' if results['quick'] else ''}).",
        "Every dataset runs in its own fresh process (peak RSS is that process's `ru_maxrss`); the first use of a "
        "saved predictor is timed in another fresh process. *Bare forward* is `with torch.inference_mode(): "
        "net(batch)` on Batches collated beforehand from the same rows (*with collation* also times "
        "`processors.collate`); ratios above 1 are the predictor's own overhead. The cores are shared: when the "
        "contention probe reads milliseconds instead of ~30 us, another process held a core and both sides of a "
        "ratio were slowed by the same stalls, so also compare the minima.",
        "",
        f"**Machine:** {machine['cpu']}, {machine['cpus']} CPU cores, {gigabytes(machine['memory'])} RAM, "
        f"{machine['gpu']}; {machine['os']}; torch threads {machine['torch_threads']}; load average "
        f"{machine['load_start']} at start, {machine['load_end']} at end (the cores are shared, so timings are noisy).",
        "",
        "**Versions:** " + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f"; library source digest (sha256 of `packages/*/src/**/*.py`): {digests(results['source_digest'])}",
        "",
        "## Import",
        "",
        "| Measure (fresh process each, median of "
        f"{len(imports['runs'])}) | Value |",
        "|---|---|",
        f"| `import automm.core` | {seconds(imports['import_package_s'])} |",
        f"| `from automm.core import MultiModalPredictor` (includes the line above) | "
        f"**{seconds(imports['import_predictor_s'])}** (aim ≤ {AIM_IMPORT_S:g} s: "
        f"{'yes' if imports['import_predictor_s'] <= AIM_IMPORT_S else 'no'}) |",
        f"| Frameworks that import loads (of {', '.join(FRAMEWORKS)}) | {_loaded(imports)} |",
        f"| Whole `python -c` process, interpreter start included | {seconds(imports['process_s'])} |",
        "",
        "## Summary",
        "",
        summary_table(results["cases"]),
        "## Per dataset",
        "",
    ]
    sections = [case_table(name, case) for name, case in results["cases"].items()]
    return "\n".join(header + sections + [REFERENCE])


def replace_section(text: str, section: str) -> str:
    """``text`` with the section titled by ``section``'s first line (up to the next ``## `` heading) replaced by
    ``section``, or with ``section`` appended; other sections stay as they are."""
    heading = section.split("\n", 1)[0]
    start = text.find(heading + "\n")
    if start < 0:
        return text.rstrip() + "\n\n" + section
    following = text.find("\n## ", start + len(heading))
    rest = text[following + 1 :] if following >= 0 else ""
    return text[:start] + section + ("\n" + rest if rest else "")


def _loaded(imports: dict[str, Any]) -> str:
    if "frameworks_loaded" not in imports:  # results from before this was measured
        return "not measured"
    return ", ".join(imports["frameworks_loaded"]) or "none"
