# %% [markdown]
# # Semantic search over text
#
# Semantic search ranks a collection of documents by how close their meaning is to a query, not by the words
# they share. This page builds a small retrieval benchmark from Amazon fine-food reviews (the query is a
# review's first sentence, the relevant document is the rest of that review, among many other reviews), scores a
# word-overlap baseline (TF-IDF) with `compute_ranking_score`, then ranks the same corpus with the pretrained
# MiniLM-L6 sentence encoder through `predictor.evaluate(..., query_data=, response_data=, id_mappings=)` and
# `semantic_search`, and finally blends both scores. No fit is needed: a text matcher embeds before training.

# %%
# AutoGluon: semantic_matching/text_semantic_search.ipynb
import re
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from automm.core import MultiModalPredictor
from automm.match import compute_ranking_score, compute_semantic_similarity, semantic_search
from benchmarks.datasets import fine_foods

reviews = fine_foods()[1]["review"].str.replace("<br />", " ")
sentences = reviews.map(lambda text: [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20])
usable = sentences[sentences.map(len) >= 3].head(120).reset_index(drop=True)
query_data = pd.DataFrame({"query_id": [f"q{i}" for i in range(60)], "text": usable.head(60).map(lambda s: s[0])})
doc_data = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(usable))],
                         "text": usable.map(lambda s: " ".join(s[1:3]))})
labeled_data = pd.DataFrame({"query_id": query_data["query_id"], "doc_id": doc_data["doc_id"].head(60),
                             "relevance": 1})
id_mappings = {"query_id": query_data.set_index("query_id")["text"], "doc_id": doc_data.set_index("doc_id")["text"]}
qrel_dict = {q: {d: 1} for q, d in zip(labeled_data["query_id"], labeled_data["doc_id"])}
cutoffs = [5, 10, 20]
print(f"{len(query_data)} queries, {len(doc_data)} documents")
print(query_data.head(2).to_string())

# %% [markdown]
# ## A word-overlap baseline
#
# `compute_ranking_score(results, qrel_dict, metrics, cutoffs)` takes rankings as `{query_id: {doc_id: score}}`
# and the truth as `{query_id: {doc_id: relevance}}`, whatever produced them. Here TF-IDF cosine (scikit-learn)
# stands in for AutoGluon-MM's BM25 example.

# %%
tfidf = TfidfVectorizer(stop_words="english").fit(doc_data["text"])
word_scores = (tfidf.transform(query_data["text"]) @ tfidf.transform(doc_data["text"]).T).toarray()


def as_results(scores: np.ndarray, top_k: int) -> dict[str, dict[str, float]]:
    best = np.argsort(-scores, axis=1)[:, :top_k]
    return {q: {doc_data["doc_id"][j]: float(scores[i, j]) for j in row}
            for i, (q, row) in enumerate(zip(query_data["query_id"], best))}


tfidf_ndcg = compute_ranking_score(as_results(word_scores, max(cutoffs)), qrel_dict, ["ndcg"], cutoffs)
print("TF-IDF:", tfidf_ndcg)

# %% [markdown]
# ## The sentence encoder
#
# A `text_similarity` predictor whose two sides are the id columns evaluates the ranking directly from ids:
# `id_mappings` turns each id into its text. The checkpoint is already the default (`medium_quality`); the line
# shows how to name one (AutoGluon-MM spells the key `model.hf_text.checkpoint_name`).

# %%
predictor = MultiModalPredictor(query="query_id", response="doc_id", label="relevance",
                                problem_type="text_similarity", path=Path(tempfile.mkdtemp()) / "search",
                                hyperparameters={"model.text.checkpoint": "sentence-transformers/all-MiniLM-L6-v2"})
minilm_ndcg = predictor.evaluate(labeled_data, query_data=query_data[["query_id"]],
                                 response_data=doc_data[["doc_id"]], id_mappings=id_mappings, cutoffs=cutoffs,
                                 metrics=["ndcg"])
print("MiniLM-L6:", minilm_ndcg)

# %% [markdown]
# The embeddings of each side come from `extract_embedding(..., id_mappings=, as_tensor=True)`.
# `semantic_search` returns the hits themselves, for each query `{"response_id": position, "score": cosine}`;
# each side may be given as data (a DataFrame, dict or list of texts) or as embeddings computed once.

# %%
query_embeds = predictor.extract_embedding(query_data[["query_id"]], id_mappings=id_mappings, as_tensor=True)
doc_embeds = predictor.extract_embedding(doc_data[["doc_id"]], id_mappings=id_mappings, as_tensor=True)
hits = semantic_search(matcher=predictor, query_data=query_data["text"].head(2).tolist(),
                       response_embeddings=doc_embeds, top_k=3)
print(query_data["text"][0])
for hit in hits[0]:
    print(f"  {hit['score']:.3f}  {doc_data['text'][hit['response_id']][:100]}")

# %% [markdown]
# ## A hybrid of both
#
# `compute_semantic_similarity` scores every query against every document. Mixing the two normalised scores
# sometimes beats either alone.

# %%
meaning = compute_semantic_similarity(query_embeds, doc_embeds).numpy()


def rescaled(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.min(axis=1, keepdims=True)) / (np.ptp(scores, axis=1, keepdims=True) + 1e-9)


hybrid_ndcg = compute_ranking_score(as_results(0.5 * rescaled(word_scores) + 0.5 * rescaled(meaning),
                                               max(cutoffs)), qrel_dict, ["ndcg"], cutoffs)
print("hybrid:", hybrid_ndcg)

# %%
table = pd.DataFrame({"TF-IDF": tfidf_ndcg, "MiniLM-L6": minilm_ndcg, "hybrid": hybrid_ndcg})
table.plot.bar(ylabel="NDCG", title="Ranking 120 reviews for 60 queries", rot=0)
plt.show()
