#!/usr/bin/env python3
"""Which specimen is this? otiose-related --file on real job postings.

Runs the built `otiose-related --file POSTING --top 3 --json` on every posting
of ../shared/corpora/postings/ (154 real ads from a public job board, each
labelled with its role in INDEX.tsv; read its SOURCES.md) against an index of
the bundled catalogue, and reports:

- for the postings whose role is a specimen (`in catalogue` and `to add`
  rows): the share whose specimen is ranked first, and in the top 3;
- for the `off catalogue` rows (no specimen is the role): how many the tool
  flags as matching nothing well (`"confident": false`), and how many of the
  others it flags wrongly;

for the whole set and for two halves: every third posting (by its place in
INDEX.tsv) is held out, the rest is the part tuned on. A figure, not a test:
the corpus is read only when present.

    bench/matching.py [--build build] [--json out.json] [--misses]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
POSTINGS = os.path.join(ROOT, "..", "shared", "corpora", "postings")

TARGETS = {"top1": 0.90, "top3": 0.98, "off_flagged": 10, "others_flagged": 0.05}


def load_index():
    rows = []
    with open(os.path.join(POSTINGS, "INDEX.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            name, role_is, title, _path = line.rstrip("\n").split("\t")
            role = name[len("off-"):] if name.startswith("off-") else name
            role = role.rsplit("-", 1)[0]
            rows.append({"name": name, "role_is": role_is, "title": title, "role": role})
    for i, r in enumerate(rows):
        r["half"] = "held out" if i % 3 == 2 else "tuned"
    return rows


def match(tool, index, path):
    out = subprocess.run([tool, "--index", index, "--file", path, "--top", "3", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def score(rows):
    known = [r for r in rows if r["role_is"] != "off catalogue"]
    off = [r for r in rows if r["role_is"] == "off catalogue"]
    top1 = sum(r["ranked"][:1] == [r["role"]] for r in known)
    top3 = sum(r["role"] in r["ranked"][:3] for r in known)
    return {
        "postings": len(rows),
        "known": len(known),
        "top1": top1,
        "top3": top3,
        "off": len(off),
        "off_flagged": sum(not r["confident"] for r in off),
        "others_flagged": sum(not r["confident"] for r in known),
    }


def pct(a, b):
    return f"{100.0 * a / b:.0f} %" if b else "-"


def table(results):
    lines = ["| postings | with a specimen | first | top 3 | off catalogue flagged | others flagged |",
             "|---|---|---|---|---|---|"]
    for name, s in results.items():
        lines.append(
            f"| {name} ({s['postings']}) | {s['known']} | {s['top1']} ({pct(s['top1'], s['known'])}) "
            f"| {s['top3']} ({pct(s['top3'], s['known'])}) | {s['off_flagged']} of {s['off']} "
            f"| {s['others_flagged']} ({pct(s['others_flagged'], s['known'])}) |")
    return "\n".join(lines)


def targets_line(s):
    met = []
    met.append(("top-1 >= 90 %", s["top1"] >= TARGETS["top1"] * s["known"]))
    met.append(("top-3 >= 98 %", s["top3"] >= TARGETS["top3"] * s["known"]))
    met.append((">= 10 of 13 off-catalogue flagged", s["off_flagged"] >= TARGETS["off_flagged"]))
    met.append(("<= 5 % of the others flagged",
                s["others_flagged"] <= TARGETS["others_flagged"] * s["known"]))
    return "; ".join(f"{name}: {'met' if ok else 'NOT MET'}" for name, ok in met)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build directory")
    parser.add_argument("--json", help="also write the figures as JSON here")
    parser.add_argument("--misses", action="store_true", help="list every miss on stderr")
    args = parser.parse_args()
    if not os.path.isdir(POSTINGS):
        print(f"matching: skipped: no postings at {os.path.normpath(POSTINGS)}", file=sys.stderr)
        return 0
    rows = load_index()
    with tempfile.TemporaryDirectory(prefix="otiose-matching-") as work:
        index = os.path.join(work, "index")
        subprocess.run([os.path.join(args.build, "otiose-index"), os.path.join(ROOT, "data"),
                        "--index", index, "--quiet"], check=True, capture_output=True)
        tool = os.path.join(args.build, "otiose-related")
        for r in rows:
            j = match(tool, index, os.path.join(POSTINGS, r["name"] + ".txt"))
            r["ranked"] = [x["slug"] for x in j["related"]]
            r["match"] = j["related"][0]["match"] if j["related"] else 0
            r["confident"] = j.get("confident", True)
    results = {
        "all": score(rows),
        "tuned": score([r for r in rows if r["half"] == "tuned"]),
        "held out": score([r for r in rows if r["half"] == "held out"]),
        "in catalogue": score([r for r in rows if r["role_is"] == "in catalogue"]),
        "to add": score([r for r in rows if r["role_is"] == "to add"]),
    }
    print(table(results))
    print()
    print("Targets (all postings): " + targets_line(results["all"]))
    if args.misses:
        for r in rows:
            known = r["role_is"] != "off catalogue"
            wrong = (known and r["ranked"][:1] != [r["role"]]) or (known and not r["confident"]) or (
                not known and r["confident"])
            if wrong:
                print(f"{r['name']:40} {r['half']:9} {'' if r['confident'] else 'flagged '}"
                      f"{r['match']:3}%  {' '.join(r['ranked'])}", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"results": results, "postings": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
