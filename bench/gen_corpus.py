#!/usr/bin/python3
"""Deterministic synthetic specimen corpus for benchmarks.

  gen_corpus.py N OUT.jsonl [--queries QUERIES.txt] [--seed S]

Writes N records (JSON Lines, SCHEMA.md, every section filled, about 700
words each) and, with --queries, 1,000 realistic queries (one to three words,
some quoted phrases) drawn from the same vocabulary. The vocabulary is a
Zipf-distributed invented lexicon (exponent 1.07, 60,000 words) mixed with
corporate jargon, so posting lists and the TF-IDF matrix have the shape of
real text: a few very common words, a long tail of rare ones.
Same N and seed, same bytes.
"""
import argparse
import itertools
import json
import random

JARGON = """synergy stakeholder alignment roadmap deliverable bandwidth leverage pipeline velocity sprint
backlog dashboard escalation offsite workshop cadence kpi okr vendor budget forecast audit customer platform
cloud migration governance framework playbook review meeting strategy strategic oversight transformation
agile scrum retrospective standup epic story ticket incident postmortem onboarding churn retention revenue
quota prospect lead funnel conversion campaign brand content engagement analytics insight data model
experiment hypothesis compliance risk control policy procedure training enablement coaching mentoring
feedback performance calibration headcount hiring recruiting sourcing candidate interview offer culture
values mission vision initiative program project milestone dependency blocker risk issue status report
deck slide spreadsheet template process optimization efficiency automation integration api release
deployment pipeline infrastructure reliability availability latency observability monitoring alerting
on-call budget procurement contract negotiation supplier invoice spend savings portfolio architecture
capability blueprint standard principle committee board approval sign-off escalation alignment""".split()

SECTIONS_HABITAT = ["Large legacy corporations", "Mid-sized B2B SaaS companies", "Consulting firms",
                    "Government agencies", "Venture-backed startups", "Global banks"]


def lexicon(rng, size):
    onsets = ["", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
              "br", "cr", "dr", "gr", "pl", "pr", "st", "tr", "sh", "ch", "th"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"]
    codas = ["", "n", "r", "s", "t", "l", "m", "nd", "st", "x"]
    words, seen = [], set()
    while len(words) < size:
        w = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                    for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if len(w) >= 3 and w not in seen:
            seen.add(w)
            words.append(w)
    return words


class Words:
    def __init__(self, rng, size=60000, exponent=1.07, jargon_share=0.15):
        self.rng = rng
        self.words = lexicon(rng, size)
        weights = [1.0 / (rank ** exponent) for rank in range(1, size + 1)]
        self.cum = list(itertools.accumulate(weights))
        self.jargon_share = jargon_share

    def take(self, n):
        rng = self.rng
        picked = rng.choices(self.words, cum_weights=self.cum, k=n)
        for i in range(n):
            if rng.random() < self.jargon_share:
                picked[i] = rng.choice(JARGON)
        return picked

    def sentence(self, n):
        w = self.take(n)
        return " ".join(w).capitalize() + "."

    def title(self, n=3):
        return " ".join(x.capitalize() for x in self.take(n))


def record(i, words, rng):
    slug = f"specimen-{i:06d}"
    title = words.title(3)
    low = rng.randrange(40000, 120000)
    high = low + rng.randrange(10000, 120000)
    avg = rng.randrange(low + 1, high)
    percent = rng.randrange(0, 101)
    label = "LOW RISK" if percent < 30 else "MODERATE RISK" if percent < 60 else "HIGH RISK" if percent < 85 else "CRITICAL RISK"
    return {
        "slug": slug,
        "title": title,
        "tagline": words.sentence(18),
        "aliases": [words.title(rng.choice((2, 3, 4))) for _ in range(4)],
        "habitat": [rng.choice(SECTIONS_HABITAT) + " " + " ".join(words.take(6)) for _ in range(3)],
        "salary": {"average": avg, "low": low, "high": high, "currency": "USD",
                   "note": f"Reported average is ${avg:,}, with a typical range between ${low:,} and ${high:,} annually.",
                   "quote": words.sentence(22)},
        "flight_risk": {"percent": percent, "label": label, "diagnosis": words.sentence(26)},
        "metrics": [{"name": words.title(3), "description": words.sentence(30)} for _ in range(3)],
        "weaponry": [{"name": words.title(3), "description": words.sentence(30)} for _ in range(3)],
        "survival": [{"when": "IF ENGAGED", "advice": words.sentence(30)}],
        "jd_autopsy": [{"illusion": words.sentence(28), "source": None, "translation": words.sentence(32)}
                       for _ in range(3)],
        "day_log": [{"start": f"{h:02d}:00", "end": f"{h + 1:02d}:00", "title": words.title(4),
                     "description": words.sentence(30)} for h in (9, 11, 15)],
        "burn_ward": [{"text": words.sentence(28), "source": rng.choice(["teamblind.com", "r/cscareerquestions", None])}
                      for _ in range(3)],
    }


def queries(words, rng, n=1000):
    out = []
    for i in range(n):
        k = rng.choice((1, 1, 2, 2, 2, 3))
        # Queries lean on the middle of the distribution: words people search for.
        terms = [rng.choice(words.words[20:4000]) if rng.random() < 0.7 else rng.choice(JARGON) for _ in range(k)]
        q = " ".join(terms)
        if k >= 2 and i % 5 == 0:
            q = '"' + q + '"'
        out.append(q)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--queries")
    p.add_argument("--seed", type=int, default=20261122)
    a = p.parse_args()
    rng = random.Random(a.seed)
    words = Words(rng)
    with open(a.out, "w", encoding="utf-8") as f:
        for i in range(a.n):
            f.write(json.dumps(record(i, words, rng), ensure_ascii=False) + "\n")
    if a.queries:
        qrng = random.Random(a.seed + 1)
        with open(a.queries, "w", encoding="utf-8") as f:
            f.write("\n".join(queries(words, qrng)) + "\n")


if __name__ == "__main__":
    main()
