# %% [markdown]
# # Classifying PDF documents from their page image and text
#
# A PDF usually carries two things: how its pages look and, when it was produced digitally, a text layer.
# AutoGluon-MM reads PDF paths directly and runs a LayoutLM-style document model over OCR words. **automm has no
# PDF or document modality**: it takes each page as an image column and the page's text as a text column, and
# fuses an image backbone with a text backbone. You rasterise the pages and pull out their text before `fit`
# (for example with `pypdfium2` and `pypdf`); this tutorial shows that route on pages whose two classes have the
# same layout and differ only in what they say, so the text column carries the signal.

# %%
# AutoGluon: document_prediction/pdf_classification
import tempfile
import textwrap
from pathlib import Path
from pydoc_data.topics import topics

import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from automm.core import MultiModalPredictor
from automm.core.data.column_types import describe_column_types, detect_column_types

# %% [markdown]
# ## Documents: two kinds of Python help pages
#
# The passages come from Python's bundled help topics (`pydoc_data.topics`): pages about **statements**
# (`if`, `while`, `try`, `import`, ...) and pages about **types** (sequences, mappings, numbers, string
# methods, ...). Each passage is typeset on a page with Pillow and also saved as a one-page PDF, as a scanner or
# a report generator would produce.

# %%
STATEMENTS = ["assert", "assignment", "augassign", "break", "continue", "del", "for", "global", "if", "import",
              "nonlocal", "pass", "raise", "return", "try", "while", "with", "yield", "compound",
              "class", "function", "lambda"]
TYPES = ["typesseq", "typesseq-mutable", "typesmapping", "typesfunctions", "typesmethods", "typesmodules",
         "numbers", "integers", "floating", "imaginary", "string-methods", "specialattrs", "sequence-types",
         "numeric-types", "bltin-type-objects", "bltin-null-object", "booleans", "truth", "strings", "types"]
FONT = ImageFont.load_default(size=10)


def passages(keys: list[str], per_topic: int = 6, size: int = 50) -> list[str]:
    """Up to ``per_topic`` passages of ``size`` words from each help topic in ``keys``."""
    found = []
    for key in keys:
        tokens = topics.get(key, "").split()
        found += [" ".join(tokens[i:i + size]) for i in range(0, len(tokens) - size, size)][:per_topic]
    return found


def typeset(text: str, name: str, folder: Path) -> tuple[str, str]:
    """Draw ``text`` on a page; save it as PNG (what automm reads) and as a one-page PDF."""
    page = Image.new("RGB", (256, 256), color=(246, 246, 242))
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(textwrap.wrap(text, width=44)[:18]):
        draw.text((12, 12 + 13 * row), line, fill=(30, 30, 30), font=FONT)
    page.save(folder / f"{name}.pdf")
    page.save(folder / f"{name}.png")
    return str(folder / f"{name}.pdf"), str(folder / f"{name}.png")


folder = Path(tempfile.mkdtemp(prefix="automm-pdfs-"))
rows = []
for label, keys in (("statement", STATEMENTS), ("type", TYPES)):
    for i, text in enumerate(passages(keys)):
        pdf, png = typeset(text, f"{label}_{i}", folder)
        rows.append({"pdf_path": pdf, "page_image": png, "text": text, "label": label})
data = pd.DataFrame(rows).groupby("label").head(70)  # as many pages of each kind
data = data.sample(frac=1.0, random_state=0).reset_index(drop=True)
print(data.label.value_counts().to_dict())
print(data[["pdf_path", "label"]].head(3).to_string())

# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
for ax, label in zip(axes, ("statement", "type")):
    ax.imshow(Image.open(data[data.label == label].page_image.iloc[0]))
    ax.set_title(label)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## What automm makes of a PDF path
#
# automm's column-type detection (the step `fit` starts with) takes a column of existing files for image paths,
# so the PDF column below is called an image column. But Pillow cannot decode a PDF, and a page that cannot be
# decoded counts as a missing image: a PDF column alone would train on nothing. That is why the table above also
# has the rasterised page and its text, and why `fit` below leaves the PDF column out.

# %%
decisions = detect_column_types(data, exclude=["label"])
print(describe_column_types(decisions))

# %% [markdown]
# ## Page image plus text
#
# With `page_image` (image paths) and `text` (a text column), automm fine-tunes the offline `medium_quality`
# backbones, MiniLM-L6 for text and EfficientNet-Lite0 for images, and fuses them. The PDF path column is left
# out. Small images, short text and three epochs keep this near a minute on a CPU.

# %%
train_data, test_data = data.iloc[:100], data.iloc[100:]
work = Path(tempfile.mkdtemp(prefix="automm-tutorial-"))
predictor = MultiModalPredictor(label="label", path=str(work / "pdfs"), verbosity=1)
predictor.fit(
    train_data.drop(columns=["pdf_path"]),
    time_limit=300,
    hyperparameters={"model.image.image_size": 64, "model.text.max_length": 96, "optim.max_epochs": 3,
                     "optim.batch_size": 8},
)
print(predictor.describe_columns())
scores = predictor.evaluate(test_data, metrics=["accuracy", "roc_auc"])
print(scores)

# %%
proba = predictor.predict_proba(test_data)
fig, ax = plt.subplots(figsize=(5, 3))
for label in ("statement", "type"):
    ax.hist(proba.loc[test_data.label == label, "type"], bins=10, range=(0, 1), alpha=0.6, label=f"true {label}")
ax.set_xlabel('probability of "type"')
ax.set_ylabel("test pages")
ax.legend()
plt.show()

# %% [markdown]
# ## In short
#
# - AutoGluon-MM detects a column of PDF or scanned-page paths as documents; in automm give the page images as an
#   image column and the text layer (or your own OCR output) as a text column.
# - AutoGluon-MM's `model.document_transformer.checkpoint_name` (LayoutLM, LayoutLMv3, ...) is refused: automm has
#   no layout-aware model. Choose the backbones with `model.image.checkpoint` and `model.text.checkpoint`.
# - AutoGluon-MM runs OCR inside `fit` and `predict`; in automm OCR is yours to run before `fit`.
