#!/usr/bin/python3
"""Writes similarity/occupations.tsv from the O*NET 27.0 text files.

  gen_occupations.py ONET_DIR > similarity/occupations.tsv

The reference occupations a pasted job ad is also compared with, to tell
an ad that no specimen is (similarity/README.md, "No close specimen"). One
line an occupation, in O*NET-SOC code order: the code, the title, and its
text: the description, every task statement and every alternate and
reported title (de-duplicated without regard to case), joined by " | ".
Reads `Occupation Data.txt`, `Task Statements.txt`, `Alternate Titles.txt`
and `Sample of Reported Titles.txt` (../shared/corpora/onet/ has them; its
SOURCES.md says where they come from). Same input, same bytes.
"""
import csv
import os
import sys
from collections import defaultdict

ATTRIBUTION = """\
# Reference occupations for the pasted-ad matcher (similarity/README.md).
# This file includes information from the O*NET 27.0 Database by the U.S.
# Department of Labor, Employment and Training Administration (USDOL/ETA).
# Used under the CC BY 4.0 license (https://creativecommons.org/licenses/by/4.0/).
# O*NET(R) is a trademark of USDOL/ETA. Otiose Search has modified all or
# some of this information. USDOL/ETA has not approved, endorsed, or tested
# these modifications. Source: https://www.onetcenter.org/database.html
# (O*NET 27.0, August 2022). Written by similarity/gen_occupations.py.
# Columns: O*NET-SOC code, title, text (description | tasks | titles).
"""


def rows(directory, name):
    path = os.path.join(directory, name)
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for n, row in enumerate(reader, start=2):
            if len(row) < 3:
                sys.exit(f"{path}:{n}: expected at least 3 tab-separated columns")
            yield row


def clean(text):
    return " ".join(text.replace("|", " ").split())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    directory = sys.argv[1]
    occupations = {row[0]: (row[1], row[2]) for row in rows(directory, "Occupation Data.txt")}
    tasks = defaultdict(list)
    for row in rows(directory, "Task Statements.txt"):
        tasks[row[0]].append(row[2])
    titles = defaultdict(list)
    for name in ("Sample of Reported Titles.txt", "Alternate Titles.txt"):
        for row in rows(directory, name):
            titles[row[0]].append(row[1])
    out = sys.stdout
    out.write(ATTRIBUTION)
    for code in sorted(occupations):
        title, description = occupations[code]
        seen = {title.lower()}
        names = []
        for t in titles[code]:
            if t.lower() not in seen:
                seen.add(t.lower())
                names.append(t)
        parts = [description] + tasks[code] + names
        out.write(f"{code}\t{clean(title)}\t{' | '.join(clean(p) for p in parts)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
