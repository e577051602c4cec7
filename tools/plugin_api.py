"""The plug-in API policy, demonstrated on built wheels (``nox -s plugin-compat``).

    python tools/plugin_api.py core-copy OUT VERSION [PLUGIN_API]   # automm-core's sources with another version
    python tools/plugin_api.py refused PLUGIN_API                   # every installed task package is refused

``core-copy`` writes automm-core's package folder to OUT with ``version`` (and ``PLUGIN_API``) replaced, for a
wheel of a later core: a minor core release that keeps the plug-in API, or one that breaks it. ``refused`` checks, in
an environment holding such a core, that discovery refuses each installed automm task package with a message naming
the package, the versions it works with and the installed core's plug-in API.
"""

from __future__ import annotations

import re
import shutil
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TASK_PACKAGES = {"automm-classify": "binary", "automm-match": "text_similarity", "automm-detect": "object_detection",
                 "automm-segment": "semantic_segmentation"}


def core_copy(out: Path, version: str, plugin_api: str | None = None) -> Path:
    """automm-core's folder copied to ``out`` with its version (and plug-in API) replaced."""
    shutil.copytree(ROOT / "packages" / "automm-core", out,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    pyproject = out / "pyproject.toml"
    pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text(), count=1))
    if plugin_api is not None:
        tasks = out / "src" / "automm" / "core" / "tasks.py"
        text, count = re.subn(r'(?m)^PLUGIN_API = ".*"$', f'PLUGIN_API = "{plugin_api}"', tasks.read_text())
        if count != 1:
            raise SystemExit(f"no PLUGIN_API line in {tasks}")
        tasks.write_text(text)
    return out


def refused(plugin_api: str) -> list[str]:
    """Problems with discovery's refusals (empty when each installed task package is refused as it should be)."""
    from importlib.metadata import version

    from automm.core.discovery import plugin_for
    from automm.core.errors import PluginAPIError

    problems = []
    core = version("automm-core")
    for package, problem_type in TASK_PACKAGES.items():
        expected = (f"needs {package}: {package} {version(package)} works with automm-core's plug-in API >=1.0,<2, but "
                    f"the installed automm-core {core} has plug-in API {plugin_api}.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                plugin_for(problem_type)
            problems.append(f"{package} was not refused under plug-in API {plugin_api}")
        except PluginAPIError as err:
            if expected not in str(err):
                problems.append(f"{package}: {err} (expected it to say: {expected})")
            else:
                print(f"refused as it should be: {err}")
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["core-copy"] and len(argv) in (3, 4):
        print(core_copy(Path(argv[1]), argv[2], argv[3] if len(argv) == 4 else None))
        return 0
    if argv[:1] == ["refused"] and len(argv) == 2:
        problems = refused(argv[1])
        print("\n".join(problems), file=sys.stderr)
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
