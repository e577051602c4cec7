"""A save killed with SIGKILL at any moment never leaves a broken predictor: loading gives the old one or the new
one, complete, with identical predictions.

``save`` writes a staging directory beside the target, renames the old predictor to ``.<name>.previous``, renames
the staging directory into place, then deletes the backup; ``load`` restores the backup when a kill fell between
the two renames. Two predictors of different sizes (A: 8-wide, B: 64-wide, so mixing their files cannot load)
are saved over one another by a helper process that forks the saving children and kills them:

* at every filesystem step of ``save`` in turn (directory creation, each fsync, each rename, each file removed),
  which covers the window between the two renames deterministically;
* at random moments of a loop that saves A and B alternately, sometimes twice before loading again.

One helper process does all of it, so torch is imported once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor

HELPER = r"""
import json, os, random, signal, sys, time
import pandas as pd
import torch

torch.set_num_threads(1)  # no thread pool running when we fork
from automm.core import MultiModalPredictor

source_a, source_b, target, rows_csv, kills, seed = sys.argv[1:7]
rows = pd.read_csv(rows_csv)
predictors = {"A": MultiModalPredictor.load(source_a), "B": MultiModalPredictor.load(source_b)}
expected = {name: p.predict_proba(rows).to_numpy() for name, p in predictors.items()}
backup = os.path.join(os.path.dirname(target), "." + os.path.basename(target) + ".previous")
FILESYSTEM_STEPS = ("mkdir", "fsync", "replace", "unlink", "rmdir")


def outcome():
    # What a user loading the target now gets (load also does the recovery from the backup).
    on_disk = {"target": os.path.isdir(target), "backup": os.path.isdir(backup)}
    try:
        got = MultiModalPredictor.load(target).predict_proba(rows).to_numpy()
    except Exception as err:
        return {"loaded": f"broken: {err!r}", **on_disk}
    same = [n for n, want in expected.items() if got.shape == want.shape and (got == want).all()]
    return {"loaded": same[0] if same else "different predictions", **on_disk}


def kill_self_at_step(step):
    count = 0
    for name in FILESYSTEM_STEPS:
        real = getattr(os, name)

        def hook(*args, _real=real, **kwargs):
            nonlocal count
            count += 1
            if count == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return _real(*args, **kwargs)

        setattr(os, name, hook)


def run_child(work):
    pid = os.fork()
    if pid == 0:
        try:
            work()
        except BaseException:
            os._exit(3)
        os._exit(0)
    return pid


def killed(pid):
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL, status
        return True
    assert os.WEXITSTATUS(status) == 0, f"the saving child failed with exit code {os.WEXITSTATUS(status)}"
    return False


report = {"steps": [], "random": []}
# 1. Kill A's save over B at step 1, 2, 3, ... until a save runs to the end.
for step in range(1, 100):
    predictors["B"].save(target)

    def save_a(step=step):
        kill_self_at_step(step)
        predictors["A"].save(target)

    was_killed = killed(run_child(save_a))
    report["steps"].append({"step": step, "killed": was_killed, **outcome()})
    if not was_killed:
        break

# 2. Kill a loop of saves (A, B, A, ...) at random moments; sometimes kill twice before loading.
rng = random.Random(int(seed))
predictors["B"].save(target)


def save_forever():
    while True:
        for name in ("A", "B"):
            predictors[name].save(target)


for trial in range(int(kills)):
    pid = run_child(save_forever)
    time.sleep(rng.uniform(0.0, 0.4))
    os.kill(pid, signal.SIGKILL)
    killed(pid)
    if trial == int(kills) - 1 or rng.random() < 0.7:
        report["random"].append(outcome())
print("REPORT " + json.dumps(report))
"""


def _fit(table: pd.DataFrame, path: Path, width: int) -> MultiModalPredictor:
    hp = {"optim.max_epochs": 1, "optim.top_k": 1, "model.tabular.hidden_size": width,
          "model.fusion.hidden_size": width, "env.accelerator": "cpu"}
    return MultiModalPredictor(label="label", path=path, hyperparameters=hp).fit(table, seed=0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="SIGKILL and fork")
def test_killed_save_leaves_the_old_or_the_new_predictor(iris: pd.DataFrame, tmp_path: Path) -> None:
    small = _fit(iris, tmp_path / "a", width=8)
    big = _fit(iris, tmp_path / "b", width=64)
    rows = iris.drop(columns="label").sample(40, random_state=0)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    target = tmp_path / "models" / "predictor"
    result = subprocess.run(
        [sys.executable, "-c", HELPER, str(small.path), str(big.path), str(target), str(tmp_path / "rows.csv"),
         "12", "0"], capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.split("REPORT ", 1)[1])

    steps = report["steps"]
    assert all(s["loaded"] in ("A", "B") for s in steps), [s for s in steps if s["loaded"] not in ("A", "B")]
    assert [s["killed"] for s in steps] == [True] * (len(steps) - 1) + [False], "the last save must finish"
    assert len(steps) >= 8, steps  # two mkdirs, 4 fsyncs, 2 renames, removing the backup
    # Killed before the first rename: the old predictor; after the second: the new one. Between the two renames
    # the target is gone and only the backup is there, and load restores it.
    assert steps[0]["loaded"] == "B" and steps[-1]["loaded"] == "A"
    window = [s for s in steps if s["killed"] and not s["target"] and s["backup"]]
    assert window and all(s["loaded"] == "B" for s in window), steps

    outcomes = report["random"]
    assert outcomes and all(o["loaded"] in ("A", "B") for o in outcomes), outcomes

    # And in this process, without the helper's in-memory predictors: the target loads and matches A or B.
    final = MultiModalPredictor.load(target).predict_proba(rows)
    matches = [p for p in (small, big) if final.equals(p.predict_proba(rows))]
    assert len(matches) == 1
