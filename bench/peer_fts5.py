#!/usr/bin/python3
"""SQLite FTS5 peer: index build time and in-process query latency over the
same documents the engine indexes (and peer_xapian.py indexes).

  peer_fts5.py CORPUS.jsonl QUERIES.txt --db FILE [--repeat R]

Documents, as the engine makes them (see quotes() in indexer/record.cpp):
one role document per record, whose text is every text field of the record
(title, tagline, aliases, habitat, org_chart.summary, salary.note,
salary.quote, flight_risk.diagnosis, metrics and weaponry names and
descriptions, survival advice, jd_autopsy illusions and translations, day_log
titles and descriptions, burn_ward texts; absent ones skipped), then one quote
document per quote: each burn_ward text (complaint), each jd_autopsy illusion
(illusion), each translation (translation), salary.quote (salary) and
flight_risk.diagnosis (diagnosis). The code that makes them is a copy of
peer_xapian.py's (from fail() to documents()); keep the two identical.

Build: a new database file (removed first when it is an SQLite database or
empty), one table
  CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, slug UNINDEXED,
      kind UNINDEXED, body, tokenize='porter unicode61')
(id is <slug> or <slug>#<kind>-<n>; id, slug and kind are a hit's payload),
every document inserted in one transaction, then COMMIT. The build time is
wall time from opening the database to after the commit; reading the JSONL
is not timed.

Queries: each line becomes FTS5 syntax before timing: a double-quoted phrase
stays a phrase ("a b"), every bare word becomes a quoted token, and the parts
are ANDed by juxtaposition (lead invoice -> "lead" "invoice"); double quotes
inside a part are doubled. Operators (AND, OR, NOT, +, -) are not
translated: they are searched as words. A query's latency is executing
  SELECT id, slug, kind, snippet(docs, 3, '<b>', '</b>', '…', 16)
  FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10
(rank is bm25) on a read-only connection and fetching every row. One
untimed warm-up pass over all queries, then R timed passes; percentiles are
over all timed samples. Queries that raise an SQLite error are counted as
"errors" and left out of the samples.

Prints one JSON line on stdout.
"""
import argparse
import json
import os
import re
import resource
import sqlite3
import time

from bench_docs import documents, fail, positive_int, read_queries
from bench_stats import percentiles

PROG = "peer_fts5.py"
HITS = 10
SCHEMA = ("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, slug UNINDEXED, kind UNINDEXED, "
          "body, tokenize='porter unicode61')")
SEARCH = ("SELECT id, slug, kind, snippet(docs, 3, '<b>', '</b>', '\u2026', 16) "
          "FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?")
SQLITE_HEADER = b"SQLite format 3\0"
# A quoted phrase (an unclosed quote runs to the end of the line) or a bare word.
QUERY_PART = re.compile(r'"([^"]*)(?:"|$)|([^\s"]+)')


def fts5_query(line):
    """The query line in FTS5 syntax: phrases stay phrases, bare words become
    quoted tokens, all ANDed."""
    parts = []
    for m in QUERY_PART.finditer(line):
        text = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        if text:
            parts.append('"' + text.replace('"', '""') + '"')
    # An empty phrase matches nothing, as an empty query does in Xapian.
    return " ".join(parts) or '""'


def clear_database_file(path):
    """Removes an earlier database at path (and its journals); refuses
    anything else."""
    if not os.path.lexists(path):
        return
    if os.path.islink(path) or not os.path.isfile(path):
        fail(f"--db {path} exists and is not a regular file; not removing it")
    with open(path, "rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        fail(f"--db {path} is not an SQLite database; not removing it")
    for name in (path, path + "-journal", path + "-wal", path + "-shm"):
        if os.path.lexists(name):
            os.remove(name)


def build(db_path, docs):
    """Indexes docs into a new database file; returns wall seconds from
    opening the database to after the commit."""
    clear_database_file(db_path)
    rows = [(doc_id, slug, kind, body) for doc_id, slug, kind, body, _ in docs]
    start = time.perf_counter()
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute(SCHEMA)
    con.execute("BEGIN")
    con.executemany("INSERT INTO docs(id, slug, kind, body) VALUES (?, ?, ?, ?)", rows)
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def query_latency(db_path, queries, repeat):
    """Per-query milliseconds over `repeat` timed passes (after one warm-up
    pass) and the number of queries that raised an error."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    matches = [fts5_query(q) for q in queries]
    failed = set()
    samples = []
    for timed in [False] + [True] * repeat:
        for i, match in enumerate(matches):
            start = time.perf_counter()
            try:
                con.execute(SEARCH, (match, HITS)).fetchall()
            except sqlite3.Error:
                failed.add(i)
                continue
            elapsed = (time.perf_counter() - start) * 1000.0
            if timed:
                samples.append(elapsed)
    con.close()
    return samples, len(failed)


def main():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="SQLite FTS5 peer: time building an FTS5 table of the corpus's role and "
                    "quote documents (as the engine makes them), then measure per-query "
                    "latency (top-10 by bm25 with a snippet, all rows fetched) and print one "
                    "JSON line.")
    parser.add_argument("corpus", metavar="CORPUS.jsonl", help="specimen records, one a line")
    parser.add_argument("queries", metavar="QUERIES.txt", help="queries, one a line")
    parser.add_argument("--db", required=True, metavar="FILE",
                        help="database file to build (an earlier database there is removed)")
    parser.add_argument("--repeat", type=positive_int, default=3, metavar="R",
                        help="timed passes over the queries after one warm-up pass (default 3)")
    args = parser.parse_args()

    docs, specimens = documents(args.corpus)
    queries = read_queries(args.queries)
    try:
        build_seconds = build(args.db, docs)
        samples, errors = query_latency(args.db, queries, args.repeat)
    except sqlite3.Error as e:
        fail(f"SQLite error on {args.db}: {e}")
    if not samples:
        fail("every query raised an error")
    print(json.dumps({
        "peer": "sqlite-fts5",
        "documents": len(docs),
        "build_seconds": round(build_seconds, 6),
        "documents_per_second": round(len(docs) / build_seconds, 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "index_bytes": os.path.getsize(args.db),
        "queries": len(queries),
        "query_ms": percentiles(samples),
        "sqlite_version": sqlite3.sqlite_version,
        "specimens": specimens,
        "repeat": args.repeat,
        "errors": errors,
    }), flush=True)


if __name__ == "__main__":
    main()
