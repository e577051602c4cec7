"""The ``automm`` command: ``automm fit train.csv --label y --path out/``, ``automm predict out/ new.csv``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import AutoMMError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="automm", description="Fine-tune foundation models on multimodal tables.")
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit", help="fit a predictor on a CSV/parquet table and save it")
    fit.add_argument("train", help="training table (CSV, TSV, parquet or JSON lines)")
    fit.add_argument("--label", action="append", help="label column (repeat for several); optional for matching")
    fit.add_argument("--path", required=True, help="directory to save the predictor in")
    fit.add_argument("--tuning", help="validation table (default: a holdout of the training table)")
    fit.add_argument("--problem-type", help="binary, multiclass, regression, multilabel, ... (default: inferred)")
    fit.add_argument("--presets", help="medium_quality (default), high_quality or best_quality")
    fit.add_argument("--time-limit", type=float, help="seconds of training at most")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE",
                     help='hyperparameter override, e.g. --hp optim.lr=1e-4 (repeatable)')
    fit.add_argument("--column-type", action="append", default=[], metavar="COLUMN=TYPE",
                     help="force a column's type, e.g. --column-type photo=image_path")
    fit.add_argument("--task-arg", action="append", default=[], metavar="NAME=VALUE",
                     help="a task's argument, e.g. --task-arg query=question --task-arg response=answer")

    predict = commands.add_parser("predict", help="predict with a saved predictor")
    predict.add_argument("predictor", help="saved predictor directory")
    predict.add_argument("data", help="table to predict")
    predict.add_argument("--output", help="write predictions to this CSV (default: stdout)")
    predict.add_argument("--proba", action="store_true", help="class probabilities instead of labels")

    evaluate = commands.add_parser("evaluate", help="score a saved predictor on a labelled table")
    evaluate.add_argument("predictor")
    evaluate.add_argument("data")
    return parser


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise AutoMMError(f"{what} {item!r} must look like KEY=VALUE.")
        pairs[key.strip()] = value.strip()
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .predictor import MultiModalPredictor

    try:
        if args.command == "fit":
            label = args.label[0] if args.label and len(args.label) == 1 else args.label
            predictor = MultiModalPredictor(label=label, problem_type=args.problem_type, path=args.path,
                                            presets=args.presets, hyperparameters=_pairs(args.hp, "--hp"),
                                            **_pairs(args.task_arg, "--task-arg"))
            predictor.fit(args.train, tuning_data=args.tuning, time_limit=args.time_limit, seed=args.seed,
                          column_types=_pairs(args.column_type, "--column-type"))
            print(f"saved to {predictor.path}")
            print(json.dumps(predictor.fit_summary, indent=2))
        elif args.command == "predict":
            predictor = MultiModalPredictor.load(args.predictor)
            result = predictor.predict_proba(args.data) if args.proba else predictor.predict(args.data)
            result.to_csv(args.output or sys.stdout)
        else:
            print(json.dumps(MultiModalPredictor.load(args.predictor).evaluate(args.data), indent=2))
    except AutoMMError as err:
        print(f"automm: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
