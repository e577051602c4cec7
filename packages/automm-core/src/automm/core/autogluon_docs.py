"""The migration page of AutoGluon-MM's hyperparameter keys, generated from ``automm.core.autogluon_keys``.

Regenerate ``docs/migration/hyperparameters.md`` after changing the table or a task's aliases::

    python -m automm.core.autogluon_docs > docs/migration/hyperparameters.md
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .autogluon_keys import KEYS, OLD_SECTIONS, PREFIXES, RENAMED, Mapped, Refused
from .autogluon_values import AcceptOnly, Choice
from .discovery import installed_plugins

INTRO = """# AutoGluon-MM hyperparameter keys in automm

`MultiModalPredictor(hyperparameters=...)` and `fit(hyperparameters=...)` read AutoGluon-MM's keys as well as
automm's: a dict (dotted or nested keys), AutoGluon's dotlist string (`"optim.lr=1e-4 optim.max_epochs=5"`) or a
list of `"key=value"` strings. Each AutoGluon key below is translated onto automm's key, or refused with the reason
and what to write instead. automm's own keys are listed in `automm.core.config.valid_keys()`.

Generated from `automm/core/autogluon_keys.py` and the installed tasks' aliases by
`python -m automm.core.autogluon_docs`; do not edit by hand.
"""

DIFFERENCES = """## Deliberate differences

- **Default preset.** AutoGluon-MM fits `high_quality` when `presets` is not given; automm fits `medium_quality`
  (MiniLM-L6 text, EfficientNet-Lite0 images: small backbones that need no model hub). Write
  `presets="high_quality"` for AutoGluon's choice.
- **`presets="multilingual"`** sets the text backbone to `microsoft/mdeberta-v3-base` on top of the task's
  default preset, as AutoGluon-MM does; it downloads at fit time.
- **Combined PEFT methods** (`lora_bias`, `ia3_lora`, `norm_fit`, ...) are refused naming the closest single
  method automm has (`lora`, `ia3`, `bitfit`).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(key: str, found: Mapped | Refused) -> str:
    if isinstance(found, Refused):
        return f"| `{key}` | refused | {_cell(found.reason)} |"
    values = found.translate.describe() if isinstance(found.translate, Choice | AcceptOnly) else ""
    note = "; ".join(part for part in (found.note, values) if part)
    return f"| `{key}` | `{found.target}` | {_cell(note)} |"


def _sections() -> list[str]:
    lines: list[str] = []
    section = ""
    for key, found in KEYS.items():
        head = key.split(".")[0]
        if head != section:
            section = head
            lines += ["", f"## `{head}.*`", "", "| AutoGluon-MM key | automm key | note / reason refused |",
                      "|---|---|---|"]
        lines.append(_row(key, found))
    lines += ["", "## Backbone families automm has not", "", "| AutoGluon-MM keys | status | reason |",
              "|---|---|---|"]
    lines += [f"| `{prefix}*` | refused | {_cell(r.reason)} |" for prefix, r in PREFIXES.items()]
    return lines


def _spellings() -> list[str]:
    lines = ["", "## AutoGluon's older spellings", "", "Read as the names they became:", ""]
    lines += [f"- `{old}*` is `{new}*`" for old, new in OLD_SECTIONS.items()]
    lines += [f"- `{old}` is `{new}`" for old, new in RENAMED.items()]
    return lines


def task_aliases() -> dict[str, dict[str, str]]:
    """Per installed problem type, the AutoGluon keys (and key=value pairs) its task section maps itself."""
    found: dict[str, dict[str, str]] = {}
    for plugin in installed_plugins():
        for problem_type, task in sorted(plugin.tasks.items()):
            config_type = getattr(task, "config_type", None)
            aliases: Mapping[str, str] = getattr(config_type, "aliases", {})
            values: Mapping[tuple[str, Any], tuple[str, Any]] = getattr(config_type, "value_aliases", {})
            rows = {key: f"`{target}`" for key, target in aliases.items()}
            rows.update({f"{key}={value!r}": f"`{target}={setting!r}`" for (key, value), (target, setting)
                         in values.items()})
            if rows:
                found[problem_type] = rows
    return found


def _task_sections(tasks: Mapping[str, Mapping[str, str]]) -> list[str]:
    lines = ["", "## Keys a task maps itself", "",
             "A task's own section (`task.*`) maps these names (AutoGluon-MM's, and automm 0.2's `optim.*` names of "
             "task settings), for its problem types only; they win over the tables above:", "",
             "| problem type | key | automm key |", "|---|---|---|"]
    for problem_type, rows in tasks.items():
        lines += [f"| {problem_type} | `{key}` | {target} |" for key, target in rows.items()]
    return lines


def page(tasks: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The whole markdown page; ``tasks`` defaults to the installed tasks' aliases."""
    parts: Iterable[str] = [INTRO, DIFFERENCES.rstrip("\n"), *_sections(), *_spellings(),
                            *_task_sections(task_aliases() if tasks is None else tasks)]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(page(), end="")
