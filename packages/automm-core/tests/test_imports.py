"""automm.core's modules import without cycles: none needs a function-level import to break one."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import automm.core

ROOT = Path(automm.core.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for file in sorted(ROOT.rglob("*.py")):
        parts = file.relative_to(ROOT).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        found[".".join(("automm.core", *parts))] = file
    return found


def _imports(name: str, file: Path, modules: dict[str, Path]) -> set[str]:
    """Core modules ``file`` imports anywhere (functions included), except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(file.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    package = name.split(".") if file.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names}
    return {m for m in found if m in modules and m != name}


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: _imports(name, file, modules) for name, file in modules.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, "import cycle: " + " -> ".join([*path[path.index(name):], name])
        if name not in done:
            for dependency in sorted(graph[name]):
                visit(dependency, [*path, name])
            done.add(name)

    for name in graph:
        visit(name, [])


def test_each_module_imports_on_its_own() -> None:
    """Each module imported first in a clean automm.core (third-party modules stay loaded, for speed)."""
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('automm.core.')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    names = [n for n in _modules() if n != "automm.core"]
    result = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
