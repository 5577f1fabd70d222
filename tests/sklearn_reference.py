#!/usr/bin/python3
"""The independent implementation the similarity tests agree with:
scikit-learn's TfidfVectorizer configured from similarity/tfidf.json.

  sklearn_reference.py model CONFIG CORPUS_DIR [TEXT_FILE...]
      CORPUS_DIR may also be a .jsonl file.
      Prints JSON: slugs (sorted), the full cosine matrix (up to 500
      specimens), each specimen's
      top-K list (ties by slug, never itself, never a zero cosine), and for
      each text file its cosine to every specimen and its top-K list.
  sklearn_reference.py tokens SEED COUNT
      Prints JSON: COUNT random Unicode strings (fixed SEED) and, for each,
      the tokens scikit-learn's analyzer gives (lowercase, no stop words).

Run with Debian's /usr/bin/python3 (python3-sklearn).
"""
import glob
import json
import os
import random
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def load_config(path):
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    stop = c.get("stop_words")
    if isinstance(stop, str):
        with open(os.path.join(os.path.dirname(path), stop), encoding="utf-8") as f:
            stop = [w.strip() for w in f if w.strip() and not w.startswith("#")]
    return c, stop


def values(node, parts):
    """The string values at a path like aliases[] or metrics[].name."""
    if node is None:
        return []
    if not parts:
        return [node] if isinstance(node, str) else []
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head[:-2] if many else head
    child = node.get(key) if isinstance(node, dict) else None
    if child is None:
        return []
    if many:
        out = []
        for item in child:
            out.extend(values(item, rest))
        return out
    return values(child, rest)


def specimen_text(record, fields):
    out = []
    for path in fields:
        out.extend(values(record, path.split(".")))
    return "\n".join(out)


def vectorizer(c, stop):
    return TfidfVectorizer(
        lowercase=c.get("lowercase", True),
        token_pattern=c.get("token_pattern", r"(?u)\b\w\w+\b"),
        stop_words=stop,
        sublinear_tf=c.get("sublinear_tf", False),
        smooth_idf=c.get("smooth_idf", True),
        norm=c.get("norm", "l2"),
        min_df=c.get("min_df", 1),
        max_df=c.get("max_df", 1.0),
    )


def top(row, slugs, k, skip=None):
    cands = [(-row[j], slugs[j]) for j in range(len(slugs)) if j != skip and row[j] > 0]
    cands.sort()
    return [[s, -c] for c, s in cands[:k]]


def model(config_path, corpus, text_files):
    c, stop = load_config(config_path)
    records = []
    if corpus.endswith(".jsonl"):
        with open(corpus, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
    else:
        for path in sorted(glob.glob(os.path.join(corpus, "**", "*.json"), recursive=True)):
            with open(path, encoding="utf-8") as f:
                records.append(json.load(f))
    records.sort(key=lambda r: r["slug"])
    slugs = [r["slug"] for r in records]
    docs = [specimen_text(r, c["fields"]) for r in records]
    v = vectorizer(c, stop)
    X = v.fit_transform(docs)
    S = (X @ X.T).toarray()
    k = c.get("top_k", 10)
    out = {
        "slugs": slugs,
        "vocabulary": len(v.vocabulary_),
        "cosine": S.tolist() if len(slugs) <= 500 else None,
        "top": [top(S[i], slugs, k, skip=i) for i in range(len(slugs))],
        "texts": [],
    }
    for tf in text_files:
        with open(tf, encoding="utf-8") as f:
            q = v.transform([f.read()])
        row = (q @ X.T).toarray()[0]
        out["texts"].append({"file": tf, "cosine": row.tolist(), "top": top(row, slugs, k)})
    json.dump(out, sys.stdout)


def random_text(rng):
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
        " \t\n.,;:!?'\"-()[]/\\@#$%&*+=<>",
        "\u2018\u2019\u201c\u201d\u2014\u2013\u2026\u00a0",
        "\u00e9\u00e8\u00c9\u00fc\u00dc\u00df\u1e9e\u00f1\u00d1\u00e7\u0130\u0131",
        "\u03a3\u03c3\u03c2\u0391\u03b1\u0394",
        "\u0301\u0308\u200d\u00b7\u02b0\u00aa",
        "\u4e2d\u6587\u65e5\u672c\u3042\u30a2\ud55c",
        "\u0661\u0662\u00b2\u00bd\u2160\u2460",
        "\U0001F600\U0001D400\U0001D7CE\U00010400",
    ]
    n = rng.randint(0, 40)
    return "".join(rng.choice(rng.choice(pools)) for _ in range(n))


def tokens(seed, count):
    rng = random.Random(seed)
    analyzer = TfidfVectorizer().build_analyzer()
    texts = [random_text(rng) for _ in range(count)]
    texts += ["\u03a3\u039f\u03a6\u0399\u0391\u03a3 \u039f\u0394\u039f\u03a3\u03a3", "A\u03a3 \u03a3A \u03a3",
              "\u0130stanbul", "STRASSE Stra\u1e9ee", "caf\u00e9 cafe\u0301", "don\u2019t isn't",
              "co-operate re\u2010entry", "x\u00b2 \u00bd 42 \u0661\u0662"]
    json.dump({"texts": texts, "tokens": [analyzer(t) for t in texts]}, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "model":
        model(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "tokens":
        tokens(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(__doc__)
