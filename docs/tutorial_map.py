"""Which automm tutorial covers which AutoGluon-MM tutorial, and which calls each one exercises.

Every tutorial in ``docs/tutorials/<section>/<name>.py`` (jupytext percent format) starts its first code cell
with one or more ``# AutoGluon: <path>`` lines naming the AutoGluon-MM tutorial(s) it covers (the path under
AutoGluon's ``docs/tutorials/multimodal/``; several paths may also be separated by commas). The calls are read
from the code with ``ast``: predictor methods, ``MultiModalPredictor`` itself, the functions imported from
``automm`` and the ``hyperparameters`` keys written as dict literals. The site (``docs/hooks.py``) renders the
tables; ``tests/test_docs_map.py`` checks that every runnable AutoGluon tutorial is covered.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent
TUTORIALS = DOCS / "tutorials"
MARKER = re.compile(r"^#\s*AutoGluon:\s*(.+?)\s*$")

# Table C of the compatibility review: every AutoGluon-MM multimodal tutorial (at f34ebb4f) plus the FAQ and the
# legacy detection evaluation tutorial. C21-C24 only download data and C26 is a reference page: the other 35 run.
AUTOGLUON_TUTORIALS: dict[str, str] = {
    "C1": "multimodal_prediction/multimodal-quick-start",
    "C2": "multimodal_prediction/beginner_multimodal",
    "C3": "multimodal_prediction/multimodal_text_tabular",
    "C4": "multimodal_prediction/multimodal_ner",
    "C5": "text_prediction/beginner_text",
    "C6": "text_prediction/multilingual_text",
    "C7": "text_prediction/ner",
    "C8": "text_prediction/chinese_ner",
    "C9": "image_prediction/beginner_image_cls",
    "C10": "image_prediction/clip_zeroshot",
    "C11": "semantic_matching/text2text_matching",
    "C12": "semantic_matching/image2image_matching",
    "C13": "semantic_matching/image_text_matching",
    "C14": "semantic_matching/text_semantic_search",
    "C15": "semantic_matching/zero_shot_img_txt_matching",
    "C16": "object_detection/quick_start/quick_start_coco",
    "C17": "object_detection/advanced/finetune_coco",
    "C18": "object_detection/data_preparation/object_detection_with_dataframe",
    "C19": "object_detection/data_preparation/convert_data_to_coco_format",
    "C20": "object_detection/data_preparation/voc_to_coco",
    "C21": "object_detection/data_preparation/prepare_coco17",
    "C22": "object_detection/data_preparation/prepare_pothole",
    "C23": "object_detection/data_preparation/prepare_voc",
    "C24": "object_detection/data_preparation/prepare_watercolor",
    "C25": "image_segmentation/beginner_semantic_seg",
    "C26": "advanced_topics/customization",
    "C27": "advanced_topics/efficient_finetuning_basic",
    "C28": "advanced_topics/few_shot_learning",
    "C29": "advanced_topics/focal_loss",
    "C30": "advanced_topics/hyperparameter_optimization",
    "C31": "advanced_topics/model_distillation",
    "C32": "advanced_topics/multiple_label_columns",
    "C33": "advanced_topics/presets",
    "C34": "advanced_topics/problem_types_and_metrics",
    "C35": "advanced_topics/tensorrt",
    "C36": "advanced_topics/continuous_training",
    "C37": "document_prediction/document_classification",
    "C38": "document_prediction/pdf_classification",
    "C39": "multimodal-faq",
    "C40": "object_detection/evaluation/detection_eval_fasterrcnn_coco",
}
_PREFIXES = ("docs/tutorials/multimodal/", "tutorials/multimodal/", "T/", "/")
_SUFFIXES = (".ipynb", ".html", ".md")


@dataclass(frozen=True)
class Tutorial:
    """One of our tutorials: its source, title, the AutoGluon tutorials it covers and what it calls."""

    source: Path  # docs/tutorials/<section>/<name>.py
    title: str
    autogluon: tuple[str, ...]
    calls: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def page(self) -> str:
        """The executed notebook's path relative to docs/ (what the site renders)."""
        return self.source.with_suffix(".ipynb").relative_to(DOCS).as_posix()


def normalise(path: str) -> str:
    """AutoGluon tutorial path without the docs prefix or file suffix (``T/a/b.ipynb`` -> ``a/b``)."""
    path = path.strip().strip("`")
    for prefix in _PREFIXES:
        path = path.removeprefix(prefix)
    for suffix in _SUFFIXES:
        path = path.removesuffix(suffix)
    return path


def cells(text: str) -> list[tuple[str, str]]:
    """(kind, source) of each cell of a percent-format file: ``# %%`` starts a code cell, ``# %% [markdown]`` a
    markdown cell whose lines lose their ``# `` prefix. Text before the first marker is not a cell."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            found.append(("markdown" if "[markdown]" in line else "code", []))
        elif found:
            kind, lines = found[-1]
            lines.append(line.removeprefix("#").removeprefix(" ") if kind == "markdown" else line)
    return [(kind, "\n".join(lines).strip()) for kind, lines in found]


def read_tutorial(source: Path) -> Tutorial:
    """Parse one percent-format tutorial: title (first markdown heading), AutoGluon marker lines, calls."""
    parsed = cells(source.read_text(encoding="utf-8"))
    markdown = [text for kind, text in parsed if kind == "markdown"]
    code = [text for kind, text in parsed if kind == "code"]
    headings = [line for text in markdown for line in text.splitlines() if line.startswith("# ")]
    title = headings[0][2:].strip() if headings else source.stem
    autogluon: list[str] = []
    for line in (code[0] if code else "").splitlines():
        match = MARKER.match(line)
        if not match:
            break
        autogluon.extend(normalise(p) for p in match.group(1).split(",") if p.strip())
    calls, keys = calls_in("\n".join(code))
    return Tutorial(source, title, tuple(autogluon), calls, keys)


def tutorials(root: Path = TUTORIALS) -> list[Tutorial]:
    """Every tutorial under ``root``, sorted by path."""
    return [read_tutorial(p) for p in sorted(root.glob("*/**/*.py")) if not p.name.startswith("_")]


def coverage(found: list[Tutorial]) -> dict[str, list[Tutorial]]:
    """AutoGluon tutorial path -> our tutorials that name it (paths named by no row of Table C included)."""
    covered: dict[str, list[Tutorial]] = {path: [] for path in AUTOGLUON_TUTORIALS.values()}
    for tutorial in found:
        for path in tutorial.autogluon:
            covered.setdefault(path, []).append(tutorial)
    return covered


def _imports(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Names imported from automm/autogluon modules, and names bound to automm/autogluon modules."""
    names: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("automm", "autogluon"):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("automm", "autogluon"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    return names, modules


def _root(node: ast.expr) -> str:
    """Dotted name of an attribute chain (``automm.detect.visualize``), or '' when it is not one."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def _predictor_vars(tree: ast.AST, classes: set[str]) -> set[str]:
    """Variables bound to a predictor: ``p = Cls(...)``, ``Cls.load(...)``, or ``p2 = p.fit(...)``."""
    bound: set[str] = set()

    def makes(value: ast.expr) -> bool:
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        if isinstance(func, ast.Name):
            return func.id in classes
        if isinstance(func, ast.Attribute):
            base = func.value
            if isinstance(base, ast.Name) and (base.id in bound or (base.id in classes and func.attr == "load")):
                return func.attr in ("load", "fit")
            return func.attr == "fit" and makes(base)
        return False

    for _ in range(3):  # a predictor may be bound from another one: a few passes reach the fixed point
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and makes(node.value):
                bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return bound


def _made_by_class(node: ast.expr, classes: set[str]) -> bool:
    """``node`` is ``Cls(...)`` or ``Cls(...).fit(...)`` for a predictor class: a method called on it counts."""
    while isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id in classes
        if not isinstance(node.func, ast.Attribute) or node.func.attr != "fit":
            return False
        node = node.func.value
    return False


def calls_in(source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(calls, hyperparameter keys) made by ``source``: predictor methods and automm/autogluon functions."""
    tree = ast.parse(source)
    names, modules = _imports(tree)
    classes = {n for n in names if n.endswith("Predictor")}
    bound = _predictor_vars(tree, classes)
    calls: set[str] = set()
    keys: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        dotted = _root(func)
        head = dotted.split(".")[0]
        if isinstance(func, ast.Name) and func.id in names:
            calls.add(func.id)
        elif head in classes or head in modules:
            calls.add(dotted)
        elif isinstance(func, ast.Attribute) and (head in bound or _made_by_class(func.value, classes)):
            calls.add(func.attr)
        for keyword in node.keywords:
            if keyword.arg == "hyperparameters" and isinstance(keyword.value, ast.Dict):
                keys.update(k.value for k in keyword.value.keys if isinstance(k, ast.Constant) and
                            isinstance(k.value, str))
    return tuple(sorted(calls)), tuple(sorted(keys))
