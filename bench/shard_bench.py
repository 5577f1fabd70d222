#!/usr/bin/python3
"""Sharded search: one database, 4 local shards, 4 shards behind xapian-tcpsrv.

  shard_bench.py [--specimens N] [--build DIR] [--work DIR] [--out REPORT.md]

Indexes the synthetic corpus of N specimens (bench/gen_corpus.py, cached in
the work directory) as one database and as 4 shards (otiose-index --shards
4), then serves those shards with four xapian-tcpsrv processes on loopback
ports and points a third index at them (a frontend's copy of the generation:
its model, local part and a stub of `remote` lines, no shards). For each
layout: in-process search p50/p99 (otiose-bench-query: the benchmark's 1,000
queries, snippets and related lists), otiose-search per process, and whether
the answers equal the single database's (ids, order, totals). Run by hand,
never by CI; at 100,000 specimens, about an hour on 2 cores.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from run import per_process  # noqa: E402


def log(msg):
    print(f"shard_bench: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc):
    for _ in range(400):
        if proc.poll() is not None:
            sys.exit(f"shard_bench: xapian-tcpsrv on {port} exited (is xapian-tools installed?)")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.025)
    sys.exit(f"shard_bench: xapian-tcpsrv on {port} does not listen")


def index(build, corpus, out, *extra):
    """Seconds to build the index at `out` (kept beside it when reused)."""
    seconds_file = out + ".build-seconds"
    if os.path.exists(os.path.join(out, "current")) and os.path.exists(seconds_file):
        log(f"  reusing {out}")
        with open(seconds_file) as f:
            return float(f.read())
    start = time.perf_counter()
    subprocess.run([os.path.join(build, "otiose-index"), corpus, "--index", out, "--rebuild",
                    "--quiet", *extra], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    with open(seconds_file, "w") as f:
        f.write(f"{seconds:.1f}\n")
    return seconds


def frontend_copy(sharded, out, addresses):
    """A frontend's generation: everything but the shards, the stub remote."""
    gen = os.path.realpath(os.path.join(sharded, "current"))
    name = os.path.basename(gen)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, name))
    for entry in os.listdir(gen):
        if entry in ("shards", "xapian.stub"):
            continue
        src = os.path.join(gen, entry)
        dst = os.path.join(out, name, entry)
        (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, dst)
    with open(os.path.join(out, name, "xapian.stub"), "w") as f:
        f.write("".join(f"remote {a}\n" for a in addresses))
    os.symlink(name, os.path.join(out, "current"))


def answers(build, idx, queries):
    """Hit ids, and totals and specimens when exact, as otiose-search --json gives them.

    Past the 20,000 matches a grouped search examines, the counts are
    Xapian's estimates ("exact": false), which differ between layouts."""
    out = []
    tool = os.path.join(build, "otiose-search")
    for q in queries:
        r = json.loads(subprocess.run([tool, "--index", idx, "--json", "--related", "0", "--", q],
                                      check=True, capture_output=True, text=True).stdout)
        counts = (r["total"], r["specimens"]) if r.get("exact", True) else None
        out.append(([h["id"] for h in r["hits"]], counts))
    return out


def same(got, reference):
    """Queries whose hits are the same, and whose counts are, where both are exact."""
    return sum(g[0] == w[0] and (g[1] is None or w[1] is None or g[1] == w[1])
               for g, w in zip(got, reference))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--specimens", type=int, default=100000)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench-results", "work"))
    p.add_argument("--sample", type=int, default=200, help="queries for per-process and equality")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench-results", "shards.md"))
    a = p.parse_args()
    n = a.specimens
    os.makedirs(a.work, exist_ok=True)
    corpus = os.path.join(a.work, f"synthetic-{n}.jsonl")
    queries_file = os.path.join(a.work, f"synthetic-{n}.queries.txt")
    if not (os.path.exists(corpus) and os.path.exists(queries_file)):
        log(f"generating {n} specimens")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), str(n), corpus,
                        "--queries", queries_file], check=True)
    with open(queries_file, encoding="utf-8") as f:
        queries = [q for q in f.read().splitlines() if q]

    one = os.path.join(a.work, f"shards-{n}-one")
    local = os.path.join(a.work, f"shards-{n}-local4")
    remote = os.path.join(a.work, f"shards-{n}-remote4")
    figures = {"specimens": n, "build_s": {}}
    log("indexing: one database")
    figures["build_s"]["one"] = index(a.build, corpus, one)
    log("indexing: 4 shards")
    figures["build_s"]["local4"] = index(a.build, corpus, local, "--shards", "4")

    gen = os.path.realpath(os.path.join(local, "current"))
    ports = [free_port() for _ in range(4)]
    servers = []
    try:
        for k, port in enumerate(ports):
            proc = subprocess.Popen(["xapian-tcpsrv", "--interface", "127.0.0.1", "--port",
                                     str(port), "--quiet", os.path.join(gen, "shards", str(k))],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            servers.append(proc)
            wait_listening(port, proc)
        frontend_copy(local, remote, [f"127.0.0.1:{p}" for p in ports])

        query_tool = os.path.join(a.build, "bench", "otiose-bench-query")
        layouts = {"one": one, "local4": local, "remote4": remote}
        reference = None
        for name, idx in layouts.items():
            log(f"{name}: in-process queries")
            r = json.loads(subprocess.run([query_tool, idx, corpus, queries_file, "--repeat",
                                           "1", "--sample", "50"], check=True,
                                          capture_output=True, text=True).stdout)
            fig = {"search_ms": r.get("search_ms"), "open_ms": r.get("open_ms")}
            log(f"{name}: per process")
            cmds = [[os.path.join(a.build, "otiose-search"), "--index", idx, "--", q]
                    for q in queries[:a.sample]]
            fig["process"] = per_process(cmds)
            log(f"{name}: answers")
            got = answers(a.build, idx, queries[:a.sample])
            if reference is None:
                reference = got
            fig["same_answers"] = same(got, reference)
            fig["estimated_counts"] = sum(g[1] is None for g in got)
            fig["compared"] = len(got)
            figures[name] = fig
    finally:
        for proc in servers:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def ms(d, key):
        v = (d or {}).get(key)
        return f"{v:.2f}" if isinstance(v, (int, float)) else "-"

    lines = [f"# Sharded search, {n:,} specimens", "",
             "| layout | build s | search p50 ms | search p99 ms | otiose-search p50 ms "
             "(per process) | same answers |", "|---|---|---|---|---|---|"]
    for name in ("one", "local4", "remote4"):
        f = figures[name]
        build = figures["build_s"].get(name)
        lines.append(f"| {name} | {build:.0f} |" if build else f"| {name} | - |")
        lines[-1] += (f" {ms(f['search_ms'], 'p50')} | {ms(f['search_ms'], 'p99')} |"
                      f" {ms(f['process']['process_ms'], 'p50')} |"
                      f" {f['same_answers']}/{f['compared']} |")
    report = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(report)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(figures, f, indent=1)
    print(report)


if __name__ == "__main__":
    main()
