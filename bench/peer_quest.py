#!/usr/bin/python3
"""quest peer: the per-process latency of a one-shot search with Xapian's own
command-line tool (quest, from xapian-tools), i.e. process start, opening the
database, parsing, the top-K MSet and printing it, as a shell user would pay.

  peer_quest.py DB_DIR QUERIES.txt [--limit K] [--sample S] [--quest PATH]

DB_DIR is a database built by peer_xapian.py (the engine's role and quote
documents). For each of the first S queries (one untimed warm-up run first)
this runs, without a shell,
  quest -d DB_DIR -m K -s english -o and -f default,phrase,boolean,lovehate -- QUERY
with stdout to /dev/null, and times spawn to exit with time.perf_counter.
The options give the parser peer_xapian.py uses: English stemming (quest
always uses STEM_SOME), default operator AND (quest spells operators in
lower case) and the same flags (-f replaces quest's default flags, which add
spelling correction). One difference cannot be switched off: quest always
uses a built-in English stopword list, so a stopword in a query is dropped.
A run that exits non-zero (quest exits 1 on a query it cannot parse) is
counted in "errors" and left out of the samples.

Prints one JSON line on stdout.
"""
import argparse
import json
import os
import subprocess
import time

from bench_docs import fail, positive_int
from bench_stats import percentiles

PROG = "peer_quest.py"
DEFAULT_QUEST = "/usr/bin/quest"
FLAGS = "default,phrase,boolean,lovehate"


def quest_command(quest, db, query, limit=10):
    """The quest command line for one query, with the parser flags above."""
    return [quest, "-d", db, "-m", str(limit), "-s", "english", "-o", "and", "-f", FLAGS, "--",
            query]


def read_queries(path, sample):
    """The first `sample` non-blank lines of the queries file, stripped."""
    queries = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    queries.append(line.strip())
                    if len(queries) == sample:
                        break
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read queries {path}: {e}")
    if not queries:
        fail(f"{path}: no queries")
    return queries


def main():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="quest peer: measure the wall time of one quest process per query (spawn "
                    "to exit: start-up, opening the database, parsing, top-K search, output) "
                    "and print one JSON line.")
    parser.add_argument("db", metavar="DB_DIR", help="Xapian database (e.g. from peer_xapian.py)")
    parser.add_argument("queries", metavar="QUERIES.txt", help="queries, one a line")
    parser.add_argument("--limit", type=positive_int, default=10, metavar="K",
                        help="matches per query, quest's -m (default 10)")
    parser.add_argument("--sample", type=positive_int, default=200, metavar="S",
                        help="time the first S queries (default 200)")
    parser.add_argument("--quest", default=DEFAULT_QUEST, metavar="PATH",
                        help=f"the quest binary (default {DEFAULT_QUEST})")
    args = parser.parse_args()

    if not (os.path.isfile(args.quest) and os.access(args.quest, os.X_OK)):
        fail(f"quest not found at {args.quest}: install xapian-tools "
             "(apt-get install xapian-tools) or pass --quest PATH")
    if not os.path.isdir(args.db):
        fail(f"database directory {args.db} does not exist")
    queries = read_queries(args.queries, args.sample)

    def command(query):
        return quest_command(args.quest, args.db, query, args.limit)

    # Warm-up, and a clear message when quest cannot search this database.
    warm = subprocess.run(command(queries[0]), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
    if warm.returncode != 0:
        output = warm.stdout.decode("utf-8", "replace").strip()
        fail(f"quest failed (exit {warm.returncode}) on {queries[0]!r}: {output}")

    samples = []
    errors = 0
    for query in queries:
        start = time.perf_counter()
        status = subprocess.call(command(query), stdout=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL)
        elapsed = (time.perf_counter() - start) * 1000.0
        if status == 0:
            samples.append(elapsed)
        else:
            errors += 1
    if not samples:
        fail("every quest run failed")
    print(json.dumps({
        "peer": "quest",
        "processes": len(queries),
        "process_ms": percentiles(samples),
        "limit": args.limit,
        "errors": errors,
    }), flush=True)


if __name__ == "__main__":
    main()
