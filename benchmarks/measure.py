"""Measurements that each run in their own fresh process, so peak memory and import time do not mix.

    python -m benchmarks.measure imports OUT.json
    python -m benchmarks.measure fit CASE WORK_DIR OUT.json [--quick]
    python -m benchmarks.measure cold PREDICTOR_DIR ROW.parquet OUT.json

``run.py`` calls these; each writes one JSON object to OUT.json.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any


def peak_rss_bytes() -> int:
    """High-water mark of this process's resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


FRAMEWORKS = ("torch", "lightning", "transformers", "timm", "sklearn", "scipy")  # must load on first use only


def imports() -> dict[str, Any]:
    """Seconds for ``import automm.core`` and then ``from automm.core import MultiModalPredictor``, and which
    ``FRAMEWORKS`` that import loaded."""
    started = time.perf_counter()
    import automm.core  # noqa: F401

    package = time.perf_counter() - started
    from automm.core import MultiModalPredictor  # noqa: F401

    return {"import_package_s": package, "import_predictor_s": time.perf_counter() - started,
            "frameworks_loaded": [name for name in FRAMEWORKS if name in sys.modules], "peak_rss": peak_rss_bytes()}


def cold(predictor_dir: Path, row_file: Path) -> dict[str, Any]:
    """A fresh process's first real use: import, load the saved predictor, predict one row (twice)."""
    import pandas as pd

    row = pd.read_parquet(row_file)
    t0 = time.perf_counter()
    from automm.core import MultiModalPredictor

    t1 = time.perf_counter()
    predictor = MultiModalPredictor.load(predictor_dir)
    t2 = time.perf_counter()
    predictor.predict(row)
    t3 = time.perf_counter()
    predictor.predict(row)
    t4 = time.perf_counter()
    return {"import_s": t1 - t0, "load_s": t2 - t1, "first_predict_s": t3 - t2, "second_predict_s": t4 - t3,
            "import_to_first_prediction_s": t3 - t0, "peak_rss": peak_rss_bytes()}


def _bare(net: Any, batch: Any) -> Any:
    """The model-only forward the ratios compare against."""
    import torch

    with torch.inference_mode():
        return net(batch)


def contention_probe() -> float:
    """Median seconds of one exact GELU on a [1, 128] tensor: ~30 us on idle cores, ~8 ms when another
    process holds a core (torch's 2-thread OpenMP region then waits for a scheduler tick)."""
    import torch

    x = torch.randn(1, 128)
    samples = [timed(lambda: torch.nn.functional.gelu(x)) for _ in range(21)]
    return median(samples)


def latency(predictor: Any, features: Any, calls: int, batch_rows: int, repeats: int) -> dict[str, Any]:
    """Single-row and batch predict, each next to the bare forward of the same rows (interleaved)."""
    import numpy as np
    import torch

    state = predictor.state
    net, processors, columns = state.net, state.processors, state.feature_columns
    net.eval()
    collate = lambda rows: processors.collate(rows[columns])
    rows = [features.iloc[[i % len(features)]] for i in range(calls)]
    batches = [collate(r) for r in rows]
    for r, b in zip(rows[:3], batches[:3]):  # warm-up: first calls pay one-off costs (see the cold start)
        predictor.predict(r), _bare(net, b)
    probe_before = contention_probe()
    single: dict[str, list[float]] = {"predict": [], "bare": [], "collate_bare": []}
    for r, b in zip(rows, batches):
        single["predict"].append(timed(lambda r=r: predictor.predict(r)))
        single["bare"].append(timed(lambda b=b: _bare(net, b)))
        single["collate_bare"].append(timed(lambda r=r: _bare(net, collate(r))))

    # Same chunking as predict (env.eval_batch_size), so both pad text to the same lengths.
    big = features.iloc[np.arange(batch_rows) % len(features)].reset_index(drop=True)
    size = state.config.env.eval_batch_size
    chunks = [big.iloc[s : s + size] for s in range(0, len(big), size)]
    collated = [collate(c) for c in chunks]
    batch: dict[str, list[float]] = {"predict": [], "bare": [], "collate_bare": []}
    logits: list[Any] = []
    predicted: list[Any] = []
    for _ in range(repeats):
        batch["predict"].append(timed(lambda: predicted.append(predictor.predict(big))))
        batch["bare"].append(timed(lambda: logits.extend(_bare(net, b) for b in collated)))
        batch["collate_bare"].append(timed(lambda: [_bare(net, collate(c)) for c in chunks]))
    # Check that the bare forward computes what predict returns.
    bare_labels = state.task.predict(torch.cat(logits[: len(collated)]).numpy(), big.index)
    agreement = float((bare_labels == predicted[0]).mean())
    return {
        "single_calls": calls, "batch_rows": batch_rows, "batch_repeats": repeats, "batch_chunk": size,
        "single": {k: median(v) for k, v in single.items()},
        "single_min": {k: min(v) for k, v in single.items()},
        "single_p90_predict": float(np.percentile(single["predict"], 90)),
        "batch": {k: median(v) for k, v in batch.items()},
        "bare_predict_agreement": agreement,
        "contention_probe_s": [probe_before, contention_probe()],
    }


def fit(case_name: str, work_dir: Path, quick: bool) -> dict[str, Any]:
    """Fit, evaluate and time predictions for one case; saves the predictor and one row for ``cold``."""
    from .cases import CASES

    case = CASES[case_name]
    sizes = case.sizes(quick)
    train, test = case.load(quick, work_dir.parent)
    from automm.core import MultiModalPredictor

    rss_before_fit = peak_rss_bytes()
    predictor = MultiModalPredictor(label=case.label, path=work_dir / "predictor",
                                    hyperparameters=case.hyperparameters_for(quick))
    fit_s = timed(lambda: predictor.fit(train, time_limit=sizes.time_limit, seed=0))
    rss_after_fit = peak_rss_bytes()
    started = time.perf_counter()
    scores = predictor.evaluate(test)
    evaluate_s = time.perf_counter() - started
    features = test.drop(columns=[case.label]).reset_index(drop=True)
    features.iloc[[0]].to_parquet(work_dir / "row.parquet")
    import torch

    return {
        "rows": {"train": len(train), "test": len(test)},
        "column_types": predictor.column_types,
        "hyperparameters": case.hyperparameters_for(quick),
        "time_limit_s": sizes.time_limit,
        "fit_s": fit_s,
        "fit_info": predictor.fit_summary,
        "scores": scores,
        "evaluate_s": evaluate_s,
        "latency": latency(predictor, features, sizes.single_calls, sizes.batch_rows, sizes.batch_repeats),
        "peak_rss": {"before_fit": rss_before_fit, "after_fit": rss_after_fit, "end": peak_rss_bytes()},
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }


def main(argv: list[str]) -> None:
    command, *args = [a for a in argv if a != "--quick"]
    if command == "imports":
        result = imports()
    elif command == "cold":
        result = cold(Path(args[0]), Path(args[1]))
    elif command == "fit":
        result = fit(args[0], Path(args[1]), quick="--quick" in argv)
    else:
        raise SystemExit(f"unknown command {command!r}; see {__file__}")
    Path(args[-1]).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
