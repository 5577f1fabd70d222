#!/usr/bin/python3
"""The benchmark runner: measures the engine at N = 1,000 and 10,000
specimens (and 100,000 with --100k) beside its peers, on the same corpus and
queries, and writes a Markdown report, a JSON file with every figure and a PNG
plot.

Each figure is the median of --repeat runs, with the min and max. Peers:
scikit-learn (similarity), Xapian's Python bindings and SQLite FTS5 (build and
query), Xapian's `quest` (per-process query). With ../shared/corpora/onet
present, the O*NET occupations are measured too, as a real-text corpus.

Run it through scripts/bench, which installs what it needs and builds the
Release binaries first. Targets are goals checked here, never in ctest.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench_stats import percentiles
from peer_quest import DEFAULT_QUEST, quest_command

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"  # Debian's, which sees python3-sklearn and python3-xapian
ONET = os.path.join(ROOT, "..", "shared", "corpora", "onet")

# The targets of issue 7, checked on the 10,000-specimen corpus.
TARGET_N = 10000


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fail(message):
    print(f"bench/run.py: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd, check=True):
    """Runs cmd to completion and returns its standard output."""
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if check and proc.returncode != 0:
        fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    return proc.stdout


def run_measured(cmd, env=None):
    """Runs cmd, returning (stdout, wall seconds, this child's peak RSS)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                 f"{err.read().decode(errors='replace')[-4000:]}")
        return out.read().decode(), wall, usage.ru_maxrss * 1024


def json_line(text):
    return json.loads(text.strip().splitlines()[-1])


def interleaved(series):
    """Per-process figures of several series of commands measured together:
    `series` maps a name to its commands, and each round runs the next
    command of every series (a shorter series starts again), every round
    starting one series further on. So each series is timed over the same
    minutes as the others, and after each of them equally often: on a
    shared host the speed of process start drifts by tens of per cent from
    one minute to the next, and series timed one after the other compared
    the minutes as much as the tools. One untimed warm-up of each first. A
    run that exits non-zero is counted in "failures" and left out of the
    samples (quest exits 1 on a query it cannot parse)."""
    names = list(series)
    os.sync()  # no write-back of what ran before (a peer's database) under the timings
    for name in names:
        subprocess.run(series[name][0], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL)
    samples = {name: [] for name in names}
    failures = dict.fromkeys(names, 0)
    rounds = max(len(cmds) for cmds in series.values())
    for r in range(rounds):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            cmd = series[name][r % len(series[name])]
            start = time.perf_counter()
            rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL).returncode
            elapsed = (time.perf_counter() - start) * 1000
            if rc == 0:
                samples[name].append(elapsed)
            else:
                failures[name] += 1
    for name in names:
        if not samples[name]:
            fail(f"every {name} process failed, e.g. {' '.join(series[name][0])}")
    return {name: {"process_ms": percentiles(samples[name]), "processes": rounds,
                   "failures": failures[name]} for name in names}


def per_process(cmds):
    """Per-process figures of one series of commands (interleaved's)."""
    return interleaved({"": cmds})[""]


def directory_bytes(path):
    total = 0
    for root, _, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total


def summarise(runs):
    """The runs' figures, each leaf number as {median, min, max}."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: summarise([r[k] for r in runs if k in r]) for k in first}
    if isinstance(first, bool) or not isinstance(first, (int, float)):
        return first
    return {"median": statistics.median(runs), "min": min(runs), "max": max(runs)}


def med(figure):
    """The median of a summarised figure (or the plain value); counts stay
    whole numbers."""
    if isinstance(figure, dict) and "median" in figure:
        figure = figure["median"]
    if isinstance(figure, float) and figure.is_integer():
        return int(figure)
    return figure


def machine(build_dir):
    cache = open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8").read()

    def cached(key):
        m = re.search(rf"^{key}:[A-Z]+=(.*)$", cache, re.M)
        return m.group(1) if m else ""

    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kb = int(f.readline().split()[1])
    compiler = cached("CMAKE_CXX_COMPILER")
    version = subprocess.run([compiler, "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0] if compiler else ""
    xapian = subprocess.run(["xapian-config", "--version"], capture_output=True,
                            text=True).stdout.strip()
    return {"build_type": cached("CMAKE_BUILD_TYPE"), "cores": os.cpu_count(), "cpu": cpu,
            "memory_gib": round(mem_kb / 1024 / 1024, 1), "kernel": platform.release(),
            "os": platform.freedesktop_os_release().get("PRETTY_NAME", "")
            if hasattr(platform, "freedesktop_os_release") else "",
            "compiler": version, "xapian": xapian,
            "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip(),
            "date": time.strftime("%Y-%m-%d %H:%M %Z")}


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.out = os.path.abspath(args.out)
        self.work = os.path.join(self.out, "work")
        os.makedirs(self.work, exist_ok=True)
        self.tool = lambda name: os.path.join(self.build, name)
        self.bench_tool = lambda name: os.path.join(self.build, "bench", name)
        self.config = os.path.join(ROOT, "similarity", "tfidf.json")
        self.env = dict(os.environ, NO_COLOR="1")

    # --- corpora -------------------------------------------------------

    def synthetic(self, n):
        corpus = os.path.join(self.work, f"synthetic-{n}.jsonl")
        queries = os.path.join(self.work, f"synthetic-{n}.queries.txt")
        if not (os.path.exists(corpus) and os.path.exists(queries)):
            log(f"generating {n} synthetic specimens")
            run([PY, os.path.join(HERE, "gen_corpus.py"), str(n), corpus + ".tmp",
                 "--queries", queries])
            os.replace(corpus + ".tmp", corpus)
        return {"name": f"synthetic-{n}", "kind": "synthetic", "path": corpus,
                "queries": queries, "specimens": n}

    def onet(self):
        if not os.path.isdir(ONET):
            return None
        corpus = os.path.join(self.work, "onet.jsonl")
        queries = os.path.join(self.work, "onet.queries.txt")
        log("converting the O*NET occupations")
        run([PY, os.path.join(HERE, "onet_corpus.py"), ONET, corpus, "--queries", queries])
        with open(corpus, encoding="utf-8") as f:
            n = sum(1 for line in f if line.strip())
        return {"name": "onet", "kind": "O*NET 27.0 occupations (CC BY 4.0, USDOL/ETA)",
                "path": corpus, "queries": queries, "specimens": n}

    # --- the engine ----------------------------------------------------

    def engine_build(self, corpus, index):
        shutil.rmtree(index, ignore_errors=True)
        out, wall, rss = run_measured([self.tool("otiose-index"), corpus["path"], "--index", index,
                                       "--rebuild", "--json", "--quiet"], env=self.env)
        report = json_line(out)
        gen = os.path.realpath(os.path.join(index, "current"))
        xapian_dir = os.path.join(gen, "xapian")
        compacted = os.path.join(self.work, "compacted")
        shutil.rmtree(compacted, ignore_errors=True)
        run(["xapian-compact", xapian_dir, compacted])
        figures = {"seconds": wall, "documents": report["documents"],
                   "documents_per_second": report["documents"] / wall,
                   "similarity_seconds": report["similarity_seconds"],
                   "peak_rss_bytes": rss, "index_bytes": directory_bytes(gen),
                   "xapian_bytes": directory_bytes(xapian_dir),
                   "xapian_bytes_compacted": directory_bytes(compacted),
                   "model_bytes": os.path.getsize(os.path.join(gen, "model.bin"))}
        shutil.rmtree(compacted, ignore_errors=True)
        return figures

    def engine_incremental(self, corpus, index):
        """Re-index of the unchanged corpus, then of 1 % of records edited."""
        cmd = [self.tool("otiose-index"), None, "--index", index, "--json", "--quiet"]
        cmd[1] = corpus["path"]
        _, unchanged, _ = run_measured(cmd, env=self.env)
        edited = os.path.join(self.work, "edited.jsonl")
        with open(corpus["path"], encoding="utf-8") as f, open(edited, "w",
                                                               encoding="utf-8") as out:
            lines = [line for line in f if line.strip()]
            step = max(1, len(lines) // max(1, len(lines) // 100))
            for i, line in enumerate(lines):
                if i % step == 0:
                    record = json.loads(line)
                    record["tagline"] += f" Edited in bench run {time.time_ns()}."
                    line = json.dumps(record, ensure_ascii=False) + "\n"
                out.write(line)
        cmd[1] = edited
        out, edits, _ = run_measured(cmd, env=self.env)
        report = json_line(out)
        # Then one record of those edited again.
        one = os.path.join(self.work, "edited-one.jsonl")
        with open(edited, encoding="utf-8") as f, open(one, "w", encoding="utf-8") as out_one:
            for i, line in enumerate(f):
                if i == 0:
                    record = json.loads(line)
                    record["tagline"] += " Edited once more."
                    line = json.dumps(record, ensure_ascii=False) + "\n"
                out_one.write(line)
        cmd[1] = one
        out, one_edit, _ = run_measured(cmd, env=self.env)
        if json_line(out)["updated"] != 1:
            raise SystemExit("run.py: the one-record edit did not update one record")
        return {"unchanged_seconds": unchanged, "edited_seconds": edits,
                "edited_records": report["updated"], "one_edit_seconds": one_edit}

    def engine_model(self, corpus, lists=None):
        cmd = [self.bench_tool("otiose-bench-model"), corpus["path"], "--config", self.config,
               "--out", os.path.join(self.work, "model.bin")]
        if lists:
            cmd += ["--lists", lists]
        out, _, _ = run_measured(cmd)
        r = json_line(out)
        return {"vectorize_seconds": r["vectorize_seconds"],
                "all_pairs_seconds": r["all_pairs_seconds"], "peak_rss_bytes": r["peak_rss_bytes"],
                "all_pairs_bytes": r["all_pairs_bytes"]}

    def engine_queries(self, corpus, index):
        out, _, _ = run_measured([self.bench_tool("otiose-bench-query"), index, corpus["path"],
                                  corpus["queries"], "--repeat", "1", "--sample",
                                  str(self.args.sample)])
        r = json_line(out)
        return {k: r[k] for k in ("open_ms", "search_ms", "search_grouped_ms", "related_slug_ms",
                                  "related_text_ms", "search_hits", "search_empty",
                                  "search_errors")}

    def processes(self, corpus, index, db):
        """The tools' per-process figures and quest's (on the Python peer's
        database `db`), measured interleaved."""
        queries = self.queries(corpus)[:self.args.sample]
        slugs = self.slugs(corpus)
        picks = [slugs[i * len(slugs) // min(self.args.sample, len(slugs))]
                 for i in range(min(self.args.sample, len(slugs)))]
        texts = []
        for k, slug in enumerate(picks[:50]):
            path = os.path.join(self.work, f"pasted-{k}.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.pasted_text(corpus, slug))
            texts.append(path)
        figures = interleaved({
            "search": [[self.tool("otiose-search"), "--index", index, q] for q in queries],
            "related_slug": [[self.tool("otiose-related"), "--index", index, s] for s in picks],
            "related_text": [[self.tool("otiose-related"), "--index", index, "--file", t]
                             for t in texts],
            "quest": [quest_command(DEFAULT_QUEST, db, q) for q in queries]})
        quest = figures.pop("quest")
        return figures, {"process_ms": quest["process_ms"], "errors": quest["failures"]}

    # --- peers ---------------------------------------------------------

    def sklearn(self, corpus, lists=None):
        cmd = [PY, os.path.join(HERE, "peer_sklearn.py"), corpus["path"], self.config,
               "--sample", str(self.args.sample)]
        if lists:
            cmd += ["--lists", lists]
        out, _, _ = run_measured(cmd)
        r = json_line(out)
        return {k: r[k] for k in ("fit_seconds", "all_pairs_seconds", "peak_rss_bytes",
                                  "related_slug_ms", "related_text_ms")}

    def xapian_python(self, corpus, db):
        out, _, rss = run_measured([PY, os.path.join(HERE, "peer_xapian.py"), corpus["path"],
                                    corpus["queries"], "--db", db, "--repeat", "1"])
        r = json_line(out)
        return {"seconds": r["build_seconds"], "documents_per_second": r["documents_per_second"],
                "peak_rss_bytes": rss, "index_bytes": r["index_bytes"], "query_ms": r["query_ms"]}

    def fts5(self, corpus):
        db = os.path.join(self.work, "fts5.db")
        out, _, rss = run_measured([PY, os.path.join(HERE, "peer_fts5.py"), corpus["path"],
                                    corpus["queries"], "--db", db, "--repeat", "1"])
        r = json_line(out)
        os.remove(db)
        return {"seconds": r["build_seconds"], "documents_per_second": r["documents_per_second"],
                "peak_rss_bytes": rss, "index_bytes": r["index_bytes"], "query_ms": r["query_ms"],
                "errors": r["errors"]}

    # --- helpers -------------------------------------------------------

    @staticmethod
    def queries(corpus):
        with open(corpus["queries"], encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]

    @staticmethod
    def slugs(corpus):
        with open(corpus["path"], encoding="utf-8") as f:
            return [json.loads(line)["slug"] for line in f if line.strip()]

    @staticmethod
    def pasted_text(corpus, slug):
        with open(corpus["path"], encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if record["slug"] == slug:
                    text = record["title"] + "\n" + record["tagline"] + "\n"
                    for p in record.get("jd_autopsy") or []:
                        text += p["illusion"] + "\n" + p["translation"] + "\n"
                    return text
        raise KeyError(slug)

    # --- one corpus ----------------------------------------------------

    def measure(self, corpus):
        n = corpus["specimens"]
        repeat = 1 if n > 20000 else self.args.repeat
        index = os.path.join(self.work, f"index-{corpus['name']}")
        xdb = os.path.join(self.work, f"xapian-python-{corpus['name']}")
        sklearn_ok = n <= self.args.sklearn_max
        runs = []
        agreement = None
        for r in range(repeat):
            log(f"{corpus['name']}: run {r + 1} of {repeat}")
            fig = {}
            log("  engine: index build")
            fig["build"] = self.engine_build(corpus, index)
            log("  engine: in-process queries")
            fig["queries"] = self.engine_queries(corpus, index)
            log("  peer: Xapian Python bindings")
            fig["xapian_python"] = self.xapian_python(corpus, xdb)
            log("  engine and peer: per-process tools and quest, interleaved")
            fig["processes"], fig["quest"] = self.processes(corpus, index, xdb)
            log("  engine: incremental re-index")
            fig["incremental"] = self.engine_incremental(corpus, index)
            log("  engine: similarity model")
            lists = os.path.join(self.work, "engine-lists.jsonl") if r == 0 else None
            fig["similarity"] = self.engine_model(corpus, lists)
            if sklearn_ok:
                log("  peer: scikit-learn")
                peer_lists = os.path.join(self.work, "sklearn-lists.jsonl") if r == 0 else None
                fig["sklearn"] = self.sklearn(corpus, peer_lists)
                if r == 0:
                    out = run([PY, os.path.join(HERE, "compare_lists.py"), lists, peer_lists],
                              check=False)
                    agreement = json_line(out)
            log("  peer: SQLite FTS5")
            fig["fts5"] = self.fts5(corpus)
            runs.append(fig)
        shutil.rmtree(xdb, ignore_errors=True)
        result = {"corpus": {k: corpus[k] for k in ("name", "kind", "specimens")},
                  "runs": repeat, "figures": summarise(runs), "raw": runs}
        if agreement is not None:
            result["sklearn_agreement"] = agreement
        elif not sklearn_ok:
            result["sklearn_skipped"] = (f"scikit-learn all-pairs is not run above "
                                         f"{self.args.sklearn_max} specimens (--sklearn-max)")
        if not self.args.keep_indexes:
            shutil.rmtree(index, ignore_errors=True)
        return result

    def microbench(self, index):
        tool = self.bench_tool("otiose-microbench")
        if not os.path.exists(tool):
            return {"skipped": "otiose-microbench not built (Google Benchmark missing)"}
        out, _, _ = run_measured([tool, index, "--benchmark_format=json",
                                  "--benchmark_min_time=0.3", "--benchmark_repetitions=3",
                                  "--benchmark_report_aggregates_only=true"])
        data = json.loads(out)
        rows = {}
        for b in data["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            rows[b["run_name"]] = {"real_time": b["real_time"], "unit": b["time_unit"],
                                   "bytes_per_second": b.get("bytes_per_second")}
        return rows


# --- the report ----------------------------------------------------------

def ms(x):
    return f"{x:.3g} ms" if x < 100 else f"{x:.0f} ms"


def secs(x):
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def mib(x):
    return f"{x / 1048576:.0f} MiB" if x < 10 * 2**30 else f"{x / 2**30:.1f} GiB"


def rate(x):
    return f"{x:,.0f}/s"


def spread(figure, fmt):
    """'median (min–max)'."""
    if isinstance(figure, dict) and "median" in figure:
        if figure["min"] == figure["max"]:
            return fmt(figure["median"])
        return f"{fmt(figure['median'])} ({fmt(figure['min'])}–{fmt(figure['max'])})"
    return fmt(figure)


def ratio(ours, theirs, higher_is_better=False):
    if not ours or not theirs:
        return "–"
    r = ours / theirs if higher_is_better else theirs / ours
    return f"{r:.2f}×"


def corpus_tables(res):
    f = res["figures"]
    b, q, p, inc, sim = f["build"], f["queries"], f["processes"], f["incremental"], f["similarity"]
    xp, fts, quest = f["xapian_python"], f["fts5"], f["quest"]
    sk = f.get("sklearn")
    out = []
    out.append(f"### {res['corpus']['name']} — {res['corpus']['specimens']:,} specimens, "
               f"{med(b['documents']):,} documents ({res['runs']} runs)\n")
    out.append("Ratio: how many times better the engine is than the peer "
               "(above 1: the engine wins).\n")
    out.append("| figure | Otiose | peer | peer's figure | ratio |")
    out.append("|---|---|---|---|---|")

    def row(name, ours, fmt, peer="", theirs=None, higher=False):
        r = ratio(med(ours), med(theirs), higher) if theirs is not None else ""
        t = spread(theirs, fmt) if theirs is not None else ""
        out.append(f"| {name} | {spread(ours, fmt)} | {peer} | {t} | {r} |")

    row("index build, seconds", b["seconds"], secs, "Xapian Python", xp["seconds"])
    row("index build, documents/s", b["documents_per_second"], rate, "Xapian Python",
        xp["documents_per_second"], higher=True)
    row("index build, documents/s", b["documents_per_second"], rate, "SQLite FTS5",
        fts["documents_per_second"], higher=True)
    row("index build, peak RSS", b["peak_rss_bytes"], mib, "Xapian Python", xp["peak_rss_bytes"])
    row("index on disk (Xapian + model)", b["index_bytes"], mib, "Xapian Python",
        xp["index_bytes"])
    row("Xapian database after xapian-compact", b["xapian_bytes_compacted"], mib, "SQLite FTS5",
        fts["index_bytes"])
    row("similarity model file", b["model_bytes"], mib)
    if sk:
        row("all-pairs top-10", sim["all_pairs_seconds"], secs, "scikit-learn",
            sk["all_pairs_seconds"])
        row("vectorize (fit)", sim["vectorize_seconds"], secs, "scikit-learn", sk["fit_seconds"])
        row("all-pairs peak RSS", sim["peak_rss_bytes"], mib, "scikit-learn",
            sk["peak_rss_bytes"])
    else:
        row("all-pairs top-10", sim["all_pairs_seconds"], secs)
        row("vectorize", sim["vectorize_seconds"], secs)
        row("all-pairs peak RSS", sim["peak_rss_bytes"], mib)
    for pct in ("p50", "p95", "p99"):
        row(f"search in-process {pct} (snippets + related)", q["search_ms"][pct], ms,
            "Xapian Python", xp["query_ms"][pct])
    for pct in ("p50", "p99"):
        row(f"search in-process {pct}", q["search_ms"][pct], ms, "SQLite FTS5 (snippets)",
            fts["query_ms"][pct])
    for pct in ("p50", "p99"):
        row(f"search in-process {pct}, grouped as otiose-search shows", q["search_grouped_ms"][pct],
            ms)
    row("index open (warm)", q["open_ms"]["p50"], ms)
    for pct in ("p50", "p95"):
        row(f"otiose-search per process {pct}", p["search"]["process_ms"][pct], ms, "quest",
            quest["process_ms"][pct])
        row(f"otiose-related SLUG per process {pct}", p["related_slug"]["process_ms"][pct], ms,
            "quest", quest["process_ms"][pct])
        row(f"otiose-related --file per process {pct}", p["related_text"]["process_ms"][pct], ms,
            "quest", quest["process_ms"][pct])
    for pct in ("p50", "p99"):
        if sk:
            row(f"related by slug in-process {pct}", q["related_slug_ms"][pct], ms,
                "scikit-learn", sk["related_slug_ms"][pct])
            row(f"related by pasted text in-process {pct}", q["related_text_ms"][pct], ms,
                "scikit-learn", sk["related_text_ms"][pct])
        else:
            row(f"related by slug in-process {pct}", q["related_slug_ms"][pct], ms)
            row(f"related by pasted text in-process {pct}", q["related_text_ms"][pct], ms)
    row("re-index, unchanged corpus", inc["unchanged_seconds"], secs)
    row("re-index, one record edited", inc["one_edit_seconds"], secs)
    row(f"re-index, 1 % edited ({med(inc['edited_records'])} records)", inc["edited_seconds"],
        secs)
    out.append("")
    if "sklearn_agreement" in res:
        a = res["sklearn_agreement"]
        verdict = "agree" if a["agree"] else "DO NOT agree"
        out.append(f"Similarity lists vs scikit-learn: {verdict} — {a['specimens']:,} top-10 "
                   f"lists, {a['lists_differ']} differ, largest cosine difference "
                   f"{a['max_cosine_difference']:.1e}.\n")
    if "sklearn_skipped" in res:
        out.append(f"scikit-learn: {res['sklearn_skipped']}.\n")
    out.append(f"Searches: {med(q['search_hits']):,} hits shown for {1000} queries, "
               f"{med(q['search_empty'])} with no hit, {med(q['search_errors'])} errors; "
               f"SQLite FTS5 errors: {med(fts['errors'])}; per-process failures: "
               f"{med(p['search']['failures'])}.\n")
    return out


def targets(results, big):
    """[(target, measured, met)] on the 10,000-specimen corpus."""
    res = next((r for r in results if r["corpus"]["name"] == f"synthetic-{TARGET_N}"), None)
    out = []
    if res is None:
        return [("targets are checked at 10,000 specimens", "not run", None)]
    f = res["figures"]
    sim, sk = f["similarity"], f.get("sklearn")
    if sk:
        r = med(sk["all_pairs_seconds"]) / med(sim["all_pairs_seconds"])
        agree = res.get("sklearn_agreement", {}).get("agree", False)
        out.append(("all-pairs top-10 ≥ 5× faster than scikit-learn, identical lists",
                    f"{r:.1f}× faster, lists {'identical' if agree else 'DIFFER'}",
                    r >= 5 and agree))
    b, xp = f["build"], f["xapian_python"]
    r = med(b["documents_per_second"]) / med(xp["documents_per_second"])
    out.append(("index build ≥ 3× the documents/s of Xapian's Python bindings",
                f"{r:.2f}× ({med(b['documents_per_second']):,.0f} vs "
                f"{med(xp['documents_per_second']):,.0f} documents/s)", r >= 3))
    ours, theirs = med(b["peak_rss_bytes"]), med(xp["peak_rss_bytes"])
    out.append(("index build peak RSS ≤ 1.5× the Python bindings'",
                f"{mib(ours)} vs {mib(theirs)}", ours <= 1.5 * theirs))
    ours, theirs = med(b["index_bytes"]), med(xp["index_bytes"])
    out.append(("index on disk ≤ the Python bindings' database",
                f"{mib(ours)} vs {mib(theirs)} (ours: Xapian and the model)", ours <= theirs))

    def search_p99(figures, size):
        ours = med(figures["queries"]["search_ms"]["p99"])
        theirs = med(figures["xapian_python"]["query_ms"]["p99"])
        grouped = med(figures["queries"]["search_grouped_ms"]["p99"])
        return (f"in-process search p99 ≤ the Python bindings' p99 at {size} (top 10, snippets, "
                f"3 related a hit)", f"{ours:.2f} ms vs {theirs:.2f} ms (grouped as "
                f"otiose-search shows: {grouped:.2f} ms)", ours <= theirs)

    out.append(search_p99(f, f"{TARGET_N:,}"))
    quest = med(f["quest"]["process_ms"]["p50"])
    for name, key, bound in (("otiose-search", "search", 1.0),
                             ("otiose-related SLUG", "related_slug", 1.0),
                             ("otiose-related --file", "related_text", 1.5)):
        t = med(f["processes"][key]["process_ms"]["p50"])
        out.append((f"{name} per process ≤ {bound:g}× quest (p50)",
                    f"{t:.2f} ms vs {quest:.2f} ms ({t / quest:.2f}×)", t <= bound * quest))
    inc = f["incremental"]
    one, pct = med(inc["one_edit_seconds"]), med(inc["edited_seconds"])
    out.append(("re-index after editing one record ≤ 2 s", f"{one:.1f} s", one <= 2))
    out.append(("re-index after editing 1 % of the records ≤ 5 s",
                f"{pct:.1f} s ({med(inc['edited_records'])} records)", pct <= 5))
    if big:
        g = big["figures"]
        peak = max(med(g["build"]["peak_rss_bytes"]), med(g["similarity"]["peak_rss_bytes"]))
        out.append(("100,000 specimens: peak RSS ≤ 8 GiB (build and all-pairs)",
                    f"{mib(peak)}", peak <= 8 * 2**30))
        pairs = med(g["similarity"]["all_pairs_seconds"])
        out.append(("100,000 specimens: all-pairs ≤ 300 s", f"{pairs:.0f} s", pairs <= 300))
        out.append(search_p99(g, "100,000"))
    else:
        for target in ("100,000 specimens: peak RSS ≤ 8 GiB (build and all-pairs)",
                       "100,000 specimens: all-pairs ≤ 300 s",
                       "in-process search p99 ≤ the Python bindings' p99 at 100,000"):
            out.append((target, "not run (scripts/bench --100k)", None))
    return out


def matching_figures(build, out):
    """bench/matching.py on ../shared/corpora/postings, when present: the
    markdown table and the figures, or None."""
    if not os.path.isdir(os.path.join(ROOT, "..", "shared", "corpora", "postings")):
        return None
    path = os.path.join(out, "matching.json")
    os.makedirs(out, exist_ok=True)
    table = run([PY, os.path.join(HERE, "matching.py"), "--build", build, "--json", path])
    with open(path, encoding="utf-8") as f:
        figures = json.load(f)["results"]
    return {"table": table.strip(), "figures": figures}


def matching_checks(m):
    s = m["figures"]["all"]
    known, off = s["known"], s["off"]
    return [
        ("pasted real job ads: own specimen first >= 90 %",
         f"{s['top1']} of {known} ({100 * s['top1'] / known:.0f} %)", s["top1"] >= 0.90 * known),
        ("pasted real job ads: own specimen in the top 3 >= 98 %",
         f"{s['top3']} of {known} ({100 * s['top3'] / known:.0f} %)", s["top3"] >= 0.98 * known),
        ("off-catalogue ads flagged: >= 10 of 13", f"{s['off_flagged']} of {off}",
         s["off_flagged"] >= 10),
        ("other ads flagged: <= 5 %",
         f"{s['others_flagged']} of {known} ({100 * s['others_flagged'] / known:.0f} %)",
         s["others_flagged"] <= 0.05 * known),
    ]


def report_markdown(info, results, micro, checks, skipped, matching=None):
    out = ["# Otiose Search benchmark report", ""]
    out.append(f"{info['date']}, commit {info['commit']}, **{info['build_type']}** build "
               f"({info['compiler']}), Xapian {info['xapian']}.")
    out.append(f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory_gib']} GiB, "
               f"{info['os']}, Linux {info['kernel']}.")
    out.append("Each figure: median of the runs, (min–max) when they differ. Latency "
               "percentiles are over 1,000 queries in-process, and over 200 processes.")
    out.append("")
    out.append("## Targets")
    out.append("")
    out.append("| target | measured | |")
    out.append("|---|---|---|")
    for name, measured, met in checks:
        verdict = "met" if met else ("not measured" if met is None else "**NOT MET**")
        out.append(f"| {name} | {measured} | {verdict} |")
    out.append("")
    out.append("## Corpora")
    out.append("")
    for res in results:
        out += corpus_tables(res)
    for note in skipped:
        out.append(f"- {note}")
    if matching:
        out.append("## Which specimen is this? (real job postings)")
        out.append("")
        out.append("`otiose-related --file AD --top 3` on the 154 postings of "
                   "../shared/corpora/postings (bench/matching.py); every third posting is held "
                   "out of tuning.")
        out.append("")
        out.append(matching["table"])
        out.append("")
    if micro:
        out.append("## Microbenchmarks (Google Benchmark, median of 3)")
        out.append("")
        if "skipped" in micro:
            out.append(micro["skipped"])
        else:
            out.append("| benchmark | time | throughput |")
            out.append("|---|---|---|")
            for name, m in micro.items():
                bps = m["bytes_per_second"]
                tp = f"{bps / 1e6:.1f} MB/s" if bps else ""
                out.append(f"| {name} | {m['real_time']:.3g} {m['unit']} | {tp} |")
        out.append("")
    out.append("Peers: scikit-learn (`TfidfVectorizer` with similarity/tfidf.json, chunked "
               "sparse product, single-threaded), Xapian's Python bindings (the same documents, "
               "English stemmer, one commit, AND queries, top 10 with their data), `quest` "
               "(xapian-tools, one process per query, timed interleaved with the engine's "
               "tools' processes), SQLite FTS5 (porter, bm25, top 10 with "
               "snippets). The engine's searches include snippets and 3 related specimens per "
               "hit, as `otiose-search` shows them.")
    out.append("")
    out.append("The O*NET corpus includes information from the O*NET 27.0 Database by the U.S. "
               "Department of Labor, Employment and Training Administration (USDOL/ETA), used "
               "under the CC BY 4.0 license; O*NET® is a trademark of USDOL/ETA. Otiose Search "
               "has modified all or some of this information. USDOL/ETA has not approved, "
               "endorsed, or tested these modifications.")
    return "\n".join(out) + "\n"


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    synth = sorted((r for r in results if r["corpus"]["name"].startswith("synthetic")),
                   key=lambda r: r["corpus"]["specimens"])
    if not synth:
        return
    ns = [r["corpus"]["specimens"] for r in synth]

    def series(getter):
        return [getter(r["figures"]) for r in synth]

    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    ax = axes[0]
    ax.plot(ns, series(lambda f: med(f["build"]["seconds"])), "o-", label="Otiose index build")
    ax.plot(ns, series(lambda f: med(f["xapian_python"]["seconds"])), "s--",
            label="Xapian Python build")
    ax.plot(ns, series(lambda f: med(f["fts5"]["seconds"])), "^--", label="SQLite FTS5 build")
    ax.plot(ns, series(lambda f: med(f["similarity"]["all_pairs_seconds"])), "o-",
            label="Otiose all-pairs top-10")
    sk = [(n, med(r["figures"]["sklearn"]["all_pairs_seconds"]))
          for n, r in zip(ns, synth) if "sklearn" in r["figures"]]
    if sk:
        ax.plot([a for a, _ in sk], [b for _, b in sk], "s--", label="scikit-learn all-pairs")
    ax.set_title("Build time against N")
    ax.set_ylabel("seconds")
    ax2 = axes[1]
    for pct, style in (("p50", "o-"), ("p99", "o:")):
        ax2.plot(ns, series(lambda f, p=pct: med(f["queries"]["search_ms"][p])), style,
                 label=f"Otiose search {pct}")
        ax2.plot(ns, series(lambda f, p=pct: med(f["xapian_python"]["query_ms"][p])),
                 style.replace("o", "s"), label=f"Xapian Python {pct}")
        ax2.plot(ns, series(lambda f, p=pct: med(f["fts5"]["query_ms"][p])),
                 style.replace("o", "^"), label=f"SQLite FTS5 {pct}")
    ax2.set_title("In-process query latency against N")
    ax2.set_ylabel("milliseconds")
    ax3 = axes[2]
    ax3.plot(ns, series(lambda f: med(f["processes"]["search"]["process_ms"]["p50"])), "o-",
             label="otiose-search p50")
    ax3.plot(ns, series(lambda f: med(f["processes"]["related_slug"]["process_ms"]["p50"])),
             "o-", label="otiose-related p50")
    ax3.plot(ns, series(lambda f: med(f["quest"]["process_ms"]["p50"])), "s--",
             label="quest p50")
    ax3.set_title("Per-process latency against N")
    ax3.set_ylabel("milliseconds")
    for a in axes:
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel("specimens")
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Measure Otiose Search at 1,000 and 10,000 specimens (100,000 with --100k) "
                    "beside scikit-learn, Xapian's Python bindings, quest and SQLite FTS5, and "
                    "write report.md, results.json and plot.png. Use scripts/bench, which "
                    "installs and builds first.")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="the Release build directory (default: build/)")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench-results"),
                        help="where the report, JSON, plot and work files go")
    parser.add_argument("--sizes", default="1000,10000",
                        help="synthetic corpus sizes (default: 1000,10000)")
    parser.add_argument("--100k", dest="big", action="store_true",
                        help="also 100,000 specimens (40 minutes or more)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--sample", type=int, default=200,
                        help="processes and look-ups per per-process figure (default 200)")
    parser.add_argument("--sklearn-max", type=int, default=20000,
                        help="largest N for the scikit-learn all-pairs peer (default 20000)")
    parser.add_argument("--no-onet", action="store_true", help="skip the O*NET corpus")
    parser.add_argument("--allow-debug", action="store_true",
                        help="measure a non-Release build anyway (figures are meaningless)")
    parser.add_argument("--keep-indexes", action="store_true", help="keep the built indexes")
    args = parser.parse_args()

    info = machine(args.build)
    if info["build_type"] != "Release":
        if not args.allow_debug:
            fail(f"{args.build} is a {info['build_type'] or 'untyped'} build: benchmarks need "
                 "Release (cmake --preset release), or pass --allow-debug")
        log(f"WARNING: measuring a {info['build_type']} build")
    for tool in ("otiose-index", "otiose-search", "otiose-related", "bench/otiose-bench-model",
                 "bench/otiose-bench-query"):
        if not os.path.exists(os.path.join(args.build, tool)):
            fail(f"{args.build}/{tool} is missing: build first (scripts/bench does)")
    for tool in ("quest", "xapian-compact"):
        if shutil.which(tool) is None:
            fail(f"{tool} is missing: apt-get install xapian-tools (scripts/bench does)")

    bench = Bench(args)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.big:
        sizes.append(100000)
    corpora = [bench.synthetic(n) for n in sizes]
    skipped = []
    if not args.no_onet:
        onet = bench.onet()
        if onet:
            corpora.insert(0, onet)
        else:
            skipped.append(f"O*NET corpus skipped: {os.path.normpath(ONET)} is not present.")
            log(skipped[-1])

    results, micro = [], None
    for corpus in corpora:
        results.append(bench.measure(corpus))
        if corpus["specimens"] == TARGET_N or (micro is None and corpus is corpora[-1]):
            log(f"microbenchmarks on {corpus['name']}")
            index = os.path.join(bench.work, "micro-index")
            bench.engine_build(corpus, index)
            micro = bench.microbench(index)
            shutil.rmtree(index, ignore_errors=True)
    big = next((r for r in results if r["corpus"]["specimens"] == 100000), None)
    checks = targets(results, big)
    matching = matching_figures(args.build, args.out)
    if matching:
        checks += matching_checks(matching)
    else:
        skipped.append("Job-ad matching skipped: ../shared/corpora/postings is not present.")

    os.makedirs(args.out, exist_ok=True)
    data = {"machine": info, "results": results, "microbenchmarks": micro,
            "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in checks],
            "matching": matching and matching["figures"], "notes": skipped}
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    with open(os.path.join(args.out, "report.md"), "w", encoding="utf-8") as f:
        f.write(report_markdown(info, results, micro, checks, skipped, matching))
    plot(results, os.path.join(args.out, "plot.png"))
    for name, measured, met in checks:
        verdict = "met" if met else ("not measured" if met is None else "NOT MET")
        print(f"{verdict:>12}  {name}: {measured}")
    print(f"report: {os.path.join(args.out, 'report.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
