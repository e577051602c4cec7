"""README claims are backed by tests (issue 19 item 6).

Every sentence of a README that says something runs, runs unchanged, or answers equal to / identically to
something else is listed in CLAIMS with the test (or nox session) that runs it as written; a new such sentence
without an entry fails `test_every_claim_is_listed`. The root README's object-detection and
semantic-segmentation sections, and automm-detect's and automm-segment's READMEs, are checked by their own
package tests (AutoGluon-MM's quick starts run as written there).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
READMES = ["README.md", *(f"packages/automm-{name}/README.md" for name in ("core", "classify", "match", "deploy"))]
NOT_HERE = ("## Object detection", "## Semantic segmentation")  # root README sections with their own tests
CLAIM = re.compile(r"\bruns\b|\brun unchanged\b|\bunchanged\b|\bequal to\b|\bexactly as\b|\bidentical\b", re.I)

# (README, a phrase of the claim) -> "file::function" that runs it as written.
CLAIMS: dict[tuple[str, str], list[str]] = {
    ("README.md", "runs exported predictors with onnxruntime"): [
        "packages/automm-deploy/tests/runtime/test_runtime.py::test_exports_answer_as_the_torch_predictor_did",
        "packages/automm-deploy/tests/runtime/test_runtime.py::test_the_runtime_installs_without_the_training_stack"],
    ("README.md", "every rule that runs at prediction time"): [
        "packages/automm-deploy/tests/runtime/test_one_base.py::test_preprocessing_calls_the_functions_of_core_base"],
    ("README.md", "`nox -s lint` runs import-linter"): ["noxfile.py::lint", "tests/test_no_copies.py"],
    ("README.md", "`nox -s typecheck` runs pyright"): ["noxfile.py::typecheck"],
    ("README.md", "`nox -s tests` runs every package on all three"): ["noxfile.py::tests"],
    ("README.md", "equal to the torch predictor's"): [
        "packages/automm-deploy/tests/runtime/test_runtime.py::test_exports_answer_as_the_torch_predictor_did"],
    ("README.md", "checked for identical predictions"): [
        "tests/test_readme_claims.py::test_the_newcomer_example_runs_and_reloads_identically"],
    ("README.md", "gives identical predictions"): ["tests/test_determinism.py"],
    ("packages/automm-core/README.md", "the torch-free base only (what automm-deploy runs on)"): [
        "packages/automm-deploy/tests/runtime/test_one_base.py::test_no_training_stack_is_installed"],
    ("packages/automm-core/README.md", "ray[tune] runs the trials"): [
        "tests/test_hpo.py::test_search_keeps_the_best_trial_and_it_loads"],
    ("packages/automm-core/README.md", "runs once over the training"): [
        "tests/test_readme_claims.py::test_the_teacher_runs_once_over_the_training_rows"],
    ("packages/automm-core/README.md", "`predict` runs every kept member"): [
        "tests/test_ensemble.py::test_ensemble_fit_predicts_reports_weights_and_reloads"],
    ("packages/automm-deploy/README.md", "a slim production image runs"): [
        "packages/automm-deploy/tests/runtime/test_one_base.py::test_no_training_stack_is_installed"],
    ("packages/automm-deploy/README.md", "runs rows with the same prompt count together"): [
        "packages/automm-deploy/tests/export/test_sam_prompt_export.py::test_rows_of_different_prompt_counts_in_one_call"],
    ("packages/automm-deploy/README.md", "labels equal to the torch predictor's"): [
        "packages/automm-deploy/tests/runtime/test_runtime.py::test_exports_answer_as_the_torch_predictor_did"],
    ("packages/automm-deploy/README.md", "runs on onnxruntime's CUDA"): [
        "packages/automm-deploy/tests/export/test_export.py::test_gpu_providers_give_the_cpu_answers"],
    ("packages/automm-deploy/README.md", "the model runs on"): [
        "packages/automm-deploy/tests/export/test_export.py::test_a_missing_accelerator_falls_back_to_the_cpu_with_a_notice"],
    ("packages/automm-deploy/README.md", "runs a LitServe server"): [
        "packages/automm-deploy/tests/export/test_serve.py::test_served_answers_equal_the_runtime"],
}


def _text(readme: str) -> str:
    """The README's text on one line (single spaces), without the sections tested elsewhere."""
    kept, keep = [], True
    for line in (ROOT / readme).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            keep = not line.startswith(NOT_HERE)
        if keep:
            kept.append(line)
    return " ".join(" ".join(kept).split())


def test_every_claim_is_listed() -> None:
    unlisted = []
    for readme in READMES:
        text = _text(readme)
        spans = [(m.start(), m.end()) for (r, phrase) in CLAIMS if r == readme
                 for m in re.finditer(re.escape(phrase), text)]
        for claim in CLAIM.finditer(text):
            if not any(start <= claim.start() < end for start, end in spans):
                unlisted.append(f"{readme}: ...{text[max(0, claim.start() - 80):claim.end() + 60]}...")
    assert not unlisted, "README claims with no test listed in CLAIMS:\n" + "\n".join(unlisted)


def test_every_listed_claim_is_in_its_readme_and_its_test_exists() -> None:
    for (readme, phrase), backers in CLAIMS.items():
        assert CLAIM.search(phrase), f"{phrase!r} holds no claim word: quote the claim itself"
        assert phrase in _text(readme), f"{readme} no longer says {phrase!r}: drop its CLAIMS entry"
        for backer in backers:
            path, _, function = backer.partition("::")
            assert (ROOT / path).is_file(), f"{backer} (backing {phrase!r}) does not exist"
            if function:
                tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
                names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
                assert function in names, f"{path} has no {function} (backing {phrase!r})"


def test_the_teacher_runs_once_over_the_training_rows(iris: pd.DataFrame, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """automm-core's README: the teacher runs once over the training rows, however many epochs the student trains."""
    from automm.core import MultiModalPredictor, distillation

    passes: list[int] = []
    real = distillation.teacher_outputs

    def counted(state, rows, progress):  # noqa: ANN001, ANN202 (the wrapped function's own signature)
        passes.append(len(rows))
        return real(state, rows, progress)

    small = {"model.tabular.model": "mlp", "model.tabular.hidden_size": 16, "optim.max_epochs": 3, "optim.top_k": 1}
    teacher = MultiModalPredictor(label="label", path=tmp_path / "teacher", hyperparameters=small, verbosity=0)
    teacher.fit(iris, seed=0)
    monkeypatch.setattr(distillation, "teacher_outputs", counted)
    student = MultiModalPredictor(label="label", path=tmp_path / "student", hyperparameters=small, verbosity=0)
    student.fit(iris, teacher_predictor=teacher, seed=0)
    assert student.fit_summary["epochs"] == 3
    assert len(passes) == 1 and passes[0] <= len(iris)


@pytest.mark.slow
def test_the_newcomer_example_runs_and_reloads_identically(tmp_path: Path) -> None:
    """The README's newcomer command runs examples/quickstart.py as written (a shorter time limit)."""
    done = subprocess.run([sys.executable, "examples/quickstart.py", "--time-limit", "30", "--path",
                           str(tmp_path / "quickstart")], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "identical probabilities = True" in done.stdout
