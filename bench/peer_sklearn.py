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

from bench_stats import percentiles

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import sklearn_reference as ref  # noqa: E402


def top3(row, slugs):
    idx = np.argpartition(-row, 3)[:4] if len(row) > 4 else np.arange(len(row))
    return sorted((-row[j], slugs[j]) for j in idx if row[j] > 0)[:3]


def pasted_text(record):
    """What bench/query_bench.cpp pastes: title, tagline, the job-ad lines."""
    text = record["title"] + "\n" + record["tagline"] + "\n"
    for p in record.get("jd_autopsy") or []:
        text += p["illusion"] + "\n" + p["translation"] + "\n"
    return text


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("config")
    p.add_argument("--lists")
    p.add_argument("--chunk", type=int, default=1000)
    p.add_argument("--sample", type=int, default=200,
                   help="specimens for the single look-ups (by slug, by pasted text)")
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
    lists = []
    n = X.shape[0]
    for start in range(0, n, a.chunk):
        S = (X[start:start + a.chunk] @ XT).toarray()
        for r in range(S.shape[0]):
            i = start + r
            S[r, i] = 0.0
            row = S[r]
            idx = np.argpartition(-row, min(k, n - 1))[:k + 1] if n > k + 1 else np.arange(n)
            cands = sorted(((-row[j], slugs[j]) for j in idx if row[j] > 0))[:k]
            lists.append([slugs[i], [[s, -c] for c, s in cands]])
    pairs = time.perf_counter() - t1
    if a.lists:
        with open(a.lists, "w", encoding="utf-8") as out:
            for row in lists:
                out.write(json.dumps(row) + "\n")

    # Single look-ups, as otiose-related answers them: one specimen's top
    # 3 by slug (a row product), and a pasted text's (transform, product).
    picks = [i * n // min(a.sample, n) for i in range(min(a.sample, n))]
    by_slug, by_text = [], []
    index = {slug: i for i, slug in enumerate(slugs)}
    for i in picks:
        t = time.perf_counter()
        row = (X[index[slugs[i]]] @ XT).toarray()[0]
        row[i] = 0.0
        top3(row, slugs)
        by_slug.append((time.perf_counter() - t) * 1000)
        text = pasted_text(records[i])
        t = time.perf_counter()
        row = (v.transform([text]) @ XT).toarray()[0]
        top3(row, slugs)
        by_text.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"specimens": n, "terms": len(v.vocabulary_), "fit_seconds": fit,
                      "all_pairs_seconds": pairs,
                      "related_slug_ms": percentiles(by_slug),
                      "related_text_ms": percentiles(by_text),
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
