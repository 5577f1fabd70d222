#!/usr/bin/python3
"""Convert the O*NET 27.0 text files into a real-text specimen corpus.

  onet_corpus.py ONET_DIR OUT.jsonl [--queries OUT_QUERIES.txt] [--seed S]

Reads four tab-separated files from ONET_DIR (header row first, as O*NET ships
them): `Occupation Data.txt`, `Alternate Titles.txt`, `Task Statements.txt`
and `Sample of Reported Titles.txt`. Writes one specimen record (SCHEMA.md) a
line to OUT.jsonl, one per occupation (1,016 for 27.0), in O*NET-SOC code
order, and the attribution notice to OUT.jsonl.ATTRIBUTION.txt. With
--queries, also writes 1,000 distinct search queries drawn from the same data
(one to three words, some as quoted phrases; seeded, so repeatable).
Same input and seed, same bytes. A missing directory or file, or a malformed
row, stops the run with FILE:LINE on stderr and exit status 1.

How O*NET maps onto the record (nothing satirical is added):
  slug        the title, lower-cased ASCII words joined by '-'; a clash gets
              the O*NET-SOC code appended (none do in 27.0)
  title       Occupation Data: Title
  tagline     the first sentence of Occupation Data: Description (the rest
              of the description is not carried)
  aliases     Sample of Reported Titles (those shown in My Next Move first),
              then Alternate Titles: titles O*NET gives this occupation alone
              before those it gives several ("Engineer"), then titles in
              current use (sources 02 incumbents, 10 job postings), then by
              number of sources; de-duplicated case-insensitively, the title
              itself left out, at most 30
  habitat     the SOC 2018 major group of the code's first two digits
              (e.g. 15 -> "Computer and Mathematical Occupations")
  day_log     up to 8 "Core" task statements in O*NET's order (occupations
              with no rated tasks: their unrated tasks), one an hour from
              09:00 to 17:00. The schema requires start and end; the times
              are layout, not data. title = the task's leading clause
              (cut at its first comma, "to", "by", "for", ...), description =
              the task statement
  jd_autopsy  every other task statement (further Core, Supplemental and
              unrated tasks, in O*NET's order) as the illusion, source
              "onetcenter.org". The schema requires a translation; the least
              invented one is O*NET's own verdict on the task: its task type
              (Core / Supplemental / unrated), who rated it and when, e.g.
              "Core task: O*NET rates it critical to the occupation (rated by
              87 incumbents, July 2014)."
  source      (an extra top-level key, which the validator keeps with one
              "unknown top-level field" warning a record) the O*NET-SOC code,
              the dataset, the licence and the attribution notice below
Left out because these files hold nothing for them: org_chart, salary,
flight_risk, metrics, weaponry, survival, burn_ward (each missing optional
section is a lint warning, not an error). related is left to the engine.
Alternate Titles' "Short Title" (acronyms such as "CEO") is not an alias; it
appears inside the full alternate title and feeds only the query sampler.

Attribution (CC BY 4.0):
  This corpus includes information from the O*NET 27.0 Database by the U.S.
  Department of Labor, Employment and Training Administration (USDOL/ETA).
  Used under the CC BY 4.0 license. O*NET® is a trademark of USDOL/ETA.
  Otiose Search has modified all or some of this information. USDOL/ETA has
  not approved, endorsed, or tested these modifications.
  Licence: https://creativecommons.org/licenses/by/4.0/
  Source: https://www.onetcenter.org/database.html (O*NET 27.0, August 2022)
"""
import argparse
import json
import math
import os
import random
import re
import sys
import unicodedata

ATTRIBUTION = (
    "This corpus includes information from the O*NET 27.0 Database by the U.S. Department of "
    "Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 "
    "license. O*NET\u00ae is a trademark of USDOL/ETA. Otiose Search has modified all or some "
    "of this information. USDOL/ETA has not approved, endorsed, or tested these modifications.")
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
DATABASE_URL = "https://www.onetcenter.org/database.html"
DATASET = "O*NET 27.0 Database"
QUOTE_SOURCE = "onetcenter.org"

MAX_ALIASES = 30
DAY_START_HOUR = 9
DAY_SLOTS = 8          # one-hour entries, 09:00 to 17:00
QUERY_COUNT = 1000
DEFAULT_SEED = 20220801  # O*NET 27.0's release month

# Column names each file must start with (the O*NET 27.0 text release).
FILES = {
    "occupations": ("Occupation Data.txt", ["O*NET-SOC Code", "Title", "Description"]),
    "alternates": ("Alternate Titles.txt",
                   ["O*NET-SOC Code", "Alternate Title", "Short Title", "Source(s)"]),
    "tasks": ("Task Statements.txt",
              ["O*NET-SOC Code", "Task ID", "Task", "Task Type", "Incumbents Responding", "Date",
               "Domain Source"]),
    "reported": ("Sample of Reported Titles.txt",
                 ["O*NET-SOC Code", "Reported Job Title", "Shown in My Next Move"]),
}

# SOC 2018 major groups (BLS), which O*NET-SOC 2019 codes begin with.
SOC_MAJOR_GROUPS = {
    "11": "Management Occupations",
    "13": "Business and Financial Operations Occupations",
    "15": "Computer and Mathematical Occupations",
    "17": "Architecture and Engineering Occupations",
    "19": "Life, Physical, and Social Science Occupations",
    "21": "Community and Social Service Occupations",
    "23": "Legal Occupations",
    "25": "Educational Instruction and Library Occupations",
    "27": "Arts, Design, Entertainment, Sports, and Media Occupations",
    "29": "Healthcare Practitioners and Technical Occupations",
    "31": "Healthcare Support Occupations",
    "33": "Protective Service Occupations",
    "35": "Food Preparation and Serving Related Occupations",
    "37": "Building and Grounds Cleaning and Maintenance Occupations",
    "39": "Personal Care and Service Occupations",
    "41": "Sales and Related Occupations",
    "43": "Office and Administrative Support Occupations",
    "45": "Farming, Fishing, and Forestry Occupations",
    "47": "Construction and Extraction Occupations",
    "49": "Installation, Maintenance, and Repair Occupations",
    "51": "Production Occupations",
    "53": "Transportation and Material Moving Occupations",
    "55": "Military Specific Occupations",
}

# Alternate-title sources that show a title in current use: 02 incumbent data
# (O*NET data collection), 10 employer job postings (O*NET data dictionary).
CURRENT_USE_SOURCES = {"02", "10"}
# ... and, for the query sampler, 09: what users typed into DOL web applications.
TYPED_SOURCES = {"02", "09", "10"}

TASK_TYPES = {
    "Core": ("Core task", "O*NET rates it critical to the occupation"),
    "Supplemental": ("Supplemental task",
                     "O*NET rates it less relevant or less important to the occupation"),
    "n/a": ("Unrated task", "O*NET lists it without relevance or importance ratings"),
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

CODE_RE = re.compile(r"^\d{2}-\d{4}\.\d{2}$")
DATE_RE = re.compile(r"^(\d{2})/(\d{4})$")
SOURCES_RE = re.compile(r"^\d{2}(,\d{2})*$")

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each either etc few for from
further had has have having he her here hers him his how i if in into is it its itself may might
more most must no nor not of off on once only or other our out over own per same she should so
some such than that the their them then there these they this those through to too under until
up upon use used uses using very via was we were what when where whether which while who whom
why will with within without would you your such including include includes related various
other others one two three new etc based according""".split())


class InputError(Exception):
    """A missing or malformed input, reported as `path[:line]: message`."""

    def __init__(self, path, message, line=0):
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


# ---------------------------------------------------------------- reading

def read_table(onet_dir, key):
    """Rows of one O*NET file as lists of strings, each with its line number."""
    name, header = FILES[key]
    path = os.path.join(onet_dir, name)
    if not os.path.isfile(path):
        raise InputError(path, "file not found (expected the O*NET 27.0 text release)")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rows = []
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(path, f"expected UTF-8 text, found byte 0x{raw[e.start]:02x} "
                                   f"at column {e.start + 1}", number) from None
        text = text.rstrip("\r")
        fields = text.split("\t")
        if number == 1:
            if fields != header:
                raise InputError(path, f"expected the header {header!r}, found {fields!r}", 1)
            continue
        if not text.strip():
            raise InputError(path, "expected a row, found an empty line", number)
        if len(fields) != len(header):
            raise InputError(path, f"expected {len(header)} tab-separated columns, found "
                                   f"{len(fields)}: {shorten(text)!r}", number)
        fields = [x.strip() for x in fields]
        if not CODE_RE.match(fields[0]):
            raise InputError(path, f"{header[0]}: expected a code like 15-1299.09, found "
                                   f"{shorten(fields[0])!r}", number)
        for column, value in zip(header, fields):
            if not value:
                raise InputError(path, f"{column}: expected a value, found an empty column",
                                 number)
        rows.append((number, fields))
    if not rows:
        raise InputError(path, "expected rows after the header, found none")
    return path, rows


def shorten(text, limit=80):
    return text if len(text) <= limit else text[:limit] + "..."


def load(onet_dir):
    if not os.path.isdir(onet_dir):
        raise InputError(onet_dir, "ONET_DIR not found or not a directory")
    occupations = {}  # code -> dict, in file order
    path, rows = read_table(onet_dir, "occupations")
    for number, (code, title, description) in rows:
        if code in occupations:
            raise InputError(path, f"O*NET-SOC Code: {code} is listed twice (first on line "
                                   f"{occupations[code]['line']})", number)
        if code[:2] not in SOC_MAJOR_GROUPS:
            raise InputError(path, f"O*NET-SOC Code: expected an SOC major group 11..55, found "
                                   f"{code!r}", number)
        occupations[code] = {"line": number, "code": code, "title": title,
                             "description": description, "reported": [], "alternates": [],
                             "tasks": []}

    def owner(path, number, code):
        if code not in occupations:
            raise InputError(path, f"O*NET-SOC Code: {code} is not in "
                                   f"{FILES['occupations'][0]}", number)
        return occupations[code]

    path, rows = read_table(onet_dir, "alternates")
    for number, (code, title, short, sources) in rows:
        if not SOURCES_RE.match(sources):
            raise InputError(path, f"Source(s): expected two-digit codes joined by ',', found "
                                   f"{sources!r}", number)
        owner(path, number, code)["alternates"].append(
            {"title": title, "short": None if short == "n/a" else short,
             "sources": sources.split(",")})

    path, rows = read_table(onet_dir, "reported")
    for number, (code, title, shown) in rows:
        if shown not in ("Y", "N"):
            raise InputError(path, f"Shown in My Next Move: expected Y or N, found {shown!r}",
                             number)
        owner(path, number, code)["reported"].append({"title": title, "shown": shown == "Y"})

    path, rows = read_table(onet_dir, "tasks")
    for number, (code, task_id, task, kind, incumbents, date, domain) in rows:
        if not task_id.isdigit():
            raise InputError(path, f"Task ID: expected a number, found {task_id!r}", number)
        if kind not in TASK_TYPES:
            raise InputError(path, f"Task Type: expected Core, Supplemental or n/a, found "
                                   f"{kind!r}", number)
        if incumbents != "n/a" and not incumbents.isdigit():
            raise InputError(path, f"Incumbents Responding: expected a number or n/a, found "
                                   f"{incumbents!r}", number)
        m = DATE_RE.match(date)
        if not m or not 1 <= int(m.group(1)) <= 12:
            raise InputError(path, f"Date: expected MM/YYYY, found {date!r}", number)
        owner(path, number, code)["tasks"].append(
            {"id": task_id, "text": task, "type": kind,
             "incumbents": None if incumbents == "n/a" else int(incumbents),
             "month": MONTHS[int(m.group(1)) - 1] + " " + m.group(2), "domain": domain})
    return [occupations[code] for code in sorted(occupations)]


# ---------------------------------------------------------------- mapping

def slugify(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def assign_slugs(occupations):
    counts = {}
    for occ in occupations:
        base = slugify(occ["title"]) or "onet"
        counts[base] = counts.get(base, 0) + 1
    for occ in occupations:
        base = slugify(occ["title"]) or "onet"
        occ["slug"] = base if counts[base] == 1 else f"{base}-{slugify(occ['code'])}"
    seen = {}
    for occ in occupations:  # a disambiguated slug could still meet a plain one
        if occ["slug"] in seen:
            raise InputError(FILES["occupations"][0], f"slug {occ['slug']!r} of {occ['code']} "
                             f"clashes with {seen[occ['slug']]}", occ["line"])
        seen[occ["slug"]] = occ["code"]


ABBREVIATION_RE = re.compile(r"(?:^|[\s(])(?:e\.g|i\.e|etc|vs|approx|St|Dr|No|(?:[A-Z]\.)*[A-Z])$")


def first_sentence(text):
    """Text up to the first full stop that ends a sentence (not "e.g." or "U.S.")."""
    for m in re.finditer(r"[.!?](?=\s+[A-Z(\"'])", text):
        if text[m.start()] == "." and ABBREVIATION_RE.search(text[:m.start()]):
            continue
        return text[:m.end()].strip()
    return text.strip()


def clean_title(text):
    return re.sub(r"\s+", " ", text).strip()


def count_title_owners(occupations):
    """How many occupations list each title (lower case) as reported or alternate."""
    owners = {}
    for occ in occupations:
        titles = {clean_title(t).lower() for t in
                  [r["title"] for r in occ["reported"]] + [a["title"] for a in occ["alternates"]]}
        for t in titles:
            owners[t] = owners.get(t, 0) + 1
    return owners


def alias_list(occ, owners):
    """Reported titles (My Next Move's first), then alternate titles: those O*NET gives
    this occupation alone before those it gives several, then titles in current use
    (incumbents, job postings), then by number of sources; file order breaks ties."""
    reported = sorted(occ["reported"], key=lambda r: not r["shown"])
    alternates = sorted(
        occ["alternates"],
        key=lambda a: (owners.get(clean_title(a["title"]).lower(), 0) > 1,
                       not CURRENT_USE_SOURCES.intersection(a["sources"]), -len(a["sources"])))
    seen = {clean_title(occ["title"]).lower()}
    out = []
    for title in [r["title"] for r in reported] + [a["title"] for a in alternates]:
        title = clean_title(title)
        key = title.lower()
        if key in seen:
            continue
        seen.add(key)
        out.append(title)
        if len(out) == MAX_ALIASES:
            break
    return out


# Where a task's leading clause ends, for a day-log title.
CLAUSE_BREAK_RE = re.compile(
    r",|;|:| \(| - | in order to | so that | such as | including | according to | to | by | for "
    r"| using | through | that | which | when | where | as | while ")
TRAILING_WORDS = {"a", "an", "and", "or", "the", "of", "to", "in", "on", "at", "with", "for", "by",
                  "from", "into", "during", "between", "among", "under", "over", "as", "that",
                  "which", "how", "what", "whether", "related", "potential", "proposed"}


def task_title(task, max_words=10):
    """The task's leading clause, e.g. "Inspect, feel, and measure workpieces"."""
    text = task.rstrip(". ")
    for m in CLAUSE_BREAK_RE.finditer(text):
        words = text[:m.start()].split()
        # A comma after one or two words is a list of verbs ("Plan, direct, ..."): go on.
        if len(words) >= (3 if m.group() == "," else 2) and words[-1].lower() not in TRAILING_WORDS:
            text = text[:m.start()]
            break
    words = text.split()[:max_words]
    while len(words) > 2 and words[-1].lower().strip(",") in TRAILING_WORDS:
        words.pop()
    return " ".join(words).rstrip(",;:")


def task_verdict(task):
    kind, meaning = TASK_TYPES[task["type"]]
    domain = task["domain"]
    if domain == "Incumbent" and task["incumbents"] is not None:
        who = f"rated by {task['incumbents']} incumbents"
    elif domain == "Incumbent":
        who = "rated by incumbents"
    elif domain == "Occupational Expert":
        who = "rated by occupational experts"
    elif domain == "Analyst":
        who = "written by O*NET analysts"
    elif domain == "Analyst - Transition":
        who = "classified by O*NET analysts"
    else:
        who = f"source: {domain}"
    return f"{kind}: {meaning} ({who}, {task['month']})."


def day_log_tasks(tasks):
    core = [t for t in tasks if t["type"] == "Core"]
    if not core:
        core = [t for t in tasks if t["type"] == "n/a"]
    return core[:DAY_SLOTS]


def to_record(occ, owners):
    code = occ["code"]
    record = {"slug": occ["slug"], "title": occ["title"],
              "tagline": first_sentence(occ["description"])}
    aliases = alias_list(occ, owners)
    if aliases:
        record["aliases"] = aliases
    record["habitat"] = [SOC_MAJOR_GROUPS[code[:2]]]
    in_log = day_log_tasks(occ["tasks"])
    logged = {t["id"] for t in in_log}
    rest = [t for t in occ["tasks"] if t["id"] not in logged]
    if rest:
        record["jd_autopsy"] = [{"illusion": t["text"], "source": QUOTE_SOURCE,
                                 "translation": task_verdict(t)} for t in rest]
    if in_log:
        record["day_log"] = [
            {"start": f"{DAY_START_HOUR + i:02d}:00", "end": f"{DAY_START_HOUR + i + 1:02d}:00",
             "title": task_title(t["text"]), "description": t["text"]}
            for i, t in enumerate(in_log)]
    record["source"] = {"dataset": DATASET, "onet_soc_code": code, "publisher": "USDOL/ETA",
                        "url": DATABASE_URL, "license": "CC BY 4.0", "license_url": LICENSE_URL,
                        "attribution": ATTRIBUTION}
    return record


# ---------------------------------------------------------------- queries

WORD_RE = re.compile(r"[a-z][a-z0-9'-]*[a-z0-9]|[a-z]")


def query_words(text):
    """Words a person could type: parentheticals dropped, punctuation gone."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[^A-Za-z0-9' -]+", " ", text)
    words = [w.strip("'-") for w in text.split()]
    return [w for w in words if w]


def singular(word):
    lower = word.lower()
    if lower.endswith("ies") and len(lower) > 4:
        return word[:-3] + ("Y" if word.isupper() else "y")
    if re.search(r"(ches|shes|sses|xes)$", lower):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(lower) > 3:
        return word[:-1]
    return word


def weighted(counts, minimum):
    items = sorted((k, v) for k, v in counts.items() if v >= minimum)
    return [k for k, _ in items], [math.sqrt(v) for _, v in items]


def make_queries(occupations, seed, n=QUERY_COUNT):
    rng = random.Random(seed)
    aliases, typed_aliases, shorts, titles = [], [], [], []
    for occ in occupations:
        for t, in_use in ([(r["title"], True) for r in occ["reported"]] +
                          [(a["title"], bool(TYPED_SOURCES.intersection(a["sources"])))
                           for a in occ["alternates"]]):
            words = query_words(t)
            if 1 <= len(words) <= 3:
                aliases.append(words)
                if in_use:
                    typed_aliases.append(words)
        for a in occ["alternates"]:
            words = query_words(a["short"] or "")
            if 1 <= len(words) <= 3:
                shorts.append(words)
        for part in re.split(r",| and | or ", occ["title"]):
            words = query_words(part)
            if 1 <= len(words) <= 3 and words[-1].lower() not in STOP_WORDS:
                titles.append(words)
    unigrams, bigrams = {}, {}
    for occ in occupations:
        for task in occ["tasks"]:
            for clause in re.split(r"[,;:()]", task["text"].lower()):
                words = WORD_RE.findall(clause)
                for i, w in enumerate(words):
                    if w in STOP_WORDS or len(w) < 3:
                        continue
                    unigrams[w] = unigrams.get(w, 0) + 1
                    if i + 1 < len(words):
                        v = words[i + 1]
                        if v not in STOP_WORDS and len(v) >= 3:
                            bigrams[w + " " + v] = bigrams.get(w + " " + v, 0) + 1
    uni_words, uni_weights = weighted(unigrams, 5)
    bi_words, bi_weights = weighted(bigrams, 3)
    phrases = [w for w in aliases if len(w) >= 2] + [w for w in titles if len(w) >= 2]

    def typed(words, as_is_share):
        text = " ".join(words)
        return text if rng.random() < as_is_share else text.lower()

    out, seen = [], set()
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 100 * n:
            raise RuntimeError("could not draw enough distinct queries")
        pick = rng.random()
        if pick < 0.30:                      # a reported or alternate title
            pool = typed_aliases if rng.random() < 0.8 else aliases
            q = typed(rng.choice(pool), 0.25)
        elif pick < 0.35:                    # an acronym or short title: "CFO", "RN"
            q = typed(rng.choice(shorts), 0.5)
        elif pick < 0.50:                    # the occupation title, often singular
            words = list(rng.choice(titles))
            if rng.random() < 0.6:
                words[-1] = singular(words[-1])
            q = typed(words, 0.2)
        elif pick < 0.64:                    # a task word
            q = rng.choices(uni_words, weights=uni_weights)[0]
        elif pick < 0.85:                    # a task phrase, unquoted
            q = rng.choices(bi_words, weights=bi_weights)[0]
        else:                                # a quoted phrase
            if rng.random() < 0.7:
                q = '"' + typed(rng.choice(phrases), 0.1) + '"'
            else:
                q = '"' + rng.choices(bi_words, weights=bi_weights)[0] + '"'
        q = q.strip()
        key = q.lower()
        if not q or key in seen:
            continue
        seen.add(key)
        out.append(q)
    return out


# ---------------------------------------------------------------- main

def write_text(path, text):
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as e:
        raise InputError(path, f"cannot write: {e.strerror}") from None


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="onet_corpus.py",
        description=__doc__.split("\n\n", 1)[0].strip(),
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("onet_dir", metavar="ONET_DIR",
                   help="directory with the O*NET 27.0 text files (e.g. ../shared/corpora/onet)")
    p.add_argument("out", metavar="OUT.jsonl", help="the corpus to write, one record a line")
    p.add_argument("--queries", metavar="OUT_QUERIES.txt",
                   help=f"also write {QUERY_COUNT:,} queries, one a line")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"query sampler seed (default {DEFAULT_SEED})")
    a = p.parse_args(argv)
    try:
        occupations = load(a.onet_dir)
        assign_slugs(occupations)
        owners = count_title_owners(occupations)
        lines = [json.dumps(to_record(occ, owners), ensure_ascii=False) + "\n"
                 for occ in occupations]
        write_text(a.out, "".join(lines))
        write_text(a.out + ".ATTRIBUTION.txt",
                   f"{ATTRIBUTION}\n\nLicense: {LICENSE_URL}\n"
                   f"Source: {DATABASE_URL} ({DATASET}, August 2022 release)\n")
        summary = f"{a.out}: {len(lines)} records"
        if a.queries:
            queries = make_queries(occupations, a.seed)
            write_text(a.queries, "\n".join(queries) + "\n")
            summary += f"; {a.queries}: {len(queries)} queries"
    except InputError as e:
        print(f"onet_corpus.py: error: {e}", file=sys.stderr)
        return 1
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
