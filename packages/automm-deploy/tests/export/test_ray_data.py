"""Batch prediction on Ray Data (``automm.deploy.ray_data.predict``): two actors on a local Ray answer as the
in-process runtime, row for row, in the input's order (about 20 s here, most of it starting Ray)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from automm.deploy import load, ray_data  # noqa: E402
from automm.deploy.errors import DeployError  # noqa: E402

from .conftest import CASES  # noqa: E402


def test_two_actors_answer_as_the_runtime_in_order(exported: dict[str, Path], table: pd.DataFrame,
                                                   tmp_path: Path) -> None:
    features = CASES["multimodal"][0]
    rows = pd.concat([table[features]] * 3, ignore_index=True).assign(id=lambda f: [f"r{i}" for i in range(len(f))])
    model = load(exported["multimodal"])
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        # many small blocks, so the two actors finish them out of order
        dataset = ray.data.from_pandas([rows.iloc[i:i + 30] for i in range(0, len(rows), 30)])
        found = ray_data.predict(dataset, exported["multimodal"], concurrency=2, batch_size=16, proba=True,
                                 keep=["id"]).to_pandas()
        with pytest.raises(DeployError, match="export"):
            ray_data.predict(dataset, tmp_path / "missing")
    finally:
        ray.shutdown()
    expected = model.predict_proba(rows)
    assert found["id"].tolist() == rows["id"].tolist()
    assert list(found.columns) == ["id", *map(str, expected.columns)]
    # Ray Data hands back Arrow-backed columns (float[pyarrow]): the same numbers
    np.testing.assert_allclose(found.iloc[:, 1:].to_numpy(dtype=np.float64), expected.to_numpy(), atol=1e-6, rtol=0)
    assert found.iloc[:, 1:].astype(float).idxmax(axis=1).tolist() == model.predict(rows).astype(str).tolist()
