"""The fixtures every package's tests use are defined once, in automm.core.testing.fixtures."""

from __future__ import annotations

import ast
from pathlib import Path

SHARED = {"iris", "tiny_text_model"}  # fixtures
BUILDERS = {"load_iris", "make_tiny_text_model"}  # what they wrap


def test_test_suites_reuse_the_shared_fixtures() -> None:
    root = Path(__file__).resolve().parents[1]
    found = []
    # tests/compat/ holds scripts that automm 0.4 runs to write saved-format fixtures: it has no shared fixtures.
    files = [f for f in root.glob("tests/**/*.py") if "compat" not in f.relative_to(root).parts]
    for file in sorted([*files, *root.glob("packages/*/tests/**/*.py")]):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name in SHARED:
                found.append(f"{file.relative_to(root)}:{node.lineno} defines {node.name}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in BUILDERS:
                found.append(f"{file.relative_to(root)}:{node.lineno} calls {ast.unparse(node.func)}")
    assert found == [], "use automm.core.testing.fixtures instead"
