"""Fixtures for otiose-serve's tests: an index of the bundled catalogue plus
a hostile specimen, and servers on ephemeral loopback ports, each started by
the test that needs it and stopped by it.

The binaries come from the environment ctest sets (tests/CMakeLists.txt):
OTIOSE_SERVE, OTIOSE_INDEX_TOOL, OTIOSE_SEARCH, OTIOSE_RELATED, OTIOSE_SOURCE_DIR.
"""

import copy
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

SOURCE = os.environ.get("OTIOSE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SERVE = os.environ.get("OTIOSE_SERVE", "otiose-serve")
INDEX_TOOL = os.environ.get("OTIOSE_INDEX_TOOL", "otiose-index")

# The values a hostile record's fields hold: each must reach a page escaped.
HOSTILE = {
    "title": 'Chief <script>alert("title")</script> Officer',
    "tagline": "Closes </textarea><script>alert('tagline')</script> and \"quotes\" & 'apostrophes'",
    "alias": "<img src=x onerror=alert(1)>",
    "habitat": "javascript:alert('habitat')",
    "source": "javascript:alert('source')",
    "complaint": "I typed </textarea><script>alert(2)</script> into the feedback form",
}


def hostile_record():
    with open(os.path.join(SOURCE, "data", "roles", "sdet.json"), encoding="utf-8") as f:
        r = json.load(f)
    r = copy.deepcopy(r)
    r["slug"] = "hostile-specimen"
    r["title"] = HOSTILE["title"]
    r["tagline"] = HOSTILE["tagline"]
    r["aliases"] = [HOSTILE["alias"], "Zyzzyva Wrangler"]
    r["habitat"] = [HOSTILE["habitat"]] + r["habitat"][1:]
    r["burn_ward"] = [{"text": HOSTILE["complaint"], "source": HOSTILE["source"]}] + r["burn_ward"][1:]
    r.pop("related", None)
    return r


def build_index(corpus_dir, index_dir):
    subprocess.run([INDEX_TOOL, corpus_dir, "--index", index_dir, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def make_corpus(directory, tagline_suffix=None):
    """The bundled catalogue, its occupations and the hostile record in `directory`."""
    os.makedirs(directory, exist_ok=True)
    roles = os.path.join(SOURCE, "data", "roles")
    for name in sorted(os.listdir(roles)):
        with open(os.path.join(roles, name), encoding="utf-8") as f:
            r = json.load(f)
        if tagline_suffix:
            r["tagline"] += " " + tagline_suffix
        with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
            json.dump(r, f)
    with open(os.path.join(directory, "hostile-specimen.json"), "w", encoding="utf-8") as f:
        json.dump(hostile_record(), f)
    shutil.copy(os.path.join(SOURCE, "data", "occupations.tsv"), directory)


class Server:
    """otiose-serve on 127.0.0.1, a port the kernel picks."""

    def __init__(self, index, *args):
        self.proc = subprocess.Popen([SERVE, "--index", index, "--listen", "127.0.0.1:0", *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on http://127.0.0.1:" not in line:
            self.proc.kill()
            raise RuntimeError("otiose-serve did not start: " + line + self.proc.stderr.read())
        self.port = int(line.rsplit(":", 1)[1].strip().strip("/"))

    def request(self, method, path, body=None, headers=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def stop(self):
        """SIGTERM; returns the exit status and what it wrote on stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return code, self.proc.stderr.read()


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="otiose-web-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def index(workdir):
    corpus = os.path.join(workdir, "corpus")
    make_corpus(corpus)
    path = os.path.join(workdir, "index")
    build_index(corpus, path)
    return path


@pytest.fixture(scope="session")
def server(index):
    s = Server(index)
    yield s
    code, err = s.stop()
    assert code == 0, err
