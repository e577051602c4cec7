"""One measurement of ``benchmarks.compare``, run by path in a fresh process of the interpreter being measured.

    PYTHON benchmarks/compare_worker.py fit WORK_DIR OUT.json      # import, plug-in discovery, fits, exports
    PYTHON benchmarks/compare_worker.py deploy WORK_DIR OUT.json   # the exports, in the torch-free runtime

It uses only the standard library, numpy, pandas, scikit-learn and public APIs that automm-core 0.4 and
automm-deploy 0.2 already had (``MultiModalPredictor``, ``fit_summary``, ``automm.deploy.export`` / ``load``), so
the same file measures the code before and after a refactor. It imports nothing from this repository. Torch and
onnxruntime use ``OMP_NUM_THREADS`` threads (default 1).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from statistics import median
from typing import Any

PACKAGES = ("automm-core", "automm-classify", "automm-deploy", "torch", "onnxruntime", "transformers", "numpy",
            "pandas")
FRAMEWORKS = ("torch", "lightning", "transformers", "timm", "onnxruntime", "sklearn")
SEED = 0
# Short fits: a fixed number of epochs (no time limit), so both versions take the same steps.
HYPERPARAMETERS = {"optim.max_epochs": 2, "optim.top_k": 1}
PREDICT_CALLS = {"tabular": 100, "text": 40}  # single-row predict calls timed per predictor, after 3 warm-ups
DEPLOY_SINGLE_CALLS, DEPLOY_BATCH_CALLS, DEPLOY_BATCH_ROWS = 60, 6, 64
PROBA_ROWS = 64  # rows whose probabilities are kept, to compare the two versions' fits


def timed(fn: Callable[[], Any]) -> float:
    """Seconds of one call of ``fn``."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def installed_versions() -> dict[str, str]:
    """Versions of ``PACKAGES`` in this interpreter ("-" where one is not installed)."""
    found = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "-"
    return found


# ---------------------------------------------------------------------------------------------- data
def tabular_table() -> Any:
    """scikit-learn's breast-cancer table (569 rows, 30 numeric columns), label ``label``: 0/1."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    return frame.rename(columns={"target": "label"})


_GOOD = ("great", "lovely", "fresh", "tasty", "excellent", "perfect", "delicious", "recommended")
_BAD = ("stale", "awful", "bland", "broken", "terrible", "soggy", "disappointing", "overpriced")
_NEUTRAL = ("the", "box", "arrived", "on", "tuesday", "and", "coffee", "tea", "was", "with", "a", "bag", "of",
            "cookies", "my", "family", "tried", "it", "after", "dinner", "price", "for", "this", "brand", "order",
            "shipping", "taste", "smell", "pack", "again", "would", "buy", "flavour", "snack", "morning")


def text_table(rows: int = 200) -> Any:
    """A seeded table of short made-up product reviews (column ``review``), label ``label``: good/bad by which
    kind of sentiment word is in the majority."""
    import pandas as pd

    rng = random.Random(SEED)
    records = []
    for _ in range(rows):
        good, bad = rng.randint(0, 3), rng.randint(0, 3)
        if good == bad:
            good += 1
        words = [rng.choice(_NEUTRAL) for _ in range(rng.randint(8, 24))]
        words += [rng.choice(_GOOD) for _ in range(good)] + [rng.choice(_BAD) for _ in range(bad)]
        rng.shuffle(words)
        records.append({"review": " ".join(words), "label": "good" if good > bad else "bad"})
    return pd.DataFrame.from_records(records)


CASES = {"tabular": tabular_table, "text": text_table}


# ---------------------------------------------------------------------------------------------- measurements
def threads() -> int:
    """Intra-op threads of torch and onnxruntime: ``OMP_NUM_THREADS`` (torch reads it too), default 1."""
    return int(os.environ.get("OMP_NUM_THREADS", "1"))


def imports() -> dict[str, Any]:
    """``from automm.core import MultiModalPredictor``, first thing in this fresh process, then the first
    construction with a problem type (which discovers the installed task plug-ins)."""
    started = time.perf_counter()
    from automm.core import MultiModalPredictor

    import_s = time.perf_counter() - started
    loaded = [name for name in FRAMEWORKS if name in sys.modules]
    with tempfile.TemporaryDirectory() as folder:
        discovery_s = timed(lambda: MultiModalPredictor(label="label", problem_type="binary", path=folder,
                                                        verbosity=0))
    return {"import_s": import_s, "discovery_s": discovery_s, "frameworks_after_import": loaded,
            "versions": installed_versions()}


def _single_row_latency(predict: Callable[[Any], Any], features: Any, calls: int) -> dict[str, float]:
    """Median and minimum seconds of ``predict`` on one row at a time (cycling through ``features``)."""
    rows = [features.iloc[[i % len(features)]] for i in range(calls)]
    for row in rows[:3]:  # warm-up: the first calls pay one-off costs
        predict(row)
    samples = [timed(lambda row=row: predict(row)) for row in rows]
    return {"median_s": median(samples), "min_s": min(samples), "calls": calls}


def _fit_case(name: str, work: Path) -> dict[str, Any]:
    """Fit one small predictor, time single-row predict, export it for the torch-free runtime."""
    from automm.core import MultiModalPredictor
    from automm.deploy import export

    table = CASES[name]()
    test = table.sample(n=PROBA_ROWS, random_state=SEED)
    train = table.drop(index=test.index)
    features = test.drop(columns=["label"]).reset_index(drop=True)
    predictor = MultiModalPredictor(label="label", problem_type="binary", path=work / f"{name}-predictor",
                                    hyperparameters=HYPERPARAMETERS, verbosity=0)
    fit_wall_s = timed(lambda: predictor.fit(train, seed=SEED))
    summary = predictor.fit_summary
    latency = _single_row_latency(predictor.predict, features, PREDICT_CALLS[name])
    proba = predictor.predict_proba(features)
    export_s = timed(lambda: export(predictor, work / f"{name}-export"))
    features.to_json(work / f"{name}-rows.json", orient="split")
    steps, seconds = summary.get("steps"), summary.get("seconds")
    return {"fit_wall_s": fit_wall_s, "steps": steps, "epochs": summary.get("epochs"), "fit_seconds": seconds,
            "stopped_by": summary.get("stopped_by"),
            "steps_per_s": steps / seconds if steps and seconds else None,
            "predict_single": latency, "export_s": export_s,
            "proba": [[float(v) for v in row] for row in proba.to_numpy()]}


def fit(work: Path) -> dict[str, Any]:
    """The import measurement, then every case of ``CASES`` fitted with seed ``SEED``, in this process."""
    measured = imports()
    import torch

    torch.set_num_threads(threads())
    torch.manual_seed(SEED)
    return {"imports": measured, "cases": {name: _fit_case(name, work) for name in CASES},
            "torch_threads": torch.get_num_threads()}


def _deploy_case(load: Callable[[Path], Any], name: str, work: Path) -> dict[str, Any]:
    """Load one export and time its single-row and batch predict."""
    import pandas as pd

    features = pd.read_json(work / f"{name}-rows.json", orient="split")
    started = time.perf_counter()
    model = load(work / f"{name}-export", threads=threads())
    load_s = time.perf_counter() - started
    batch = features.iloc[[i % len(features) for i in range(DEPLOY_BATCH_ROWS)]].reset_index(drop=True)
    model.predict(batch)  # warm-up
    samples = [timed(lambda: model.predict(batch)) for _ in range(DEPLOY_BATCH_CALLS)]
    return {"load_s": load_s, "single": _single_row_latency(model.predict, features, DEPLOY_SINGLE_CALLS),
            "batch": {"median_s": median(samples), "min_s": min(samples), "rows": DEPLOY_BATCH_ROWS,
                      "calls": DEPLOY_BATCH_CALLS}}


def deploy(work: Path) -> dict[str, Any]:
    """The exports ``fit`` wrote, run by the torch-free runtime in this fresh process: single row and a batch."""
    import pandas  # noqa: F401  (not part of the runtime's import time)

    started = time.perf_counter()
    from automm.deploy import load

    import_s = time.perf_counter() - started
    cases = {name: _deploy_case(load, name, work) for name in CASES}
    return {"import_s": import_s, "cases": cases, "torch_imported": "torch" in sys.modules}


def main(argv: list[str]) -> None:
    """Run the measurement named by ``argv[0]`` and write its JSON to the last argument."""
    command, *args = argv
    if command == "fit":
        result = fit(Path(args[0]))
    elif command == "deploy":
        result = deploy(Path(args[0]))
    else:
        raise SystemExit(f"unknown measurement {command!r}: use fit or deploy (see {__file__})")
    Path(args[-1]).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
