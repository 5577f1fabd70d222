#!/usr/bin/python3
"""Xapian peer through its Python bindings: index build time and in-process
query latency over the same documents the engine indexes.

  peer_xapian.py CORPUS.jsonl QUERIES.txt --db DIR [--repeat R]

Documents, as the engine makes them (see quotes() in indexer/record.cpp):
one role document per record, whose text is every text field of the record
(title, tagline, aliases, habitat, org_chart.summary, salary.note,
salary.quote, flight_risk.diagnosis, metrics and weaponry names and
descriptions, survival advice, jd_autopsy illusions and translations, day_log
titles and descriptions, burn_ward texts; absent ones skipped), then one quote
document per quote: each burn_ward text (complaint), each jd_autopsy illusion
(illusion), each translation (translation), salary.quote (salary) and
flight_risk.diagnosis (diagnosis). Each document has a unique boolean id term
(Q<slug> or Q<slug>#<kind>-<n>) and a small JSON payload (id, slug, kind,
text: the title for a role, the quote for a quote). peer_fts5.py indexes the
same documents; keep documents() in step with it.

Build: a new database at DIR (removed first when it is a Xapian database or
an empty directory), TermGenerator with Stem("english") and STEM_SOME,
index_text with positions, add_document, one commit() at the end. Xapian's
own auto-flush still applies (every XAPIAN_FLUSH_THRESHOLD changes, 10,000 by
default; reported as xapian_flush_threshold). The build time is wall time
from opening the database to after the commit; reading the JSONL is not
timed.

Queries: a fresh Database, QueryParser with Stem("english"), STEM_SOME,
default op AND and FLAG_DEFAULT|FLAG_PHRASE|FLAG_BOOLEAN|FLAG_LOVEHATE. A
query's latency is parse + Enquire.get_mset(0, 10) + reading every hit's
document data. One untimed warm-up pass over all queries, then R timed passes;
percentiles are over all timed samples.

Prints one JSON line on stdout.
"""
import argparse
import json
import os
import resource
import shutil
import time

import xapian

from bench_docs import documents, fail, positive_int, read_queries
from bench_stats import percentiles

PROG = "peer_xapian.py"
HITS = 10
DEFAULT_FLUSH_THRESHOLD = 10000  # Xapian 1.4's default for XAPIAN_FLUSH_THRESHOLD
# A file every Xapian database directory holds; only such a directory (or an
# empty one) is removed before the build.
XAPIAN_MARKERS = ("iamglass", "iamchert", "iamhoney", "flintlock")


def clear_database_dir(path):
    """Removes an earlier database at path; refuses anything else."""
    if not os.path.lexists(path):
        return
    if os.path.islink(path) or not os.path.isdir(path):
        fail(f"--db {path} exists and is not a directory; not removing it")
    entries = os.listdir(path)
    if entries and not any(m in entries for m in XAPIAN_MARKERS):
        fail(f"--db {path} is a non-empty directory but not a Xapian database; not removing it")
    shutil.rmtree(path)


def build(db_dir, docs):
    """Indexes docs into a new database at db_dir; returns wall seconds from
    opening the database to after the commit."""
    clear_database_dir(db_dir)
    start = time.perf_counter()
    db = xapian.WritableDatabase(db_dir, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("english"))
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
    for doc_id, _, _, body, data in docs:
        doc = xapian.Document()
        tg.set_document(doc)
        tg.index_text(body)
        doc.add_boolean_term("Q" + doc_id)
        doc.set_data(data)
        db.add_document(doc)
    db.commit()
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def query_latency(db_dir, queries, repeat):
    """Per-query milliseconds over `repeat` timed passes (after one warm-up
    pass) and the number of queries the parser rejected."""
    db = xapian.Database(db_dir)
    qp = xapian.QueryParser()
    qp.set_stemmer(xapian.Stem("english"))
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    qp.set_default_op(xapian.Query.OP_AND)
    qp.set_database(db)
    flags = (xapian.QueryParser.FLAG_DEFAULT | xapian.QueryParser.FLAG_PHRASE
             | xapian.QueryParser.FLAG_BOOLEAN | xapian.QueryParser.FLAG_LOVEHATE)

    def run(text):
        enquire = xapian.Enquire(db)
        enquire.set_query(qp.parse_query(text, flags))
        for hit in enquire.get_mset(0, HITS):
            hit.document.get_data()

    failed = set()
    samples = []
    for timed in [False] + [True] * repeat:
        for i, text in enumerate(queries):
            start = time.perf_counter()
            try:
                run(text)
            except xapian.QueryParserError:
                failed.add(i)
                continue
            elapsed = (time.perf_counter() - start) * 1000.0
            if timed:
                samples.append(elapsed)
    db.close()
    return samples, len(failed)


def flush_threshold():
    """The auto-flush threshold Xapian reads from the environment."""
    value = os.environ.get("XAPIAN_FLUSH_THRESHOLD", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_FLUSH_THRESHOLD


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def main():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Xapian peer (Python bindings): time building a Xapian database of the "
                    "corpus's role and quote documents (as the engine makes them), then measure "
                    "per-query latency (parse + top-10 MSet + reading each hit's data) and print "
                    "one JSON line.")
    parser.add_argument("corpus", metavar="CORPUS.jsonl", help="specimen records, one a line")
    parser.add_argument("queries", metavar="QUERIES.txt", help="queries, one a line")
    parser.add_argument("--db", required=True, metavar="DIR",
                        help="database directory to build (an earlier database there is removed)")
    parser.add_argument("--repeat", type=positive_int, default=3, metavar="R",
                        help="timed passes over the queries after one warm-up pass (default 3)")
    args = parser.parse_args()

    docs, specimens = documents(args.corpus)
    queries = read_queries(args.queries)
    try:
        build_seconds = build(args.db, docs)
        samples, errors = query_latency(args.db, queries, args.repeat)
    except xapian.Error as e:
        fail(f"Xapian error: {e}")
    if not samples:
        fail("every query failed to parse")
    print(json.dumps({
        "peer": "xapian-python",
        "documents": len(docs),
        "build_seconds": round(build_seconds, 6),
        "documents_per_second": round(len(docs) / build_seconds, 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "index_bytes": directory_bytes(args.db),
        "queries": len(queries),
        "query_ms": percentiles(samples),
        "xapian_version": xapian.version_string(),
        "specimens": specimens,
        "repeat": args.repeat,
        "errors": errors,
        "xapian_flush_threshold": flush_threshold(),
    }), flush=True)


if __name__ == "__main__":
    main()
