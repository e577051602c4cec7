"""End to end on a real table, offline: fit, evaluate, save, reload, predict.

Amazon fine-food reviews (4,000 train / 1,000 test; is the review "great" or "other"?) with the
medium_quality preset: the real pretrained MiniLM-L6 text encoder, fine-tuned on this CPU.

    python examples/quickstart.py [--time-limit SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automm.core import MultiModalPredictor  # noqa: E402
from benchmarks.datasets import fine_foods  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds of training (default 300)")
    parser.add_argument("--path", default="automm_models/quickstart", help="where to save the predictor")
    args = parser.parse_args()

    train, test = fine_foods()
    print(f"train {train.shape}, test {test.shape}; label 'score': {train['score'].value_counts().to_dict()}")

    predictor = MultiModalPredictor(label="score", path=args.path)
    started = time.monotonic()
    predictor.fit(train, time_limit=args.time_limit)
    print(f"\nfit took {time.monotonic() - started:.0f} s; columns:\n{predictor.describe_columns()}")

    scores = predictor.evaluate(test)
    print("test scores:", {k: round(v, 4) for k, v in scores.items()})
    majority = test["score"].value_counts(normalize=True).max()
    print(f"(always answering the majority class would score accuracy {majority:.4f})")

    reloaded = MultiModalPredictor.load(args.path)
    same = reloaded.predict_proba(test).equals(predictor.predict_proba(test))
    print(f"reloaded from {args.path}: identical probabilities = {same}")
    print(reloaded.predict(test.head(5)).to_frame("predicted").join(test.head(5)[["score", "review"]]))


if __name__ == "__main__":
    main()
