#!/usr/bin/python3
"""`import otiose` on one thread and on two: the GIL is released while the
engine works, so two threads on two cores should answer close to twice as
many searches as one.

    PYTHONPATH=build/python bench/python_threads.py INDEX QUERIES [--seconds 5]

QUERIES is one query a line (bench/gen_corpus.py --queries writes one).
Prints searches/s for 1 and 2 threads and the speed-up. A benchmark, not a
test: run by hand.
"""
import argparse
import threading
import time

import otiose


def rate(searcher, queries, threads, seconds):
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def work(k):
        i = k * 7919
        while time.monotonic() < stop:
            searcher.search(queries[i % len(queries)])
            i += 1
            counts[k] += 1

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    t0 = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("index")
    ap.add_argument("queries")
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    queries = [q.strip() for q in open(a.queries, encoding="utf-8") if q.strip()]
    s = otiose.Searcher(a.index)
    for q in queries[:50]:
        s.search(q)
    one = rate(s, queries, 1, a.seconds)
    two = rate(s, queries, 2, a.seconds)
    print(f"| threads | searches/s |\n|---|---|\n| 1 | {one:,.0f} |\n| 2 | {two:,.0f} |\n\n"
          f"two threads: {two / one:.2f}x one")


if __name__ == "__main__":
    main()
