"""`import otiose`: the Python module over the library (python/module.cpp),
through pytest under ctest. PYTHONPATH points at build/python; the
binaries and the source tree come from the environment ctest sets."""

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest

import otiose

SOURCE = os.environ["OTIOSE_SOURCE_DIR"]
BINARY = os.environ["OTIOSE_BINARY_DIR"]
INDEX_TOOL = os.environ["OTIOSE_INDEX_TOOL"]
SEARCH = os.environ["OTIOSE_SEARCH"]
RELATED = os.environ["OTIOSE_RELATED"]
SEED = "senior-customer-service-manager"


def cli_json(tool, index, *args, stdin=None):
    out = subprocess.run([tool, "--index", index, *args, "--json"], input=stdin, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def index():
    d = tempfile.mkdtemp(prefix="otiose-python-")
    path = os.path.join(d, "index")
    subprocess.run([INDEX_TOOL, os.path.join(SOURCE, "data"), "--index", path, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    yield path
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def searcher(index):
    return otiose.Searcher(index)


def seed_jd():
    with open(os.path.join(SOURCE, "tests", "data", "pages", "seed-job-description.txt"), encoding="utf-8") as f:
        return f.read()


def test_search_has_the_cli_contract(searcher, index):
    for q in ["strategic oversight", "meetings", "kind:complaint dashboard"]:
        assert searcher.search(q) == cli_json(SEARCH, index, q)
    assert searcher.search("meetings", group=False, limit=5) == cli_json(SEARCH, index, "meetings", "--all-quotes",
                                                                         "--limit", "5")
    assert searcher.search("meetings", sort="salary", limit=3) == cli_json(SEARCH, index, "meetings", "--sort",
                                                                           "salary", "--limit", "3")
    faceted = searcher.search("meetings", facets=True)
    assert set(faceted["facets"]) == {"type", "kind", "salary", "flight_risk"}


def test_related_has_the_cli_contract(searcher, index):
    assert searcher.related("enterprise-architect") == cli_json(RELATED, index, "enterprise-architect")
    assert searcher.related("Scrum Master", top=2, explain=True) == cli_json(RELATED, index, "Scrum Master",
                                                                            "--top", "2", "--explain")
    text = seed_jd()
    got = searcher.related_text(text)
    assert got == cli_json(RELATED, index, "--file", "-", stdin=text)
    assert got["related"][0]["slug"] == SEED and got["confident"] is True


def test_get_resolve_explain_len(searcher):
    with open(os.path.join(SOURCE, "data", "roles", "sdet.json"), encoding="utf-8") as f:
        assert searcher.get("sdet") == json.load(f)
    assert searcher.resolve("Software Development Engineer in Test") == "sdet"
    terms = searcher.explain("sdet", "qa-engineer", 3)
    assert len(terms) == 3 and set(terms[0]) == {"term", "contribution", "share"}
    assert len(searcher) == len(os.listdir(os.path.join(SOURCE, "data", "roles")))
    assert re.fullmatch(r"gen-\d+", searcher.generation)


def test_errors_carry_their_kind_and_leave_the_searcher_working(searcher, index):
    cases = [(lambda: searcher.related("enterprize-architekt"), "not found", "closest"),
             (lambda: searcher.get("no-such-specimen"), "not found", "no specimen"),
             (lambda: searcher.search("x" * 70000), "query", "65536"),
             (lambda: searcher.search("x", sort="sideways"), "usage", "sort"),
             (lambda: searcher.search("x", salary_min=9, salary_max=1), "usage", "salary"),
             (lambda: otiose.Searcher("/nonexistent/otiose"), "index", "otiose-index")]
    for call, kind, words in cases:
        with pytest.raises(otiose.Error) as e:
            call()
        assert e.value.kind == kind and words in str(e.value)
        # The next call works.
        assert searcher.search("strategic oversight")["hits"][0]["slug"] == SEED
    assert issubclass(otiose.Error, Exception)
    with pytest.raises(TypeError):
        searcher.search(42)


def test_two_threads_get_correct_answers_at_once(searcher):
    queries = ["strategic oversight", "meetings", "dashboard", "synergy", "sprint", "burnout", "roadmap"]
    expected = {q: searcher.search(q) for q in queries}
    expected_text = searcher.related_text(seed_jd())
    problems = []

    def work(offset):
        for i in range(60):
            q = queries[(i + offset) % len(queries)]
            if searcher.search(q) != expected[q]:
                problems.append(q)
            if i % 10 == 0 and searcher.related_text(seed_jd()) != expected_text:
                problems.append("related_text")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []


def test_follows_a_rebuild(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(os.path.join(SOURCE, "data", "roles"), corpus)
    path = str(tmp_path / "index")
    subprocess.run([INDEX_TOOL, str(corpus), "--index", path, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    s = otiose.Searcher(path)
    before = s.generation
    assert s.search("zyzzyva")["total"] == 0
    r = json.loads((corpus / "sdet.json").read_text())
    r["tagline"] = "Now tests zyzzyva migrations only."
    (corpus / "sdet.json").write_text(json.dumps(r))
    subprocess.run([INDEX_TOOL, str(corpus), "--index", path, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    assert s.search("zyzzyva")["hits"][0]["slug"] == "sdet"
    assert s.generation != before


def test_stubs_and_docstrings_cover_the_module():
    stub = ast.parse(open(os.path.join(SOURCE, "python", "otiose", "__init__.pyi"), encoding="utf-8").read())
    cls = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == "Searcher")
    stubbed = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    public = {n for n in dir(otiose.Searcher) if not n.startswith("_")} | {"__init__", "__len__"}
    assert public <= stubbed, public - stubbed
    for name in ["search", "related", "related_text", "explain", "get", "resolve"]:
        doc = getattr(otiose.Searcher, name).__doc__
        assert doc and len(doc) > 40, name
        # Each keyword the stub declares is one the module takes.
        fn = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name)
        for arg in fn.args.args[1:] + fn.args.kwonlyargs:
            assert arg.arg in doc, (name, arg.arg)


def test_the_install_puts_the_package_where_debians_python_finds_it():
    stage = os.path.join(BINARY, "stage")
    rel = os.environ["OTIOSE_PYTHON_INSTALL_DIR"]
    package = os.path.join(stage, rel, "otiose")
    assert sorted(f for f in os.listdir(package) if not f.startswith("__pycache__"))[:3] == [
        "__init__.py", "__init__.pyi", next(f for f in os.listdir(package) if f.startswith("_otiose"))]
    ran = subprocess.run(["/usr/bin/python3", "-c", "import otiose, sys; print(otiose.__file__)"],
                         env=dict(os.environ, PYTHONPATH=os.path.join(stage, rel)), capture_output=True,
                         text=True, cwd="/")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith(package)
    # Installed under /usr/local (the default prefix), Debian's python3 needs no PYTHONPATH.
    paths = subprocess.run(["/usr/bin/python3", "-c", "import sys; print('\\n'.join(sys.path))"],
                           env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True).stdout.split()
    assert os.path.join("/usr/local", rel) in paths


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_readme_flask_example_runs_as_written(index):
    readme = open(os.path.join(SOURCE, "README.md"), encoding="utf-8").read()
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    assert "Flask" in block and len(block.strip().splitlines()) <= 25
    d = tempfile.mkdtemp(prefix="otiose-flask-")
    app = os.path.join(d, "app.py")
    with open(app, "w", encoding="utf-8") as f:
        f.write(block)
    port = free_port()
    env = dict(os.environ, OTIOSE_INDEX=index, PORT=str(port))
    p = subprocess.Popen(["/usr/bin/python3", app], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        body = None
        for _ in range(100):
            try:
                body = opener.open("http://127.0.0.1:%d/search?q=strategic+oversight" % port, timeout=5).read()
                break
            except OSError:
                if p.poll() is not None:
                    break
                time.sleep(0.1)
        assert body is not None, p.stderr.read().decode() if p.poll() is not None else "no answer"
        r = json.loads(body)
        assert r["hits"][0]["slug"] == SEED
    finally:
        p.terminate()
        p.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)
