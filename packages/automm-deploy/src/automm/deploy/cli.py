"""``automm-deploy``: export a saved predictor, serve an export over HTTP, or predict a table with one.

Example:
    $ automm-deploy export my_predictor/ my_predictor.onnx/
    $ automm-deploy serve my_predictor.onnx/ --port 8080 --workers 2
    $ automm-deploy predict my_predictor.onnx/ rows.parquet predictions.parquet --keep id --proba
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from automm.core.errors import AutoMMError

from .batch import CHUNK_ROWS
from .errors import DeployError, InputError
from .exporting import DEFAULT_OPSET

MEGABYTE = 1024 * 1024
HOSTS = ("127.0.0.1", "0.0.0.0", "::")  # the hosts LitServe binds to


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an automm error (``AutoMMError``: a bad export, predictor, table or row) or an unreadable
    path (``OSError``) is one line on stderr and exit status 2, as argparse's own errors are."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.command(args)
    except AutoMMError as err:
        parser.exit(2, f"automm-deploy: error: {' '.join(str(err).split())}\n")
    except BrokenPipeError:  # stdout's reader stopped early (``... | head``): quiet, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as err:
        parser.exit(2, f"automm-deploy: error: {' '.join(path_problem(err).split())}\n")
    return 0


def path_problem(err: OSError) -> str:
    """An OSError as what failed on which path and what to check."""
    if err.filename is None:
        return f"{err}. Check the paths given and their permissions."
    return (f"Cannot use {str(err.filename)!r}: {err.strerror or err}. Check that the path exists and that you "
            "may read it (and write the output folder).")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="automm-deploy", description="Export a saved automm predictor to ONNX, "
                                     "serve an export over HTTP, or predict a table with one (no torch).")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    export = commands.add_parser("export", help="export a saved predictor to an ONNX folder (needs [export])")
    export.add_argument("predictor_dir", type=Path, help="the saved predictor's folder")
    export.add_argument("out_dir", type=Path, help="the export folder to write (replaced if it is an export)")
    export.add_argument("--opset", type=int, default=DEFAULT_OPSET, help="ONNX opset (default: %(default)s)")
    export.add_argument("--quantize", choices=("int8",), help="also quantise the weights (dynamic int8, for CPUs)")
    export.set_defaults(command=run_export)

    serve = commands.add_parser("serve", help="serve an export folder over HTTP (needs [serve])")
    serve.add_argument("export_dir", type=Path)
    serve.add_argument("--host", choices=HOSTS, default="127.0.0.1", help="default: %(default)s")
    serve.add_argument("--port", type=bounded(int, 1024, 65535), default=8080, help="default: %(default)s")
    serve.add_argument("--max-batch-size", type=bounded(int, 1), default=32,
                       help="most requests LitServe batches into one model call (default: %(default)s)")
    serve.add_argument("--batch-timeout", type=bounded(float, 0), default=0.01,
                       help="seconds LitServe waits to fill a batch (default: %(default)s)")
    serve.add_argument("--workers", type=bounded(int, 1), default=2,
                       help="model processes, each with the model loaded once (default: %(default)s)")
    serve.add_argument("--max-body-mb", type=bounded(float, 0.001), default=16,
                       help="largest request body in MiB; larger ones get 413 (default: %(default)s)")
    serve.add_argument("--device", choices=("cpu", "cuda", "tensorrt"), default="cpu", help="default: %(default)s")
    serve.add_argument("--request-timeout", type=bounded(float, 0.001), default=30,
                       help="seconds a request may wait for a model worker before a 504 (default: %(default)s)")
    serve.set_defaults(command=run_serve)

    predict = commands.add_parser("predict", help="predict a CSV or Parquet table or a folder of images, in chunks "
                                  "(a killed run resumes)")
    predict.add_argument("export_dir", type=Path)
    predict.add_argument("rows", type=Path, help="a .csv or .parquet table with the feature columns, or a folder of "
                         "images for an export with one image column")
    predict.add_argument("output", type=Path, nargs="?", help="a .parquet or .csv file to write (default: CSV on "
                         "stdout); its finished chunks wait in OUTPUT.parts/ until the end")
    predict.add_argument("--output", type=Path, dest="output_option", help=argparse.SUPPRESS)  # the 0.5 spelling
    predict.add_argument("--proba", action="store_true", help="class probabilities instead of labels")
    predict.add_argument("--keep", nargs="+", default=[], metavar="COL",
                         help="input columns to copy into the output before the predictions (e.g. an id)")
    predict.add_argument("--chunk-rows", type=bounded(int, 1), default=CHUNK_ROWS,
                         help="rows read and predicted at a time (default: %(default)s)")
    predict.add_argument("--restart", action="store_true",
                         help="delete the finished chunks of an earlier run with other settings and start again")
    predict.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    predict.set_defaults(command=run_predict)
    return parser


def run_export(args: argparse.Namespace) -> None:
    from .exporting import export

    if not args.predictor_dir.is_dir():
        raise DeployError(f"No saved predictor at {str(args.predictor_dir)!r}: pass the folder the predictor was "
                          "saved to.")
    print(f"Exported to {export(args.predictor_dir, args.out_dir, opset=args.opset, quantize=args.quantize)}")


def run_serve(args: argparse.Namespace) -> None:
    from .serve import serve

    serve(args.export_dir, host=args.host, port=args.port, max_batch_size=args.max_batch_size,
          batch_timeout=args.batch_timeout, workers=args.workers, max_body_bytes=int(args.max_body_mb * MEGABYTE),
          device=args.device, request_timeout=args.request_timeout)


def run_predict(args: argparse.Namespace) -> None:
    from .batch import predict_file, predict_to_stream

    if args.output is not None and args.output_option is not None:
        raise InputError("OUTPUT is given twice (as an argument and as --output): pass it once.")
    output = args.output if args.output is not None else args.output_option
    options = {"chunk_rows": args.chunk_rows, "proba": args.proba, "keep": args.keep, "progress": not args.no_progress}
    if output is None:
        predict_to_stream(args.export_dir, args.rows, sys.stdout, **options)
    else:
        predict_file(args.export_dir, args.rows, output, restart=args.restart, **options)


def bounded(kind: type, low: float, high: float | None = None) -> Callable[[str], int | float]:
    """An argparse type: ``kind`` parsed from the text, at least ``low`` and at most ``high``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range: use {low} to {high}" if high is not None
                                             else f"{value} is too small: use at least {low}")
        return value

    return parse


if __name__ == "__main__":
    sys.exit(main())
