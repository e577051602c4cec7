"""mkdocs hooks: the tutorials in the nav, the generated tutorial index, and the merged migration page.

- ``on_config`` adds every executed tutorial notebook (``docs/tutorials/<section>/<name>.ipynb``, written by
  ``docs/execute.py``) to the nav, one section per folder; a tutorial without its notebook stops the build.
- ``on_page_markdown`` writes each API page (``<!-- automm:api MODULE -->``) from the module's ``__all__``: every
  name resolved to the module that defines it (the packages export most names lazily, which static analysis
  cannot follow), each object documented once, on the first page that exports it, and linked from later ones;
- it also fills the markers of ``tutorials/index.md`` (the list of tutorials with the AutoGluon-MM
  tutorial each covers) and ``migration/index.md`` (every ``docs/migration/*.md`` note, then the table mapping
  AutoGluon-MM's tutorials to ours). Each engineer adds a note file; no one edits a shared page, so branches
  merge without conflicts.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from mkdocs.exceptions import PluginError

DOCS = Path(__file__).resolve().parent
TUTORIAL_INDEX_MARKER = "<!-- automm:tutorial-index -->"
NOTES_MARKER = "<!-- automm:migration-notes -->"
MAP_MARKER = "<!-- automm:tutorial-map -->"
API_MARKER = re.compile(r"<!-- automm:api ([\w.]+) -->")
DOCUMENTED: dict[str, str] = {}  # defining path -> the API page that documents it (filled in nav order)


def _load_map() -> ModuleType:
    """docs/tutorial_map.py (docs/ is not a package; the hook and the tests load it by path)."""
    spec = importlib.util.spec_from_file_location("automm_docs_tutorial_map", DOCS / "tutorial_map.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


tutorial_map = _load_map()


def _section(tutorial: Any) -> str:
    """The tutorial's section: its first folder under docs/tutorials/."""
    return tutorial.source.relative_to(tutorial_map.TUTORIALS).parts[0]


def _section_title(folder: str) -> str:
    return folder.replace("_", " ").replace("-", " ").capitalize()


def on_config(config: Any) -> Any:
    """Import this tree's packages (for the API pages); add the executed tutorials to the nav's "Tutorials"
    section, one subsection per folder."""
    sys.path[:0] = [str(p) for p in sorted((DOCS.parent / "packages").glob("*/src"))]
    DOCUMENTED.clear()
    found = tutorial_map.tutorials()
    missing = [t.source.relative_to(DOCS.parent).as_posix() for t in found if not (DOCS / t.page).is_file()]
    if missing:
        raise PluginError(f"no executed notebook for {', '.join(missing)}: run `python docs/execute.py` first "
                          "(it writes docs/tutorials/<section>/<name>.ipynb), then build the site")
    sections: dict[str, list[dict[str, str]]] = {}
    for tutorial in found:
        sections.setdefault(_section(tutorial), []).append({tutorial.title: tutorial.page})
    for entry in config["nav"]:
        if isinstance(entry, dict) and "Tutorials" in entry:
            entry["Tutorials"] = [entry["Tutorials"][0],
                                  *({_section_title(k): v} for k, v in sorted(sections.items()))]
    return config


def _link(page: str, from_page: str) -> str:
    """Relative link from one docs page to another (both relative to docs/)."""
    depth = from_page.count("/")
    return "../" * depth + page


def tutorial_index(from_page: str) -> str:
    """Markdown list of every tutorial, by section, with the AutoGluon-MM tutorial(s) it covers."""
    lines: list[str] = []
    section = ""
    for tutorial in tutorial_map.tutorials():
        if _section(tutorial) != section:
            section = _section(tutorial)
            lines += ["", f"## {_section_title(section)}", ""]
        covers = ", ".join(f"`{p}`" for p in tutorial.autogluon) or "—"
        lines.append(f"- [{tutorial.title}]({_link(tutorial.page, from_page)}) (AutoGluon-MM: {covers})")
    return "\n".join(lines) if lines else "No tutorials yet."


def tutorial_table(from_page: str) -> str:
    """Markdown table: each AutoGluon-MM tutorial (Table C), our tutorial(s) for it, and the calls they make."""
    rows = ["| # | AutoGluon-MM tutorial | automm tutorial | calls exercised |", "|---|---|---|---|"]
    number = {path: key for key, path in tutorial_map.AUTOGLUON_TUTORIALS.items()}
    for path, ours in tutorial_map.coverage(tutorial_map.tutorials()).items():
        links = "<br>".join(f"[{t.title}]({_link(t.page, from_page)})" for t in ours) or "—"
        calls = sorted({c for t in ours for c in t.calls}) + [f"`{k}`" for k in sorted({k for t in ours for k in
                                                                                        t.keys})]
        called = ", ".join(c if c.startswith("`") else f"`{c}`" for c in calls) or "—"
        rows.append(f"| {number.get(path, '')} | `{path}` | {links} | {called} |")
    return "\n".join(rows)


def _demote_headings(text: str) -> str:
    """Move every markdown heading one level down, leaving fenced code (``# comments``) alone."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        lines.append(re.sub(r"^(#+) ", r"#\1 ", line) if not fenced else line)
    return "\n".join(lines)


def migration_notes() -> str:
    """Every docs/migration/*.md note but the index, headings moved one level down, in file-name order."""
    parts: list[str] = []
    for note in sorted((DOCS / "migration").glob("*.md")):
        if note.name == "index.md":
            continue
        text = note.read_text(encoding="utf-8").strip()
        text = _demote_headings(text)
        if not text.startswith("## "):
            text = f"## {_section_title(note.stem)}\n\n{text}"
        parts.append(text)
    return "\n\n".join(parts) if parts else "No notes yet."


def api_reference(module_name: str, from_page: str) -> str:
    """mkdocstrings directives for every public name of ``module_name`` (its ``__all__``), by defining module."""
    module = importlib.import_module(module_name)
    lines: list[str] = []
    constants: list[str] = []
    for name in sorted(getattr(module, "__all__", []), key=str.lower):
        obj = getattr(module, name)
        if name.startswith("__"):
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            constants.append(f"`{name}`")
            continue
        path = f"{obj.__module__}.{obj.__qualname__}"
        if path in DOCUMENTED and DOCUMENTED[path] != from_page:
            lines.append(f"- `{name}`: see [{path}]({_link(DOCUMENTED[path], from_page)}#{path})")
            continue
        DOCUMENTED[path] = from_page
        lines.append(f"\n::: {path}\n    options:\n      heading_level: 2\n")
    if constants:
        lines.append(f"\nAlso exported (constants): {', '.join(constants)}.")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Fill the generated parts of the API pages, the tutorial index and the migration page."""
    source = page.file.src_uri
    markdown = API_MARKER.sub(lambda m: api_reference(m.group(1), source), markdown)
    if TUTORIAL_INDEX_MARKER in markdown:
        markdown = markdown.replace(TUTORIAL_INDEX_MARKER, tutorial_index(source))
    if NOTES_MARKER in markdown:
        markdown = markdown.replace(NOTES_MARKER, migration_notes())
    if MAP_MARKER in markdown:
        markdown = markdown.replace(MAP_MARKER, tutorial_table(source))
    return markdown
