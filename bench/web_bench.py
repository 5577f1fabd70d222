#!/usr/bin/env python3
"""otiose-serve under load: wrk on loopback against /api/search,
/specimen/SLUG and POST /api/match, beside the same work in-process on the
same number of threads (otiose-bench-throughput), and the ratio.

    bench/web_bench.py [--build build] [--specimens 10000] [--duration 10]
                       [--connections 16] [--threads 2] [--json out.json]

Generates the synthetic corpus (bench/gen_corpus.py, cached under
build/bench-results/work/), indexes it, starts otiose-serve on an ephemeral
loopback port, and prints a Markdown table. Goals (issue 16): no errors,
search p99 <= 10 ms, HTTP throughput >= 70 % of the in-process rate.
A benchmark, not a test: run by hand (the machines CI uses are shared).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"

LUA = r"""
local lines = {}
for line in io.lines(os.getenv("WRK_INPUTS")) do lines[#lines + 1] = line end
local mode = os.getenv("WRK_MODE")
local i = 0
math.randomseed(os.time())
init = function(args) i = math.random(#lines) end
request = function()
  i = i % #lines + 1
  if mode == "match" then
    return wrk.format("POST", "/api/match", {["Content-Type"] = "text/plain"}, lines[i])
  end
  return wrk.format("GET", lines[i])
end
"""


def log(m):
    print("web_bench: " + m, file=sys.stderr, flush=True)


def parse_wrk(text):
    def latency(p):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, text, re.M)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
    total = int(re.search(r"(\d+) requests in", text).group(1))
    return {"requests_per_s": rps, "p50_ms": latency(50), "p99_ms": latency(99), "errors": errors,
            "requests": total}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--specimens", type=int, default=10000)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2, help="server and in-process threads")
    ap.add_argument("--json", help="write the figures here too")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    work = os.path.join(build, "bench-results", "work")
    os.makedirs(work, exist_ok=True)
    n = a.specimens
    corpus = os.path.join(work, f"synthetic-{n}.jsonl")
    queries = os.path.join(work, f"synthetic-{n}.queries.txt")
    if not (os.path.exists(corpus) and os.path.exists(queries)):
        log(f"generating {n} synthetic specimens")
        subprocess.run([PY, os.path.join(HERE, "gen_corpus.py"), str(n), corpus + ".tmp", "--queries", queries],
                       check=True)
        os.replace(corpus + ".tmp", corpus)
    index = os.path.join(work, f"web-index-{n}")
    log("indexing (a no-op when it is current)")
    subprocess.run([os.path.join(build, "otiose-index"), corpus, "--index", index, "--quiet"], check=True,
                   stdin=subprocess.DEVNULL)

    records = [json.loads(line) for line in open(corpus, encoding="utf-8") if line.strip()]
    step = max(1, len(records) // 500)
    sample = records[::step]
    qs = [q.strip() for q in open(queries, encoding="utf-8") if q.strip()]
    tmp = tempfile.mkdtemp(prefix="otiose-web-bench-")
    inputs = {}

    def write(name, lines):
        path = os.path.join(tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path

    from urllib.parse import quote
    texts = []
    for r in sample:
        t = r["title"] + " " + r["tagline"]
        for p in r.get("jd_autopsy") or []:
            t += " " + p["illusion"] + " " + p["translation"]
        texts.append(t.replace("\n", " "))
    inputs["search"] = (write("search.http", ["/api/search?q=" + quote(q) for q in qs]),
                        write("search.in", qs))
    inputs["specimen"] = (write("specimen.http", ["/specimen/" + r["slug"] for r in sample]),
                          write("specimen.in", [r["slug"] for r in sample]))
    inputs["match"] = (write("match.http", texts), write("match.in", texts))
    lua = write("rotate.lua", [LUA])

    server = subprocess.Popen([os.path.join(build, "otiose-serve"), "--index", index, "--listen",
                               "127.0.0.1:0", "--threads", str(a.threads)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              text=True)
    line = server.stdout.readline()
    port = int(line.rsplit(":", 1)[1].strip().strip("/"))
    results = {}
    try:
        for mode in ("search", "specimen", "match"):
            http_inputs, plain_inputs = inputs[mode]
            env = dict(os.environ, WRK_INPUTS=http_inputs, WRK_MODE=mode)
            log(f"wrk {mode}: {a.connections} connections, {a.duration} s")
            out = subprocess.run(["wrk", "-t2", f"-c{a.connections}", f"-d{a.duration}s", "--latency",
                                  "-s", lua, f"http://127.0.0.1:{port}"], env=env, check=True,
                                 capture_output=True, text=True).stdout
            w = parse_wrk(out)
            log(f"in-process {mode}: {a.threads} threads")
            p = json.loads(subprocess.run([os.path.join(build, "bench", "otiose-bench-throughput"), index, mode,
                                           plain_inputs, str(a.threads), str(a.duration)], check=True,
                                          capture_output=True, text=True).stdout)
            w["in_process_per_s"] = p["requests_per_s"]
            w["ratio"] = w["requests_per_s"] / p["requests_per_s"]
            results[mode] = w
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    routes = {"search": "GET /api/search?q=", "specimen": "GET /specimen/SLUG", "match": "POST /api/match"}
    print(f"otiose-serve at {n:,} specimens: wrk -t2 -c{a.connections} -d{a.duration}s on loopback, "
          f"server --threads {a.threads}; in-process: the same work on {a.threads} threads\n")
    print("| route | requests/s | p50 | p99 | errors | in-process/s | HTTP / in-process |")
    print("|---|---|---|---|---|---|---|")
    for mode, w in results.items():
        print(f"| `{routes[mode]}` | {w['requests_per_s']:,.0f} | {w['p50_ms']:.2f} ms | {w['p99_ms']:.2f} ms | "
              f"{w['errors']} | {w['in_process_per_s']:,.0f} | {100 * w['ratio']:.0f} % |")
    s = results["search"]
    goals = [("no errors", all(w["errors"] == 0 for w in results.values())),
             ("search p99 <= 10 ms", s["p99_ms"] <= 10),
             ("HTTP >= 70 % of in-process", all(w["ratio"] >= 0.70 for w in results.values()))]
    print("\nGoals: " + "; ".join(f"{g}: {'met' if ok else 'NOT MET'}" for g, ok in goals))
    print(f"server exit status after SIGTERM: {code}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"specimens": n, "results": results, "goals": dict(goals)}, f, indent=2)


if __name__ == "__main__":
    main()
