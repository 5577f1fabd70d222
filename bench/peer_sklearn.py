#!/usr/bin/python3
"""scikit-learn peer: TfidfVectorizer with similarity/tfidf.json's settings,
then top-K of every specimen by a chunked sparse product (single-threaded, as
scikit-learn runs it). Prints one JSON line with the timings and, with
--lists, writes each specimen's top-K (slug, cosine) as JSON Lines so the
runner can check that the engine's lists agree.

  peer_sklearn.py CORPUS.jsonl CONFIG [--lists OUT.jsonl] [--chunk 1000]
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import sklearn_reference as ref  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("config")
    p.add_argument("--lists")
    p.add_argument("--chunk", type=int, default=1000)
    a = p.parse_args()
    c, stop = ref.load_config(a.config)
    with open(a.corpus, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    records.sort(key=lambda r: r["slug"])
    slugs = [r["slug"] for r in records]
    docs = [ref.specimen_text(r, c["fields"]) for r in records]
    k = c.get("top_k", 10)
    t0 = time.perf_counter()
    v = ref.vectorizer(c, stop)
    X = v.fit_transform(docs).tocsr()
    fit = time.perf_counter() - t0
    t1 = time.perf_counter()
    XT = X.T.tocsc()
    out = open(a.lists, "w") if a.lists else None
    n = X.shape[0]
    for start in range(0, n, a.chunk):
        S = (X[start:start + a.chunk] @ XT).toarray()
        for r in range(S.shape[0]):
            i = start + r
            S[r, i] = 0.0
            row = S[r]
            idx = np.argpartition(-row, min(k, n - 1))[:k + 1] if n > k + 1 else np.arange(n)
            cands = sorted(((-row[j], slugs[j]) for j in idx if row[j] > 0))[:k]
            if out:
                out.write(json.dumps([slugs[i], [[s, -c] for c, s in cands]]) + "\n")
    pairs = time.perf_counter() - t1
    if out:
        out.close()
    print(json.dumps({"specimens": n, "terms": len(v.vocabulary_), "fit_seconds": fit,
                      "all_pairs_seconds": pairs,
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
