#!/usr/bin/python3
"""Compares two top-K list files ([slug, [[slug, cosine], ...]] per line):
the engine's and a peer's. Prints JSON: specimens, max cosine difference,
lists that differ (beyond swaps of cosines equal to 1e-12), agree (bool).

  compare_lists.py MINE.jsonl THEIRS.jsonl
"""
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return {row[0]: row[1] for row in map(json.loads, f)}


def main():
    mine, theirs = load(sys.argv[1]), load(sys.argv[2])
    worst, differ = 0.0, 0
    for slug, a in theirs.items():
        b = mine.get(slug)
        if b is None or len(a) != len(b):
            differ += 1
            continue
        bad = False
        for (sa, ca), (sb, cb) in zip(a, b):
            worst = max(worst, abs(ca - cb))
            if sa != sb and abs(ca - cb) >= 1e-12:
                bad = True
        differ += bad
    out = {"specimens": len(theirs), "max_cosine_difference": worst, "lists_differ": differ,
           "agree": differ == 0 and worst <= 1e-6 and len(mine) == len(theirs)}
    print(json.dumps(out))
    return 0 if out["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
