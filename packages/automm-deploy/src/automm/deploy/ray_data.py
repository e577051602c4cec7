"""Batch prediction with Ray Data (the ``[ray]`` extra): an actor pool in which each actor loads the export once
and predicts the dataset's batches, for tables spread over a Ray cluster.

Example:
    >>> import ray
    >>> from automm.deploy import ray_data
    >>> ray.init()  # a local Ray, or ray.init(address="auto") on a cluster: the call below is the same
    >>> predictions = ray_data.predict(ray.data.read_parquet("s3://bucket/rows/"), "my_predictor.onnx/")
    >>> predictions.write_parquet("s3://bucket/predictions/")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .batch import prediction_frame
from .errors import DeployError
from .manifest import Manifest
from .runtime import load

BATCH_SIZE = 1024


class Predictor:
    """The callable class Ray Data runs in each actor: loads the export once, then predicts batch after batch.

    Args:
        export: the export folder (on a path every node can read).
        proba: class probabilities instead of labels.
        keep: columns of the dataset copied into the predictions before them.
        options: for ``load`` (``threads``, ``batch_size``, ``device``).
    """

    def __init__(self, export: str, proba: bool, keep: Sequence[str], options: dict[str, Any]):
        self.model = load(export, **options)
        self.proba, self.keep = proba, list(keep)

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        return prediction_frame(self.model, batch, self.proba, self.keep)


def predict(dataset: Any, export: str | Path, *, concurrency: int = 2, batch_size: int = BATCH_SIZE,
            proba: bool = False, keep: Sequence[str] = (), num_cpus: float = 1, **options: Any) -> Any:
    """The predictions of a Ray ``dataset``'s rows as a Ray Dataset, one row per input row, in the input's order.

    ``concurrency`` actors each load the export once (``load(export, **options)``, with ``num_cpus`` onnxruntime
    threads unless ``threads`` is given) and predict ``batch_size`` rows at a time. The dataset's execution keeps
    its order: ``preserve_order`` is set on the dataset's ``DataContext`` (Ray Data's documented switch), so
    datasets derived from ``dataset`` keep their order too. Ray itself is not started here: ``ray.init()`` (local,
    or an existing cluster's address) is the caller's, or Ray Data starts a local one.

    Args:
        dataset: a ``ray.data.Dataset`` with the export's feature columns.
        export: the export folder; on a cluster, a path each node can read.
        concurrency: the number of actors.
        batch_size: rows per call of an actor.
        proba: class probabilities instead of labels.
        keep: dataset columns (e.g. an id) copied into the output before the predictions.
        num_cpus: CPUs Ray reserves for each actor.
        options: for ``load`` (``threads``, ``batch_size``, ``device``).

    Raises:
        DeployError: Ray Data is not installed (``pip install 'automm-deploy[ray]'``).
    """
    try:
        import ray.data
    except ImportError:
        raise DeployError("Batch prediction on Ray needs Ray Data: pip install 'automm-deploy[ray]'.") from None
    Manifest.read(Path(export))  # a missing or damaged export is refused here, not in every actor
    options = {"threads": max(1, int(num_cpus)), **options}
    dataset.context.execution_options.preserve_order = True
    return dataset.map_batches(Predictor, fn_constructor_kwargs={"export": str(Path(export).resolve()), "proba": proba,
                                                                 "keep": list(keep), "options": options},
                               compute=ray.data.ActorPoolStrategy(size=concurrency), batch_size=batch_size,
                               batch_format="pandas", num_cpus=num_cpus)
