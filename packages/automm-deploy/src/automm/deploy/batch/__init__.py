"""Batch prediction over tables larger than memory: a CSV, a Parquet file or a folder of images is read in
chunks, each chunk's predictions become a durable part, and the parts are joined into the output. A run that is
killed resumes where it stopped.

Example:
    >>> from automm.deploy.batch import predict_file
    >>> predict_file("my_predictor.onnx/", "rows.parquet", "predictions.parquet", chunk_rows=10_000)
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from ..errors import InputError
from ..manifest import MANIFEST_FILE
from .parts import join_parts, output_format, part_path, parts_folder, start_or_resume, write_part
from .sources import Source, open_source

if TYPE_CHECKING:  # the runtime (onnxruntime) is imported when a prediction starts, not with the CLI
    from ..runtime import ExportedPredictor

CHUNK_ROWS = 10_000

__all__ = ["CHUNK_ROWS", "BatchResult", "Source", "export_fingerprint", "predict_file", "predict_to_stream",
           "prediction_frame"]


@dataclass(frozen=True)
class BatchResult:
    """What a batch prediction did: the output file, the rows written, the chunks, and the chunks a resumed run
    found finished and skipped."""

    output: Path
    rows: int
    chunks: int
    skipped: int


def prediction_frame(model: ExportedPredictor, rows: pd.DataFrame, proba: bool = False,
                     keep: Sequence[str] = ()) -> pd.DataFrame:
    """The ``keep`` columns of ``rows``, then their predictions (class probabilities with ``proba``), one row per
    input row in its order; column names are strings (what Parquet and Arrow need).

    Raises:
        InputError: a ``keep`` column is not in the rows.
    """
    missing = [column for column in keep if column not in rows.columns]
    if missing:
        raise InputError(f"--keep names column(s) {missing} that the input lacks; it has {list(rows.columns)}.")
    result = model.predict_proba(rows) if proba else model.predict(rows)
    table = result.to_frame() if isinstance(result, pd.Series) else result
    table = pd.concat([rows[list(keep)], table], axis=1).reset_index(drop=True)
    table.columns = [str(column) for column in table.columns]
    return table


def predict_file(export: str | Path, rows: str | Path, output: str | Path, *, chunk_rows: int = CHUNK_ROWS,
                 proba: bool = False, keep: Sequence[str] = (), restart: bool = False, progress: bool = True,
                 on_part: Callable[[int], None] | None = None, **options: Any) -> BatchResult:
    """Predict ``rows`` (a .csv / .parquet file or a folder of images) with the export into ``output`` (.parquet,
    else CSV), ``chunk_rows`` at a time, resuming an unfinished run of the same command.

    Each finished chunk is written atomically to ``OUTPUT.parts/part-NNNNNN``; ``OUTPUT.parts/progress.json``
    names the export, the input (with a fingerprint), the chunk size and the options. A rerun skips the chunks
    whose part exists, then joins the parts into ``output`` atomically and deletes the parts folder.

    Args:
        keep: input columns copied into the output before the predictions (a folder's image column by default).
        restart: delete the parts of an unfinished run with other settings instead of refusing.
        progress: a tqdm progress bar of rows on stderr when it is a terminal.
        on_part: called with each new part's number once it is durable.
        options: for ``load`` (``threads``, ``batch_size``, ...).

    Raises:
        InputError: the input or ``keep`` is unusable, or the parts folder holds another run (pass ``restart``).
    """
    model, source, keep = _opened(export, rows, keep, options)
    output = Path(output)
    folder, fmt = parts_folder(output), output_format(output)
    settings = {"export": str(model.folder.resolve()), "export_fingerprint": export_fingerprint(model.folder),
                "input": str(source.path.resolve()), "input_fingerprint": source.fingerprint(),
                "chunk_rows": chunk_rows, "proba": proba, "keep": keep, "format": fmt}
    start_or_resume(folder, settings, restart)
    parts, total, skipped = [], 0, 0
    with _bar(source, progress) as bar:
        for number, chunk in enumerate(source.chunks(chunk_rows)):
            part = part_path(folder, number, fmt)
            if part.exists():
                skipped += 1
            else:
                write_part(prediction_frame(model, chunk, proba, keep), part)
                if on_part is not None:
                    on_part(number)
            parts.append(part)
            total += len(chunk)
            bar.update(len(chunk))
    if not parts:
        raise InputError(f"{str(source.path)!r} has no rows to predict.")
    join_parts(parts, output)
    shutil.rmtree(folder)
    return BatchResult(output, total, len(parts), skipped)


def predict_to_stream(export: str | Path, rows: str | Path, stream: IO[str], *, chunk_rows: int = CHUNK_ROWS,
                      proba: bool = False, keep: Sequence[str] = (), progress: bool = True, **options: Any) -> int:
    """Predict ``rows`` chunk by chunk as CSV into ``stream`` (stdout: no parts, no resume); the rows written."""
    model, source, keep = _opened(export, rows, keep, options)
    total = 0
    with _bar(source, progress) as bar:
        for chunk in source.chunks(chunk_rows):
            prediction_frame(model, chunk, proba, keep).to_csv(stream, index=False, header=total == 0)
            total += len(chunk)
            bar.update(len(chunk))
    return total


def _opened(export: str | Path, rows: str | Path, keep: Sequence[str], options: dict[str, Any],
            ) -> tuple[ExportedPredictor, Source, list[str]]:
    """The loaded export, the input's source, and the columns to keep (a folder's image column by default)."""
    from ..runtime import load

    model = load(export, **options)
    source = open_source(Path(rows), model.manifest.columns)
    return model, source, list(keep) or ([source.image_column] if source.image_column else [])


def _bar(source: Source, progress: bool) -> Any:
    """A tqdm bar of the source's rows on stderr, shown when ``progress`` and stderr is a terminal."""
    from tqdm import tqdm

    return tqdm(total=source.total_rows(), unit="rows", file=sys.stderr, disable=None if progress else True)


def export_fingerprint(folder: Path) -> str:
    """A hash of the export's file names and sizes and its manifest, so parts of another export are not mixed in."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(folder)}|{file.stat().st_size}\n".encode())
    digest.update((folder / MANIFEST_FILE).read_bytes())
    return digest.hexdigest()

