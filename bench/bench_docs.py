"""What the peer benchmarks index: the engine's documents, rebuilt from the
corpus in Python so that every peer indexes exactly the same thing.

For each record, one role document (every text field, in a fixed order) and
one document per quote, in the order of quotes() in indexer/record.cpp.
Shared by peer_xapian.py and peer_fts5.py; importing it loads neither Xapian
nor SQLite, so a peer's peak memory is its own.
"""

import argparse
import json
import os
import sys


def fail(message):
    """Prints an error on stderr and exits with status 1."""
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(1)


def read_lines(path, what):
    """The non-blank lines of a UTF-8 text file, stripped; exits on error."""
    try:
        with open(path, encoding="utf-8") as f:
            return [(n, line.strip()) for n, line in enumerate(f, 1) if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read {what} {path}: {e}")


def role_texts(record):
    """Every text field of the record, in a fixed order, absent ones skipped."""
    texts = [record.get("title"), record.get("tagline")]
    texts += record.get("aliases") or []
    texts += record.get("habitat") or []
    for section, key in (("org_chart", "summary"), ("salary", "note"), ("salary", "quote"),
                         ("flight_risk", "diagnosis")):
        texts.append((record.get(section) or {}).get(key))
    for section, keys in (("metrics", ("name", "description")),
                          ("weaponry", ("name", "description")),
                          ("survival", ("advice",)),
                          ("jd_autopsy", ("illusion", "translation")),
                          ("day_log", ("title", "description")),
                          ("burn_ward", ("text",))):
        for item in record.get(section) or []:
            texts += [item.get(key) for key in keys]
    return [t for t in texts if t is not None]


def quotes(record):
    """(kind, n, text) of each quote, in the order of quotes() in
    indexer/record.cpp."""
    out = [("complaint", n, c["text"]) for n, c in enumerate(record.get("burn_ward") or [], 1)]
    autopsy = record.get("jd_autopsy") or []
    out += [("illusion", n, p["illusion"]) for n, p in enumerate(autopsy, 1)]
    out += [("translation", n, p["translation"]) for n, p in enumerate(autopsy, 1)]
    if (record.get("salary") or {}).get("quote") is not None:
        out.append(("salary", 1, record["salary"]["quote"]))
    if (record.get("flight_risk") or {}).get("diagnosis") is not None:
        out.append(("diagnosis", 1, record["flight_risk"]["diagnosis"]))
    return out


def payload(doc_id, slug, kind, text):
    """The document data a hit is displayed from."""
    return json.dumps({"id": doc_id, "slug": slug, "kind": kind, "text": text},
                      ensure_ascii=False, separators=(",", ":"))


def documents(corpus_path):
    """(id, slug, kind, body, data) of every document of the corpus: each
    record's role, then its quotes, in file order. Exits on a bad record."""
    docs, specimens = [], 0
    for n, line in read_lines(corpus_path, "corpus"):
        try:
            record = json.loads(line)
            slug = record["slug"]
            docs.append((slug, slug, "role", "\n".join(role_texts(record)),
                         payload(slug, slug, "role", record["title"])))
            for kind, k, text in quotes(record):
                doc_id = f"{slug}#{kind}-{k}"
                docs.append((doc_id, slug, kind, text, payload(doc_id, slug, kind, text)))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            fail(f"{corpus_path}:{n}: not a specimen record ({type(e).__name__}: {e})")
        specimens += 1
    if not specimens:
        fail(f"{corpus_path}: no records")
    return docs, specimens


def read_queries(path):
    """The non-blank query lines of path; exits when there are none."""
    queries = [q for _, q in read_lines(path, "queries")]
    if not queries:
        fail(f"{path}: no queries")
    return queries


def positive_int(text):
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
