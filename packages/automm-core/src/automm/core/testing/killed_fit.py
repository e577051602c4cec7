"""Start a fit in another process and SIGKILL it once its first periodic checkpoint is on disk (resume tests)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FIT_SCRIPT = """
import sys, json
from automm.core import MultiModalPredictor
arguments, data = json.loads(sys.argv[1]), sys.argv[2]
MultiModalPredictor(**arguments).fit(data)
"""


def kill_fit_after_first_checkpoint(arguments: dict[str, Any], data: str | Path, timeout: float = 300) -> None:
    """Run ``MultiModalPredictor(**arguments).fit(data)`` in a new process; kill it mid-training.

    ``arguments`` must be JSON (``path`` as a string) and set ``optim.checkpoint_every_n_steps`` low enough
    that a checkpoint is written well before the fit ends; fails if the fit ends before it is killed.
    """
    process = subprocess.Popen([sys.executable, "-c", FIT_SCRIPT, json.dumps(arguments), str(data)],
                               env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    last = Path(arguments["path"]) / "training" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + timeout
    while not last.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert alive, "the fit ended before it could be killed"
