"""Durable parts of a batch prediction: one file per finished chunk, a progress file naming what they were made
from, and the join of the parts into the output (all written to a temporary name and renamed into place)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .sources import pyarrow_parquet

PROGRESS_FILE = "progress.json"


def parts_folder(output: Path) -> Path:
    """Where the parts of ``output`` go: ``OUTPUT.parts/`` beside it."""
    return output.with_name(output.name + ".parts")


def output_format(output: Path) -> str:
    """"parquet" for a .parquet / .pq output, "csv" for any other."""
    return "parquet" if output.suffix.lower() in (".parquet", ".pq") else "csv"


def part_path(folder: Path, number: int, fmt: str) -> Path:
    return folder / f"part-{number:06d}.{fmt}"


def replace_atomically(path: Path, write: Any) -> None:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path`` (a kill leaves no half file)."""
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    os.replace(temporary, path)


def write_part(frame: pd.DataFrame, path: Path) -> None:
    """One chunk's predictions, as Parquet or CSV by ``path``'s suffix."""
    if path.suffix == ".parquet":
        replace_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        replace_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))


def start_or_resume(folder: Path, settings: dict[str, Any], restart: bool) -> None:
    """Make ``folder`` ready for the parts of a run with ``settings``; an unfinished run with other settings is
    refused unless ``restart``, which deletes its parts (a run that left no part is replaced without asking).

    Raises:
        InputError: the folder holds parts of a run with other settings (or is no parts folder).
    """
    progress = folder / PROGRESS_FILE
    if progress.is_file() and not list(folder.glob("part-*")):
        restart = True  # a run that failed before its first part (a wrong column, say): nothing to keep
    if folder.exists() and restart:
        if not progress.is_file():
            raise InputError(f"{str(folder)!r} is not a parts folder of automm-deploy predict (it has no "
                             f"{PROGRESS_FILE}); move it away or choose another OUTPUT.")
        shutil.rmtree(folder)
    if folder.exists():
        found = json.loads(progress.read_text()) if progress.is_file() else None
        if found != settings:
            changed = ("no progress file" if found is None else
                       ", ".join(key for key in settings if found.get(key) != settings[key]))
            raise InputError(f"{str(folder)!r} holds an unfinished run with another input, export or options "
                             f"({changed}): pass --restart to delete its parts and start again.")
        return
    folder.mkdir(parents=True)
    replace_atomically(progress, lambda tmp: tmp.write_text(json.dumps(settings, indent=1)))


def join_parts(parts: list[Path], output: Path) -> None:
    """The parts, in order, as one ``output`` file (Parquet: column types unified; CSV: one header)."""
    if output_format(output) == "parquet":
        replace_atomically(output, lambda tmp: _join_parquet(parts, tmp))
    else:
        replace_atomically(output, lambda tmp: _join_csv(parts, tmp))


def _join_parquet(parts: list[Path], target: Path) -> None:
    import pyarrow as pa

    pq = pyarrow_parquet()
    # a column that is all missing in one chunk, or integer in one and float in another, takes the wider type
    schema = pa.unify_schemas([pq.read_schema(p).remove_metadata() for p in parts], promote_options="permissive")
    with pq.ParquetWriter(target, schema) as writer:
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches():
                writer.write_table(pa.Table.from_batches([batch]).replace_schema_metadata(None).cast(schema))


def _join_csv(parts: list[Path], target: Path) -> None:
    with target.open("wb") as out:
        for number, part in enumerate(parts):
            with part.open("rb") as file:
                header = file.readline()
                if number == 0:
                    out.write(header)
                shutil.copyfileobj(file, out)
