"""Input rows in chunks, with bounded memory: a CSV, a Parquet file, or a folder of images."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError

IMAGE_SUFFIXES = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
SAMPLE_BYTES = 1 << 20  # the head and tail of a file that go into its fingerprint
SCAN_ROWS = 100_000  # rows per chunk of the pass that finds a CSV's column types
WHOLE_FILE_DTYPES = {"i": "int64", "u": "uint64", "f": "float64", "b": "bool"}  # numpy kind -> dtype; others object


@contextmanager
def readable(path: Path) -> Iterator[None]:
    """Reading ``path`` as a table: a file pandas or pyarrow cannot parse is an InputError naming it (pyarrow's
    errors are ValueErrors; nothing else runs inside)."""
    try:
        yield
    except (ValueError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        reason = " ".join(str(err).split())[:200]
        raise InputError(f"Cannot read {str(path)!r} as a {path.suffix.lstrip('.') or 'table'} table ({reason}). Fix "
                         "or re-save the file (CSV: one header line, the same number of fields on every line, UTF-8; "
                         "Parquet: written by pandas or pyarrow).") from None


def pyarrow_parquet() -> Any:
    """``pyarrow.parquet``, or an InputError saying how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet tables need pyarrow: pip install 'automm-deploy[parquet]' (or use CSV).") from None
    return pq


@dataclass(frozen=True)
class Source:
    """Rows to predict, read ``chunk_rows`` at a time.

    Attributes:
        path: the CSV or Parquet file, or the folder of images.
        kind: "csv", "parquet" or "images".
        image_column: for a folder, the export's image column each image's path goes into.
    """

    path: Path
    kind: str
    image_column: str | None = None

    def total_rows(self) -> int:
        """The number of rows (Parquet metadata, a folder listing, the CSV's column-type pass)."""
        if self.kind == "parquet":
            with readable(self.path):
                return int(pyarrow_parquet().ParquetFile(self.path).metadata.num_rows)
        if self.kind == "images":
            return len(self.images())
        return self.csv_layout[1]

    @cached_property
    def csv_layout(self) -> tuple[dict[str, str], int]:
        """A CSV's column types as ``pd.read_csv`` infers them from the whole file, and its row count.

        Each chunk of a chunked read infers its own types (a chunk whose categories are all numbers reads them as
        floats, 3.0 where the whole file gives "3.0"); reading every chunk with the whole file's types gives each
        cell the value an in-process ``load(export).predict(pd.read_csv(path))`` sees. Found by one streaming pass:
        a column is numeric where every chunk read it as numbers (float when they differ), text otherwise.
        """
        kinds: dict[str, set[str]] = {}
        rows = 0
        with readable(self.path), pd.read_csv(self.path, chunksize=SCAN_ROWS) as reader:
            for chunk in reader:
                rows += len(chunk)
                for column, dtype in chunk.dtypes.items():
                    kinds.setdefault(str(column), set()).add(dtype.kind)
        return {column: _whole_file_dtype(found) for column, found in kinds.items()}, rows

    def images(self) -> list[Path]:
        """A folder's image files, in the order of their paths (subfolders included)."""
        return sorted(p for p in self.path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())

    def chunks(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The rows, ``chunk_rows`` at a time (a Parquet chunk ends at its row group), indexed by row number."""
        start = 0
        with readable(self.path):
            for frame in self._frames(chunk_rows):
                frame.index = pd.RangeIndex(start, start + len(frame))
                start += len(frame)
                yield frame

    def _frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        if self.kind == "csv":
            with pd.read_csv(self.path, chunksize=chunk_rows, dtype=self.csv_layout[0]) as reader:
                yield from reader
        elif self.kind == "parquet":
            for batch in pyarrow_parquet().ParquetFile(self.path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        else:
            images = self.images()
            for start in range(0, len(images), chunk_rows):
                yield pd.DataFrame({self.image_column: [str(p) for p in images[start:start + chunk_rows]]})

    def fingerprint(self) -> str:
        """A hash of the input's size, modification time and first and last MiB (a folder: its images' names,
        sizes and modification times), so a changed input is not mixed with the parts of the old one."""
        digest = hashlib.sha256()
        if self.kind == "images":
            for image in self.images():
                stat = image.stat()
                digest.update(f"{image.relative_to(self.path)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
            return digest.hexdigest()
        stat = self.path.stat()
        digest.update(f"{stat.st_size}|{stat.st_mtime_ns}".encode())
        with self.path.open("rb") as file:
            digest.update(file.read(SAMPLE_BYTES))
            file.seek(max(0, stat.st_size - SAMPLE_BYTES))
            digest.update(file.read(SAMPLE_BYTES))
        return digest.hexdigest()


def _whole_file_dtype(kinds: set[str]) -> str:
    """The type ``pd.read_csv`` gives a column whose chunks were read as these numpy kinds."""
    if len(kinds) == 1:
        return WHOLE_FILE_DTYPES.get(next(iter(kinds)), "object")
    return "float64" if kinds <= {"i", "u", "f"} else "object"


def open_source(path: Path, columns: dict[str, str]) -> Source:
    """The source of ``path`` for an export with feature ``columns`` (column -> type).

    Raises:
        InputError: no such file or folder, an unknown suffix, or a folder of images for an export that needs
            other columns than one image column.
    """
    if path.is_dir():
        images = [name for name, kind in columns.items() if kind.startswith("image")]
        if len(columns) != 1 or not images:
            raise InputError(f"{str(path)!r} is a folder of images, but this export reads columns {sorted(columns)}, "
                             "not one image column: pass a CSV or Parquet table with those columns.")
        source = Source(path, "images", images[0])
        if not source.images():
            raise InputError(f"No image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in the folder {str(path)!r}: "
                             "pass the folder that holds them.")
        return source
    if not path.is_file():
        raise InputError(f"No table or folder at {str(path)!r}: pass a .csv or .parquet file or a folder of images.")
    kinds = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
    if path.suffix.lower() not in kinds:
        raise InputError(f"{str(path)!r} is neither .csv nor .parquet: convert it, or pass a folder of images.")
    return Source(path, kinds[path.suffix.lower()])
